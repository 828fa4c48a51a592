package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strconv"
	"time"

	"github.com/djangobridge/bridge/csrf"
	"github.com/djangobridge/bridge/djangosession"
)

// The session keys of django.contrib.auth.
const (
	// SessionKey is SESSION_KEY: str(user.pk).
	SessionKey = "_auth_user_id"
	// BackendSessionKey is BACKEND_SESSION_KEY: the dotted path of the backend that
	// authenticated the user.
	BackendSessionKey = "_auth_user_backend"
	// HashSessionKey is HASH_SESSION_KEY: [SessionAuthHash] of the user's password hash.
	HashSessionKey = "_auth_user_hash"
)

// ModelBackend is Django's default (and usually only) AUTHENTICATION_BACKENDS entry.
const ModelBackend = "django.contrib.auth.backends.ModelBackend"

// PasswordHashFunc returns the password field Django stores for the user whose primary key is
// userID (str(pk), e.g. "42"): the hash string of auth_user.password, such as
// "pbkdf2_sha256$...". For a user that does not exist, or that the backend would not return (an
// inactive user with ModelBackend), it returns an error matching ErrNotFound. Any other error
// (a database outage) is passed on by [Manager] and never taken for "logged out".
//
// The authdb sub-package builds one from a *sql.DB. It must be safe for concurrent use.
type PasswordHashFunc func(ctx context.Context, userID string) (string, error)

// User is a user as Django's ModelBackend returns it: the row of AUTH_USER_MODEL (auth_user's
// fields; a custom model fills those it has) and the backend that authenticated it. The zero
// User is Django's AnonymousUser.
//
// PasswordHash is the stored password field; String, GoString and LogValue leave it out, so
// that printing or logging a User never shows it.
type User struct {
	ID      string // str(pk): the value of "_auth_user_id" ("42", or a UUID's text)
	Backend string // the value of "_auth_user_backend"

	Username    string    // the USERNAME_FIELD value
	FirstName   string    // first_name
	LastName    string    // last_name
	Email       string    // email
	IsStaff     bool      // is_staff
	IsActive    bool      // is_active (true for a model without the field)
	IsSuperuser bool      // is_superuser
	LastLogin   time.Time // last_login; the zero Time for NULL (never logged in)
	DateJoined  time.Time // date_joined

	PasswordHash string // password: the stored hash ("pbkdf2_sha256$..."), never printed
}

// IsAuthenticated reports whether u is a logged-in user (user.is_authenticated).
func (u User) IsAuthenticated() bool { return u.ID != "" }

// String is str(user): the username, or "AnonymousUser".
func (u User) String() string {
	if !u.IsAuthenticated() {
		return "AnonymousUser"
	}
	return u.Username
}

// GoString prints the fields for %#v, without PasswordHash.
func (u User) GoString() string {
	return fmt.Sprintf("auth.User{ID:%q, Username:%q, IsActive:%v, IsStaff:%v, IsSuperuser:%v}",
		u.ID, u.Username, u.IsActive, u.IsStaff, u.IsSuperuser)
}

// LogValue logs the user's id, username and flags, without PasswordHash.
func (u User) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", u.ID), slog.String("username", u.Username),
		slog.Bool("active", u.IsActive), slog.Bool("staff", u.IsStaff), slog.Bool("superuser", u.IsSuperuser))
}

// UserStore is the user table as ModelBackend reads it. The authdb sub-package implements it
// over database/sql. Implementations must be safe for concurrent use.
type UserStore interface {
	// GetUser is ModelBackend.get_user(user_id): the user whose pk is id (str(pk)), with
	// PasswordHash set, read in one query. A user that does not exist, or that the backend
	// would not return (inactive, with ModelBackend), gives an error matching ErrNotFound;
	// any other error (a database outage) is passed on and never taken for "logged out".
	GetUser(ctx context.Context, id string) (User, error)
}

// LastLoginUpdater is the optional part of a UserStore that [Manager.Login] uses as Django's
// user_logged_in receiver update_last_login does: it sets the user's last_login to t.
type LastLoginUpdater interface {
	UpdateLastLogin(ctx context.Context, id string, t time.Time) error
}

// ErrNotFound is djangosession.ErrNotFound: no such user (or one the backend rejects).
var ErrNotFound = djangosession.ErrNotFound

// PasswordHashFunc adapts a function that returns only the stored password hash to a
// UserStore: its users carry only ID and PasswordHash.
func (f PasswordHashFunc) GetUser(ctx context.Context, id string) (User, error) {
	pw, err := f(ctx, id)
	if err != nil {
		return User{}, err
	}
	return User{ID: id, PasswordHash: pw, IsActive: true}, nil
}

// Manager is the session side of django.contrib.auth: who is logged in (get_user), login and
// logout, on a [Session] shared with Django. The zero value of each field is Django's default,
// except Users (or PasswordHash), which is required.
//
// Go cannot run Django's signal receivers: Login does what the default user_logged_in
// receiver does (update_last_login, when Users implements LastLoginUpdater) and nothing else;
// Logout sends no user_logged_out.
type Manager struct {
	// SecretKey is SECRET_KEY, with which the session auth hash is made (required).
	SecretKey string

	// SecretKeyFallbacks is SECRET_KEY_FALLBACKS (Django 4.1+; Django default: []). A session
	// whose hash was made with a fallback is accepted and re-hashed with SecretKey, and its key
	// is cycled, as Django 4.1.8+ does. Ignored for Django 3.2, which has no fallbacks.
	SecretKeyFallbacks []string

	// AuthenticationBackends is AUTHENTICATION_BACKENDS (Django default: [ModelBackend]). A
	// session whose backend is not listed is anonymous, as in Django.
	AuthenticationBackends []string

	// Users reads the user table (see package authdb). GetUser returns its users, with every
	// field, in one query per call.
	Users UserStore

	// PasswordHash is the older, narrower form of Users: it looks up only the stored password
	// hash, and GetUser's users carry only ID and Backend. Used when Users is nil.
	PasswordHash PasswordHashFunc

	// Logger, when set, is told (at Warn level) of each session GetUser treats as anonymous
	// although it names a user: an auth hash that does not match (a changed password, or a
	// SecretKey that is not Django's). It never logs a key or a hash. Nil logs nothing.
	Logger *slog.Logger

	// DisableUpdateLastLogin keeps Login from setting last_login (as a Django project that
	// disconnects update_last_login, or whose user model has no last_login).
	DisableUpdateLastLogin bool

	// Now returns the current time for last_login (default time.Now).
	Now func() time.Time
}

// New returns a Manager for m's settings, checked now rather than at the first request: it
// fails with a *djangosession.ConfigError for an empty SecretKey (which would make every
// session anonymous, or every Go login unreadable to Django) or no user lookup.
func New(m Manager) (*Manager, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

// ErrNoBackend: Login got no backend and AuthenticationBackends lists more than one (Django's
// ValueError "You have multiple authentication backends configured...").
var ErrNoBackend = errors.New("auth: several authentication backends are configured: Login needs User.Backend")

func (a *Manager) backends() []string {
	if len(a.AuthenticationBackends) == 0 {
		return []string{ModelBackend}
	}
	return a.AuthenticationBackends
}

func (a *Manager) users() UserStore {
	if a.Users != nil {
		return a.Users
	}
	if a.PasswordHash != nil {
		return a.PasswordHash
	}
	return nil
}

func (a *Manager) check() error {
	if a.users() == nil {
		return &djangosession.ConfigError{Field: "Manager.Users", Msg: "required (a UserStore such as authdb.Users)"}
	}
	if a.SecretKey == "" {
		return &djangosession.ConfigError{Field: "Manager.SecretKey", Msg: "required"}
	}
	return nil
}

// sessionUserID reads "_auth_user_id" as a string. Django stores str(pk); an int is accepted
// too, as pk.to_python would.
func sessionUserID(s *djangosession.Session) (string, bool) {
	v, ok := s.Get(SessionKey)
	if !ok {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int:
		return strconv.Itoa(x), true
	case *big.Int:
		if x != nil {
			return x.String(), true
		}
	}
	return "", false
}

// GetUser is django.contrib.auth.get_user: the user the session is logged in as, or the zero
// User (anonymous). Like Django it checks that the backend is one of AuthenticationBackends,
// looks the user up, and compares the session's "_auth_user_hash" with the hash of the user's
// current password hash (in constant time):
//
//   - a match with SecretKey: the user;
//   - a match with a SECRET_KEY_FALLBACKS entry (4.2+): the user, and the session's key is
//     cycled and the hash rewritten with SecretKey (the session is then modified);
//   - Django 3.2 also accepts the legacy sha1 hash;
//   - no match (the password was changed, the hash is missing or forged): the user is
//     anonymous, and the session is left as it is (Logger is told why).
//
// Django flushes the session on a mismatch; Go does not, so that a Go-side mistake (a wrong
// SecretKey, a stale Users lookup) can never log a user out of Django too. This is as safe as
// Django's flush: the request is anonymous either way, and so is every later request that
// brings this session to Go (the hash is checked each time); nothing in the session is trusted
// on the way. When the mismatch is real (the password was changed), Django flushes the session
// on its own next request, or the session expires.
//
// A user who no longer exists (the lookup matches ErrNotFound) is anonymous and the session is
// left as it is, as in Django. Any other lookup or storage error is returned with the zero
// User: it does not mean "logged out".
func (a *Manager) GetUser(ctx context.Context, s *djangosession.Session) (User, error) {
	if err := a.check(); err != nil {
		return User{}, err
	}
	id, ok := sessionUserID(s)
	if !ok {
		return User{}, nil
	}
	backend, ok := s.String(BackendSessionKey)
	if !ok || !slices.Contains(a.backends(), backend) {
		return User{}, nil
	}
	user, err := a.users().GetUser(ctx, id)
	if errors.Is(err, djangosession.ErrNotFound) {
		return User{}, nil
	}
	if err != nil {
		return User{}, fmt.Errorf("auth: looking up the session's user: %w", err)
	}
	pw := user.PasswordHash
	stored, _ := s.String(HashSessionKey)
	keys := []string{a.SecretKey}
	legacy := s.DjangoVersion() == djangosession.Django32
	if !legacy {
		keys = append(keys, a.SecretKeyFallbacks...)
	}
	match, idx := VerifySessionAuthHash(stored, pw, keys, HashOptions{AcceptLegacySHA1: legacy})
	if !match {
		if a.Logger != nil {
			a.Logger.WarnContext(ctx, "auth: the session's auth hash does not match the user's password hash under SecretKey or SecretKeyFallbacks: the request is anonymous, the session is left to Django",
				"user_id", id)
		}
		return User{}, nil
	}
	if idx > 0 {
		if err := s.CycleKey(ctx); err != nil {
			return User{}, err
		}
		s.Set(HashSessionKey, SessionAuthHash(pw, a.SecretKey))
	}
	user.ID, user.Backend = id, backend
	return user, nil
}

// Login is django.contrib.auth.login for a user who has been authenticated (by Go code, or by
// Django): if the session belongs to another user, or to this user with another auth hash, it
// is flushed; if it belongs to nobody its key is cycled (against session fixation); then the
// three auth keys are set and, inside a csrf.Middleware, the CSRF token is rotated. The session is
// modified, so that the middleware saves it and sets the new cookie.
//
// user.Backend may be empty when AuthenticationBackends has a single entry (ErrNoBackend
// otherwise). The session auth hash is made from user.PasswordHash, or, when that is empty,
// from the user looked up in Users (an error matching ErrNotFound fails the login). Last,
// unless DisableUpdateLastLogin, last_login is set to now when Users is a LastLoginUpdater,
// as Django's update_last_login does; the session changes stand if that fails, as they would
// in Django (the error is returned).
func (a *Manager) Login(ctx context.Context, s *djangosession.Session, user User) error {
	if err := a.check(); err != nil {
		return err
	}
	if user.ID == "" {
		return errors.New("auth: Login needs a User with an ID")
	}
	backend := user.Backend
	if backend == "" {
		bs := a.backends()
		if len(bs) != 1 {
			return ErrNoBackend
		}
		backend = bs[0]
	}
	pw := user.PasswordHash
	if pw == "" {
		u, err := a.users().GetUser(ctx, user.ID)
		if err != nil {
			return fmt.Errorf("auth: looking up user %q: %w", truncate(user.ID), err)
		}
		pw = u.PasswordHash
	}
	hash := SessionAuthHash(pw, a.SecretKey)
	if s.Has(SessionKey) {
		cur, _ := sessionUserID(s)
		stored, _ := s.String(HashSessionKey)
		if cur != user.ID || subtle.ConstantTimeCompare([]byte(stored), []byte(hash)) != 1 {
			if err := s.Flush(ctx); err != nil {
				return err
			}
		}
	} else if err := s.CycleKey(ctx); err != nil {
		return err
	}
	s.Set(SessionKey, user.ID)
	s.Set(BackendSessionKey, backend)
	s.Set(HashSessionKey, hash)
	// login() calls rotate_token(request): inside a csrf.Middleware the CSRF secret changes
	// (a new cookie, or a new session value with CSRF_USE_SESSIONS).
	if err := csrf.RotateToken(ctx); err != nil && !errors.Is(err, csrf.ErrNoMiddleware) {
		return err
	}
	if up, ok := a.users().(LastLoginUpdater); ok && !a.DisableUpdateLastLogin {
		now := time.Now
		if a.Now != nil {
			now = a.Now
		}
		if err := up.UpdateLastLogin(ctx, user.ID, now()); err != nil {
			return fmt.Errorf("auth: updating last_login: %w", err)
		}
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Logout is django.contrib.auth.logout: the session is flushed (emptied, deleted from the cache,
// its key dropped), so that the middleware deletes the cookie.
func (a *Manager) Logout(ctx context.Context, s *djangosession.Session) error {
	return s.Flush(ctx)
}

// UpdateSessionAuthHash is django.contrib.auth.update_session_auth_hash: after the user's
// password was changed (by Go code), it cycles the session key and stores the new hash, so that
// this session stays logged in while the others are logged out. newPasswordHash is the new
// stored password hash.
func (a *Manager) UpdateSessionAuthHash(ctx context.Context, s *djangosession.Session, newPasswordHash string) error {
	if err := s.CycleKey(ctx); err != nil {
		return err
	}
	if id, _ := sessionUserID(s); id != "" {
		s.Set(HashSessionKey, SessionAuthHash(newPasswordHash, a.SecretKey))
	}
	return nil
}
