package authdb

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/auth/hashers"
	"github.com/djangobridge/bridge/djangosession"
)

// UserOptions describe AUTH_USER_MODEL's table and the tables of ModelBackend's permissions.
// The zero value is Django's auth.User (auth_user, an integer "id") with "?" placeholders
// (SQLite, MySQL/MariaDB); set Placeholder to "$1" for PostgreSQL.
type UserOptions struct {
	// Options name the table, its id, password and is_active columns, and the placeholder
	// style, as for NewPasswordHashFunc. ActiveColumn "-" is a model without is_active: its
	// users count as active (ModelBackend's getattr(user, "is_active", True)).
	Options

	// AllowAllUsers is AllowAllUsersModelBackend: GetUser and Authenticate return inactive
	// users too (IsActive false, so still without permissions). List
	// "django.contrib.auth.backends.AllowAllUsersModelBackend" in the Manager's
	// AuthenticationBackends then, as in Django's settings.
	AllowAllUsers bool

	// UUIDPrimaryKey: the primary key is a UUIDField. The session's "_auth_user_id" is
	// str(pk) ("0b9c...-..."); it is sent as Django stores it: a uuid on PostgreSQL
	// (Placeholder "$1"), 32 hex digits elsewhere. (Options.StringIDs is for other text keys.)
	UUIDPrimaryKey bool

	// UsernameColumn is USERNAME_FIELD's column (default "username").
	UsernameColumn string

	// The columns of AbstractUser's other fields; "" is Django's name, "-" a field the model
	// does not have (its User field stays zero).
	FirstNameColumn, LastNameColumn, EmailColumn, IsStaffColumn, IsSuperuserColumn,
	LastLoginColumn, DateJoinedColumn string

	// UserPermissionsTable and UserGroupsTable are the M2M tables of PermissionsMixin
	// (default "auth_user_user_permissions", "auth_user_groups"), and M2MUserColumn their
	// column that points to the user (default "user_id"; a custom model "member" has
	// "<app>_member_user_permissions" with "member_id").
	UserPermissionsTable, UserGroupsTable, M2MUserColumn string

	// DisableUseTZ is USE_TZ=False: on MySQL and SQLite last_login and date_joined hold naive
	// local time in TimeZone (default "America/Chicago") instead of UTC.
	DisableUseTZ bool
	TimeZone     string

	// Hashers are PASSWORD_HASHERS, for Authenticate and SetPassword (see hashers.Default
	// and xhashers.Default; required for those two).
	Hashers hashers.List
}

// Users is AUTH_USER_MODEL's table as ModelBackend uses it: get_user, authenticate,
// set_password, update_last_login and the permission checks. It implements auth.UserStore and
// auth.LastLoginUpdater. Safe for concurrent use.
type Users struct {
	db          *sql.DB
	opts        UserOptions
	loc         *time.Location
	pg          bool
	checkActive bool

	byID, byUsername, setPassword, setLastLogin, userPerms, allPerms string
	fields                                                           []string // the optional columns read, in SELECT order ("" for absent)
}

var (
	_ auth.UserStore        = (*Users)(nil)
	_ auth.LastLoginUpdater = (*Users)(nil)
)

// ErrBadCredentials: Authenticate found no user with that username, a wrong password, or an
// inactive user (Django's authenticate returns None for all three).
var ErrBadCredentials = errors.New("authdb: wrong username or password")

func ident(name string) error {
	if !identRE.MatchString(name) {
		return fmt.Errorf("authdb: %q is not a plain SQL identifier (letters, digits, _; one optional schema.)", name)
	}
	return nil
}

// NewUsers returns the user table reached through db with the caller's driver. It checks the
// options but does not touch the database.
func NewUsers(db *sql.DB, opts UserOptions) (*Users, error) {
	if db == nil {
		return nil, errors.New("authdb: NewUsers needs a *sql.DB")
	}
	ph := orDefault(opts.Placeholder, "?")
	if ph != "?" && ph != "$1" {
		return nil, fmt.Errorf("authdb: placeholder %q: want ? or $1", ph)
	}
	u := &Users{db: db, opts: opts, loc: time.UTC, pg: ph == "$1"}
	if opts.DisableUseTZ && !u.pg {
		loc, err := time.LoadLocation(orDefault(opts.TimeZone, "America/Chicago"))
		if err != nil {
			return nil, fmt.Errorf("authdb: TimeZone: %w", err)
		}
		u.loc = loc
	}
	q := func(n int) string {
		if u.pg {
			return "$" + strconv.Itoa(n)
		}
		return "?"
	}
	table := orDefault(opts.Table, "auth_user")
	id := orDefault(opts.IDColumn, "id")
	pw := orDefault(opts.PasswordColumn, "password")
	username := orDefault(opts.UsernameColumn, "username")
	active := orDefault(opts.ActiveColumn, "is_active")
	u.checkActive = active != "-"
	cols := []string{table, id, pw, username}
	sel := []string{id, pw, username}
	if u.checkActive {
		sel = append(sel, active)
	} else {
		sel = append(sel, "1")
	}
	for _, c := range []struct{ v, d string }{
		{opts.FirstNameColumn, "first_name"}, {opts.LastNameColumn, "last_name"}, {opts.EmailColumn, "email"},
		{opts.IsStaffColumn, "is_staff"}, {opts.IsSuperuserColumn, "is_superuser"},
		{opts.LastLoginColumn, "last_login"}, {opts.DateJoinedColumn, "date_joined"},
	} {
		name := orDefault(c.v, c.d)
		if name == "-" {
			u.fields = append(u.fields, "")
			continue
		}
		u.fields = append(u.fields, name)
		sel = append(sel, name)
		cols = append(cols, name)
	}
	if u.checkActive {
		cols = append(cols, active)
	}
	up := orDefault(opts.UserPermissionsTable, "auth_user_user_permissions")
	ug := orDefault(opts.UserGroupsTable, "auth_user_groups")
	m2m := orDefault(opts.M2MUserColumn, "user_id")
	cols = append(cols, up, ug, m2m)
	for _, c := range cols {
		if err := ident(c); err != nil {
			return nil, err
		}
	}
	base := "SELECT " + strings.Join(sel, ", ") + " FROM " + table + " WHERE "
	u.byID = base + id + " = " + q(1)
	u.byUsername = base + username + " = " + q(1)
	u.setPassword = "UPDATE " + table + " SET " + pw + " = " + q(1) + " WHERE " + id + " = " + q(2)
	if ll := u.fields[5]; ll != "" {
		u.setLastLogin = "UPDATE " + table + " SET " + ll + " = " + q(1) + " WHERE " + id + " = " + q(2)
	}
	perm := "SELECT ct.app_label, p.codename FROM auth_permission p INNER JOIN django_content_type ct ON p.content_type_id = ct.id"
	u.allPerms = perm
	u.userPerms = perm + " INNER JOIN " + up + " up ON p.id = up.permission_id WHERE up." + m2m + " = " + q(1) +
		" UNION " + perm + " INNER JOIN auth_group_permissions gp ON p.id = gp.permission_id INNER JOIN " + ug +
		" ug ON gp.group_id = ug.group_id WHERE ug." + m2m + " = " + q(2)
	return u, nil
}

var uuidRE = regexp.MustCompile(`^(?i)(urn:uuid:)?\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$`)

// idArg converts str(pk) to the value the query sends, or ErrNotFound for an id that the
// primary key's to_python would reject (Django then has no user either).
func (u *Users) idArg(id string) (any, error) {
	switch {
	case u.opts.UUIDPrimaryKey:
		if !uuidRE.MatchString(id) {
			return nil, fmt.Errorf("authdb: user id %q is not a UUID: %w", truncate(id), djangosession.ErrNotFound)
		}
		h := strings.ToLower(id)
		h = strings.TrimPrefix(h, "urn:uuid:")
		h = strings.NewReplacer("-", "", "{", "", "}", "").Replace(h)
		if u.pg {
			return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
		}
		return h, nil
	case u.opts.StringIDs:
		return id, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("authdb: user id %q is not an integer: %w", truncate(id), djangosession.ErrNotFound)
	}
	return n, nil
}

// canonicalID is str(pk) for an id the query accepted.
func (u *Users) canonicalID(arg any) string {
	switch v := arg.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		if u.opts.UUIDPrimaryKey && len(v) == 32 {
			return v[0:8] + "-" + v[8:12] + "-" + v[12:16] + "-" + v[16:20] + "-" + v[20:]
		}
		return v
	}
	return fmt.Sprint(arg)
}

func (u *Users) scan(row *sql.Row, what string) (auth.User, error) {
	var (
		user                  auth.User
		id                    any
		active                sql.NullBool
		text                  [3]sql.NullString
		staff, superuser      sql.NullBool
		lastLogin, dateJoined any
	)
	dest := []any{&id, &user.PasswordHash, &user.Username, &active}
	targets := []any{&text[0], &text[1], &text[2], &staff, &superuser, &lastLogin, &dateJoined}
	for i, f := range u.fields {
		if f != "" {
			dest = append(dest, targets[i])
		}
	}
	err := row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.User{}, fmt.Errorf("authdb: no user %s: %w", what, djangosession.ErrNotFound)
	}
	if err != nil {
		return auth.User{}, fmt.Errorf("authdb: reading user %s: %w", what, err)
	}
	user.ID = idText(id)
	user.IsActive = active.Bool
	user.FirstName, user.LastName, user.Email = text[0].String, text[1].String, text[2].String
	user.IsStaff, user.IsSuperuser = staff.Bool, superuser.Bool
	if user.LastLogin, err = u.parseTime(lastLogin); err != nil {
		return auth.User{}, fmt.Errorf("authdb: user %s: last_login: %w", what, err)
	}
	if user.DateJoined, err = u.parseTime(dateJoined); err != nil {
		return auth.User{}, fmt.Errorf("authdb: user %s: date_joined: %w", what, err)
	}
	return user, nil
}

func idText(v any) string {
	switch x := v.(type) {
	case []byte:
		if len(x) == 16 { // a driver's raw uuid
			h := hex.EncodeToString(x)
			return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		}
		return string(x)
	case [16]byte:
		return idText(x[:])
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// GetUser is ModelBackend.get_user(id): the user and all the fields the options name, in
// one query. A missing user, an id the primary key cannot hold, or (unless AllowAllUsers) an
// inactive user gives an error matching auth.ErrNotFound.
func (u *Users) GetUser(ctx context.Context, id string) (auth.User, error) {
	arg, err := u.idArg(id)
	if err != nil {
		return auth.User{}, err
	}
	user, err := u.scan(u.db.QueryRowContext(ctx, u.byID, arg), strconv.Quote(truncate(id)))
	if err != nil {
		return auth.User{}, err
	}
	user.ID = u.canonicalID(arg)
	if !u.checkActive {
		user.IsActive = true
	} else if !user.IsActive && !u.opts.AllowAllUsers {
		return auth.User{}, fmt.Errorf("authdb: user %q is inactive: %w", truncate(id), djangosession.ErrNotFound)
	}
	return user, nil
}

// GetByUsername is get_by_natural_key: the user whose USERNAME_FIELD equals username (as the
// database compares), active or not.
func (u *Users) GetByUsername(ctx context.Context, username string) (auth.User, error) {
	user, err := u.scan(u.db.QueryRowContext(ctx, u.byUsername, username), "with that username")
	if err != nil {
		return auth.User{}, err
	}
	if !u.checkActive {
		user.IsActive = true
	}
	if arg, err := u.idArg(user.ID); err == nil {
		user.ID = u.canonicalID(arg)
	}
	return user, nil
}

// Authenticate is ModelBackend.authenticate(username=, password=): the user, when the
// password matches the stored hash and the user is active (unless AllowAllUsers).
// Otherwise ErrBadCredentials, after the same work as a real check (an unknown username runs
// the default hasher once, as Django does). When Django's check_password would upgrade the
// stored hash (another algorithm, or other parameters than Hashers[0]'s), the new hash is
// written, as Django's setter does, and the returned user carries it. A database error is
// returned as it is (wrapped), never as ErrBadCredentials.
func (u *Users) Authenticate(ctx context.Context, username, password string) (auth.User, error) {
	if len(u.opts.Hashers) == 0 {
		return auth.User{}, fmt.Errorf("authdb: UserOptions.Hashers is empty: set it to the site's PASSWORD_HASHERS (hashers.Default or xhashers.Default): %w", hashers.ErrNoHashers)
	}
	user, err := u.GetByUsername(ctx, username)
	if errors.Is(err, djangosession.ErrNotFound) {
		u.opts.Hashers.SimulateCheck(password)
		return auth.User{}, ErrBadCredentials
	}
	if err != nil {
		return auth.User{}, err
	}
	ok, mustUpdate, err := u.opts.Hashers.Check(password, user.PasswordHash)
	if !ok {
		if err != nil && !errors.Is(err, hashers.ErrUnknownAlgorithm) {
			return auth.User{}, fmt.Errorf("authdb: the stored password hash of user %q: %w", truncate(user.ID), err)
		}
		return auth.User{}, ErrBadCredentials
	}
	if mustUpdate {
		if user.PasswordHash, err = u.SetPassword(ctx, user.ID, password); err != nil {
			return auth.User{}, err
		}
	}
	if !user.IsActive && !u.opts.AllowAllUsers {
		return auth.User{}, ErrBadCredentials
	}
	return user, nil
}

// SetPassword is set_password followed by save(update_fields=["password"]): it stores a new
// hash of password made by Hashers[0] and returns it (for Manager.UpdateSessionAuthHash).
func (u *Users) SetPassword(ctx context.Context, id, password string) (string, error) {
	if len(u.opts.Hashers) == 0 {
		return "", fmt.Errorf("authdb: UserOptions.Hashers is empty: %w", hashers.ErrNoHashers)
	}
	arg, err := u.idArg(id)
	if err != nil {
		return "", err
	}
	enc, err := u.opts.Hashers.Make(password)
	if err != nil {
		return "", err
	}
	if err := u.exec(ctx, u.setPassword, id, enc, arg); err != nil {
		return "", err
	}
	return enc, nil
}

// UpdateLastLogin is update_last_login: last_login = t (microseconds, as Python's datetime).
// It does nothing when LastLoginColumn is "-".
func (u *Users) UpdateLastLogin(ctx context.Context, id string, t time.Time) error {
	if u.setLastLogin == "" {
		return nil
	}
	arg, err := u.idArg(id)
	if err != nil {
		return err
	}
	v, err := u.timeArg(t)
	if err != nil {
		return err
	}
	return u.exec(ctx, u.setLastLogin, id, v, arg)
}

func (u *Users) exec(ctx context.Context, q, id string, args ...any) error {
	res, err := u.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("authdb: updating user %q: %w", truncate(id), err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		// MySQL counts changed rows unless clientFoundRows: an unchanged value is 0 too.
		// Only a missing user is worth reporting, so look.
		if _, gerr := u.scan(u.db.QueryRowContext(ctx, u.byID, args[len(args)-1]), strconv.Quote(truncate(id))); errors.Is(gerr, djangosession.ErrNotFound) {
			return fmt.Errorf("authdb: no user %q: %w", truncate(id), djangosession.ErrNotFound)
		}
	}
	return nil
}

// AllPermissions is user.get_all_permissions() with ModelBackend: the "app_label.codename"
// of the user's own permissions and of their groups', sorted; every permission for an active
// superuser; none for an inactive or anonymous user. One query.
func (u *Users) AllPermissions(ctx context.Context, user auth.User) ([]string, error) {
	if !user.IsAuthenticated() || !user.IsActive {
		return nil, nil
	}
	var rows *sql.Rows
	var err error
	if user.IsSuperuser {
		rows, err = u.db.QueryContext(ctx, u.allPerms)
	} else {
		arg, aerr := u.idArg(user.ID)
		if aerr != nil {
			return nil, nil
		}
		rows, err = u.db.QueryContext(ctx, u.userPerms, arg, arg)
	}
	if err != nil {
		return nil, fmt.Errorf("authdb: reading permissions: %w", err)
	}
	defer rows.Close()
	set := map[string]struct{}{}
	for rows.Next() {
		var app, code string
		if err := rows.Scan(&app, &code); err != nil {
			return nil, fmt.Errorf("authdb: reading permissions: %w", err)
		}
		set[app+"."+code] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("authdb: reading permissions: %w", err)
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// HasPerm is user.has_perm(perm) with ModelBackend: true for an active superuser whatever
// perm is; false for an inactive or anonymous user; otherwise whether AllPermissions holds
// perm ("app_label.codename").
func (u *Users) HasPerm(ctx context.Context, user auth.User, perm string) (bool, error) {
	if !user.IsAuthenticated() || !user.IsActive {
		return false, nil
	}
	if user.IsSuperuser {
		return true, nil
	}
	perms, err := u.AllPermissions(ctx, user)
	if err != nil {
		return false, err
	}
	i := sort.SearchStrings(perms, perm)
	return i < len(perms) && perms[i] == perm, nil
}
