package auth

import (
	"context"
	"net/http"
	"strings"

	"github.com/djangobridge/bridge/djangosession"
)

type userCtxKey struct{}

type userState struct {
	user User
}

// UserFromContext returns the request's user as [Manager.Middleware] loaded it (Django's
// request.user), and whether the middleware ran. Outside the middleware it returns the zero
// User (anonymous) and false.
func UserFromContext(ctx context.Context) (User, bool) {
	st, _ := ctx.Value(userCtxKey{}).(*userState)
	if st == nil {
		return User{}, false
	}
	return st.user, true
}

// ContextWithUser returns ctx carrying u as the request's user, for handlers that log a user
// in (so that the rest of the request sees them) and for tests.
func ContextWithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userCtxKey{}, &userState{user: u})
}

// Middleware is AuthenticationMiddleware: it loads the request's user once, with GetUser on
// the session of [djangosession.FromContext] (so it must run inside the session middleware,
// with any engine), and passes it on in the context ([UserFromContext]). A session or
// database error is answered with 500 "auth: cannot load the user" (onError, when not nil,
// answers instead); it never becomes an anonymous user.
func (a *Manager) Middleware(next http.Handler, onError func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := a.requestUser(r)
		if err != nil {
			if onError != nil {
				onError(w, r, err)
			} else {
				http.Error(w, "auth: cannot load the user", http.StatusInternalServerError)
			}
			return
		}
		next.ServeHTTP(w, r.WithContext(ContextWithUser(r.Context(), u)))
	})
}

func (a *Manager) requestUser(r *http.Request) (User, error) {
	s, err := djangosession.FromContext(r.Context())
	if err != nil {
		return User{}, err
	}
	return a.GetUser(r.Context(), s)
}

// DefaultLoginURL is LOGIN_URL's default.
const DefaultLoginURL = "/accounts/login/"

// LoginRequired is the login_required decorator (and LoginRequiredMixin) as middleware: an
// anonymous request is sent to the login page, as redirect_to_login does
// ("LOGIN_URL?next=<path>", 302), or, when API says so, answered 401. It reads the user that
// [Manager.Middleware] put in the context. The zero value redirects to "/accounts/login/".
type LoginRequired struct {
	// LoginURL is LOGIN_URL (default "/accounts/login/"). An absolute URL on another host
	// makes next the request's absolute URL, as Django does.
	LoginURL string

	// RedirectFieldName is REDIRECT_FIELD_NAME (default "next"); "-" leaves it out.
	RedirectFieldName string

	// API, when not nil, picks the requests (an API's) that get 401 Unauthorized instead of a
	// redirect: for example func(r) bool { return strings.HasPrefix(r.URL.Path, "/api/") }.
	API func(*http.Request) bool

	// Test, when not nil, replaces "is authenticated" (user_passes_test's test_func), e.g.
	// func(u auth.User) bool { return u.IsStaff } for staff_member_required.
	Test func(User) bool
}

// Handler returns next wrapped by the check.
func (l LoginRequired) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := UserFromContext(r.Context())
		pass := u.IsAuthenticated()
		if l.Test != nil {
			pass = l.Test(u)
		}
		if pass {
			next.ServeHTTP(w, r)
			return
		}
		if l.API != nil && l.API(r) {
			w.Header().Set("WWW-Authenticate", `Session realm="django"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, l.RedirectURL(r), http.StatusFound)
	})
}

// RedirectURL is the login URL redirect_to_login builds for r: LOGIN_URL with
// "next=<quoted path>" added to its query, where the path is request.get_full_path() (or the
// absolute URL when LOGIN_URL names another scheme or host), quoted as QueryDict.urlencode
// with safe="/" does.
func (l LoginRequired) RedirectURL(r *http.Request) string {
	login := l.LoginURL
	if login == "" {
		login = DefaultLoginURL
	}
	field := l.RedirectFieldName
	if field == "" {
		field = "next"
	}
	if field == "-" {
		return login
	}
	// request.get_full_path(): escape_uri_path(path) + "?" + iri_to_uri(query).
	next := quote(r.URL.Path, "/:@&+$,-_.!~*'()")
	if r.URL.RawQuery != "" {
		next += "?" + quote(r.URL.RawQuery, "/#%[]=:;$&()+,!?*@'~-_.")
	}
	if scheme, host := splitSchemeHost(login); scheme != "" || host != "" {
		curScheme := "http"
		if r.TLS != nil {
			curScheme = "https"
		}
		if (scheme != "" && scheme != curScheme) || (host != "" && host != r.Host) {
			next = curScheme + "://" + r.Host + next
		}
	}
	base, frag, _ := strings.Cut(login, "#")
	base, query, _ := strings.Cut(base, "?")
	item := quote(field, "/_.-~") + "=" + quote(next, "/_.-~")
	if query != "" {
		query += "&" + item
	} else {
		query = item
	}
	out := base + "?" + query
	if frag != "" {
		out += "#" + frag
	}
	return out
}

func splitSchemeHost(u string) (scheme, host string) {
	if i := strings.Index(u, "://"); i > 0 && !strings.ContainsAny(u[:i], "/?#") {
		scheme = u[:i]
		rest := u[i+3:]
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			rest = rest[:j]
		}
		return scheme, rest
	}
	if strings.HasPrefix(u, "//") {
		rest := u[2:]
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			rest = rest[:j]
		}
		return "", rest
	}
	return "", ""
}

// quote is urllib.parse.quote(s, safe): bytes other than A-Za-z0-9 and those in safe become
// %XX.
func quote(s, safe string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(safe, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
