// Package auth is the session side of django.contrib.auth: who is logged in (get_user), login,
// logout and update_session_auth_hash, on a session of package djangosession, with Django's
// session keys and its session auth hash (including SECRET_KEY_FALLBACKS and 3.2's legacy
// sha1 hash).
//
//	Django                                  Go
//	auth.get_user(request)                  Manager.GetUser
//	auth.login / logout                     Manager.Login / Logout
//	update_session_auth_hash                Manager.UpdateSessionAuthHash
//	user.get_session_auth_hash()            SessionAuthHash
//	SESSION_KEY, BACKEND_SESSION_KEY,        SessionKey, BackendSessionKey, HashSessionKey
//	HASH_SESSION_KEY
//
// The password hash of a user comes from a [PasswordHashFunc]; package authdb reads it from
// Django's database.
package auth
