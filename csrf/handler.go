package csrf

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
)

// Handler returns next wrapped by the CSRF middleware, Django's CsrfViewMiddleware around a
// view: process_request reads the request's secret, the check ([Middleware.Check]) runs unless
// the method is safe or the handler is exempt ([Exempt]), and the response carries the cookie
// (or the session carries the secret) when a token was handed out ([Middleware.Token]) or the
// secret changed ([Middleware.Rotate], or a malformed cookie replaced).
//
// The cookie is added when the handler writes the response header (its first Write,
// WriteHeader or Flush) or returns without writing, so Token and Rotate must come before the
// first byte. In session mode Handler must be inside djangosession's Middleware.Handler, which
// then saves the session; as in Django, the session is read on every request.
//
// A rejected request is answered by Config.CSRFFailureView (default: 403 Forbidden with
// Django's reason in a text/plain body); ErrBodyTooLarge and ErrMalformedBody by 400 Bad
// Request; a session that cannot be loaded by 500 (which djangosession's Middleware replaces
// with its ErrorFunc's answer); an invalid Config by 500 on every request (use [New] to find
// it at start-up).
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return m.wrap(next, true)
}

// EnsureCookie is Django's ensure_csrf_cookie: h is served as under Handler, and the response
// carries the CSRF cookie even if h did not ask for a token (a page whose JavaScript reads
// the cookie for the X-CSRFToken header). Like the decorator, it does not check the request
// itself; inside Handler it only asks for the token.
func (m *Middleware) EnsureCookie(h http.Handler) http.Handler {
	ensure := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := m.Token(w, r); err != nil {
			serverError(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
	return m.wrap(ensure, false)
}

// exemptHandler is a handler marked by Exempt.
type exemptHandler struct{ h http.Handler }

func (e exemptHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Context().Value(exemptKey{}) == nil {
		r = r.WithContext(context.WithValue(r.Context(), exemptKey{}, true))
	}
	e.h.ServeHTTP(w, r)
}

// Exempt is Django's csrf_exempt: requests served by h are not checked. The cookie logic still
// applies, so a token handed out by h is still set. Handler sees the mark when Exempt(h) is
// the handler it wraps, when it is registered on an *http.ServeMux (or any router with
// ServeMux's Handler(*http.Request) method) that Handler wraps directly, or when Exempt
// wraps Handler (Exempt(m.Handler(h))). Behind another router Handler cannot see the route:
// give that router Handler per route, or mount the exempt routes outside Handler.
func Exempt(h http.Handler) http.Handler { return exemptHandler{h} }

// router is the lookup method of *http.ServeMux.
type router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

func isExempt(next http.Handler, r *http.Request) bool {
	if r.Context().Value(exemptKey{}) != nil {
		return true
	}
	if _, ok := next.(exemptHandler); ok {
		return true
	}
	if rt, ok := next.(router); ok {
		h, _ := rt.Handler(r)
		_, ok := h.(exemptHandler)
		return ok
	}
	return false
}

// wrap is the middleware around next, with or without the check. Inside another wrap of the
// same Middleware (Handler around EnsureCookie, or Handler twice) it shares the outer one's
// state, which sets the cookie, and checks a request only once (Django's
// csrf_processing_done).
func (m *Middleware) wrap(next http.Handler, check bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := m.settings()
		if err != nil {
			serverError(w, r, err)
			return
		}
		if st := m.ownState(r); st != nil {
			if check && !st.checked && !isExempt(next, r) {
				if err := m.Check(r); err != nil {
					m.deny(w, r, err)
					return
				}
				st.checked = true
			}
			next.ServeHTTP(w, r)
			return
		}
		st, err := m.processRequest(s, r)
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		cw := &responseWriter{ResponseWriter: w, m: m, s: s, st: st}
		if err == nil && check && !isExempt(next, r) {
			if err = m.Check(r); err == nil {
				st.checked = true
			}
		}
		if err != nil {
			m.deny(cw, r, err)
		} else {
			next.ServeHTTP(cw, r)
		}
		if !cw.committed {
			cw.commit()
		}
	})
}

// deny answers a request that failed the check.
func (m *Middleware) deny(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
		if m.s.CSRFFailureView != nil {
			m.s.CSRFFailureView.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), failureKey{}, e)))
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("Forbidden (403)\nCSRF verification failed. Request aborted.\n\nReason given for failure:\n    " + e.Reason + "\n"))
	case errors.Is(err, ErrBodyTooLarge), errors.Is(err, ErrMalformedBody):
		http.Error(w, "Bad Request (400)", http.StatusBadRequest)
	default:
		serverError(w, r, err)
	}
}

func serverError(w http.ResponseWriter, _ *http.Request, _ error) {
	http.Error(w, "Server Error (500)", http.StatusInternalServerError)
}

// Token is Django's get_token(request): a fresh masked token of the request's secret, for a
// form's csrfmiddlewaretoken field or an X-CSRFToken header. A request without a secret gets
// a new one. Either way the response (re)sends the cookie, or in session mode the session
// gets the secret, when the handler writes its header; w is the ResponseWriter the handler
// was given. It fails with ErrNoMiddleware outside Handler, and with ErrHeaderWritten after
// the header was written.
func (m *Middleware) Token(w http.ResponseWriter, r *http.Request) (string, error) {
	s, st, err := m.requestState(r)
	if err != nil {
		return "", err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.committed {
		return "", ErrHeaderWritten
	}
	return m.getToken(s, st)
}

// Rotate is Django's rotate_token(request), which django.contrib.auth's login calls: the
// request gets a new secret, sent with the response; tokens of the old one stop working. It
// fails as Token does.
func (m *Middleware) Rotate(w http.ResponseWriter, r *http.Request) error {
	s, st, err := m.requestState(r)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.committed {
		return ErrHeaderWritten
	}
	return m.rotate(s, st)
}

// GetToken is Token for code that has the request's context but not its Middleware (a
// template helper): Django's get_token on the request of ctx, which must come from a request
// inside a Handler (or EnsureCookie). It fails as Token does.
func GetToken(ctx context.Context) (string, error) {
	st, _ := ctx.Value(stateKey{}).(*state)
	if st == nil {
		return "", ErrNoMiddleware
	}
	return st.owner.Token(nil, (&http.Request{}).WithContext(ctx))
}

// RotateToken is Rotate for code that has the request's context but not its Middleware: an
// auth package's login, as django.contrib.auth.login calls rotate_token(request). It fails
// with ErrNoMiddleware when ctx is not from a request inside a Handler (or EnsureCookie).
func RotateToken(ctx context.Context) error {
	st, _ := ctx.Value(stateKey{}).(*state)
	if st == nil {
		return ErrNoMiddleware
	}
	return st.owner.Rotate(nil, (&http.Request{}).WithContext(ctx))
}

func (m *Middleware) requestState(r *http.Request) (*settings, *state, error) {
	s, err := m.settings()
	if err != nil {
		return nil, nil, err
	}
	st := m.ownState(r)
	if st == nil {
		return nil, nil, ErrNoMiddleware
	}
	if st.sessErr != nil {
		return nil, nil, st.sessErr
	}
	return s, st, nil
}

// responseWriter runs process_response before the first byte of the response.
type responseWriter struct {
	http.ResponseWriter
	m         *Middleware
	s         *settings
	st        *state
	committed bool
}

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) commit() {
	w.committed = true
	w.m.processResponse(w.s, w.st, w.ResponseWriter.Header())
}

// WriteHeader sets the cookie, then sends the header. Informational (1xx) headers other than
// 101 pass through.
func (w *responseWriter) WriteHeader(code int) {
	if !w.committed && (code < 100 || code > 199 || code == http.StatusSwitchingProtocols) {
		w.commit()
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write sets the cookie (status 200 unless WriteHeader was called) and writes b.
func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.committed {
		w.commit()
	}
	return w.ResponseWriter.Write(b)
}

// Flush sets the cookie and flushes the response, through http.ResponseController.
func (w *responseWriter) Flush() { _ = w.FlushError() }

// FlushError is Flush that reports the error of the wrapped writer.
func (w *responseWriter) FlushError() error {
	if !w.committed {
		w.commit()
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection to the handler; no cookie is set.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.committed = true
	w.st.mu.Lock()
	w.st.committed = true
	w.st.mu.Unlock()
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
