// Package auth is the session side of django.contrib.auth: who is logged in (get_user), login,
// logout and update_session_auth_hash, on a session of package djangosession, with Django's
// session keys and its session auth hash (including SECRET_KEY_FALLBACKS and 3.2's legacy
// sha1 hash); the user as Django sees it ([User]: auth_user's fields); and the HTTP pieces:
// AuthenticationMiddleware and login_required.
//
//	Django                                  Go
//	auth.get_user(request)                  Manager.GetUser
//	auth.login / logout                     Manager.Login (and update_last_login) / Logout
//	update_session_auth_hash                Manager.UpdateSessionAuthHash
//	AuthenticationMiddleware, request.user  Manager.Middleware, UserFromContext
//	login_required, redirect_to_login       LoginRequired (Handler, RedirectURL)
//	user_passes_test                        LoginRequired.Test
//	user.is_authenticated                   User.IsAuthenticated
//	user.get_session_auth_hash()            SessionAuthHash
//	SESSION_KEY, BACKEND_SESSION_KEY,        SessionKey, BackendSessionKey, HashSessionKey
//	HASH_SESSION_KEY
//
// Users come from a [UserStore]. Package authdb implements it over database/sql with
// ModelBackend's rules (get_user, authenticate with hash upgrades, get_all_permissions,
// has_perm, set_password, update_last_login); package hashers (and hashers/xhashers for
// argon2, bcrypt and scrypt) checks and makes password hashes as Django does. The Manager
// uses only the Session API, so it works with every session engine.
package auth
