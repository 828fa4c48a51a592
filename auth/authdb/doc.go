// Package authdb is ModelBackend over Django's database with database/sql: [Users] reads
// AUTH_USER_MODEL (auth_user, or a custom model's table, integer or UUID primary key) for
// [auth.Manager].Users, in one query per request, with every field of [auth.User]; checks
// passwords as ModelBackend.authenticate does, upgrading hashes as Django's check_password
// does (with package hashers); writes last_login and password; and computes
// get_all_permissions() and has_perm() from auth_permission, django_content_type and the
// user and group M2M tables.
//
//	Django                                      Go
//	ModelBackend.get_user(pk)                   Users.GetUser (one SELECT)
//	UserModel._default_manager.get_by_natural_key  Users.GetByUsername
//	authenticate(username=, password=)          Users.Authenticate
//	user.set_password(pw); user.save()          Users.SetPassword
//	update_last_login (user_logged_in)          Users.UpdateLastLogin (called by Manager.Login)
//	user.get_all_permissions()                  Users.AllPermissions
//	user.has_perm(perm)                         Users.HasPerm
//	AllowAllUsersModelBackend                   UserOptions.ActiveColumn = "-"
//
// NewPasswordHashFunc is the older, narrower lookup of the password hash alone.
//
// Bring your own driver (pgx's stdlib, lib/pq, go-sql-driver/mysql, modernc.org/sqlite, ...)
// and set Options.Placeholder to its style. The package imports only the standard library
// (and this module's auth and hashers packages).
package authdb
