// Package csrf is Django's CSRF protection (django.middleware.csrf) for Go services that run
// behind the same domain as a Django app: a Go handler accepts the tokens of forms Django
// rendered, and hands out tokens Django accepts, in both of Django's modes: the secret in the
// csrftoken cookie (Django's default) or in the session (CSRF_USE_SESSIONS, with djangosession's
// Middleware). Config.DjangoVersion selects the behaviour of Django 3.2, 4.2, 5.2, 6.0 or 6.1,
// down to the rejection reasons, which are Django's strings.
//
// The core of the package imports only the standard library and djangosession.
//
// # Django names
//
//	Django                                  Go
//	CsrfViewMiddleware                      Middleware, New(Config)
//	  process_request/process_response      Middleware.Handler (the cookie goes out before the first byte)
//	  process_view                          Middleware.Check (also usable alone)
//	get_token(request)                      Middleware.Token(w, r), GetToken(ctx)
//	rotate_token(request) (auth's login)    Middleware.Rotate(w, r), RotateToken(ctx)
//	csrf_exempt                             Exempt(h)
//	ensure_csrf_cookie                      Middleware.EnsureCookie(h)
//	CSRF_FAILURE_VIEW (reason=...)          Config.CSRFFailureView, Failure(r)
//	REASON_* constants                      Reason* constants; *Error{Reason}, ErrForbidden
//	_mask_cipher_secret                     Mask
//	_unmask_cipher_token                    Unmask
//	CSRF_SESSION_KEY "_csrftoken"           SessionKey
//	CSRF_COOKIE_NAME, CSRF_COOKIE_AGE,      Config.CSRFCookieName, CSRFCookieAge,
//	CSRF_COOKIE_DOMAIN, CSRF_COOKIE_PATH,   CSRFCookieDomain, CSRFCookiePath,
//	CSRF_COOKIE_SECURE, CSRF_COOKIE_HTTPONLY, CSRFCookieSecure, CSRFCookieHTTPOnly,
//	CSRF_COOKIE_SAMESITE, CSRF_HEADER_NAME, CSRFCookieSameSite, CSRFHeaderName,
//	CSRF_TRUSTED_ORIGINS, CSRF_USE_SESSIONS, CSRFTrustedOrigins, CSRFUseSessions,
//	CSRF_COOKIE_MASKED (4.2)                CSRFCookieMasked
//	SESSION_COOKIE_DOMAIN                   Config.SessionCookieDomain
//	request.is_secure() (SECURE_PROXY_SSL_HEADER)  Config.IsSecure, ProxySSLHeader
//	request.get_host(), request.get_port()  Config.GetHost, Config.GetPort
//	DATA_UPLOAD_MAX_MEMORY_SIZE             Config.MaxBodyBytes
//	django.utils.http.is_same_domain        (unexported; only the pattern is lowered, as in Django)
//
// # What a request needs
//
// GET, HEAD, OPTIONS and TRACE pass. Any other method needs, in this order:
//
//   - Django 4.0+: an Origin header, if there is one, equal to the request's own origin
//     ("https://" or "http://" by IsSecure, then the host) or to a trusted origin, or matching
//     a wildcard trusted origin ("https://*.example.com") of the same scheme.
//   - Over HTTPS without Origin (Django 3.2: over HTTPS, Origin or not): a Referer that is
//     well-formed, https, and whose host is a trusted origin's, or the cookie domain
//     (SESSION_COOKIE_DOMAIN in session mode) with the port unless 443/80, or else the
//     request's host.
//   - A secret: the csrftoken cookie (32 characters, or 64 when masked) or the session's
//     "_csrftoken".
//   - A token for that secret in the csrfmiddlewaretoken field of a form POST body
//     (application/x-www-form-urlencoded or multipart/form-data; the last value wins, as in
//     Django's QueryDict), else in the CSRF_HEADER_NAME header (X-CSRFToken). Tokens of both
//     forms are accepted: the 64-character masked token of a form, or the 32-character secret
//     JavaScript reads from the cookie. Comparison is constant-time.
//
// Headers and cookies are read as a WSGI server hands them to Django (bytes as latin-1), form
// fields as Django decodes the body (UTF-8): lengths in the reasons, and a non-ASCII Origin or
// Referer quoted in one, come out as in Django.
//
// # Differences between Django versions
//
//   - 3.2 has no Origin check; CSRF_TRUSTED_ORIGINS holds hosts ("example.com",
//     ".example.com") matched against the Referer's host. 4.0+ hold origins with a scheme
//     (system check 4_0.E001 otherwise, which New reports) and check Origin first.
//   - 3.2 has one token reason, "CSRF token missing or incorrect."; 4.0+ say "CSRF token
//     missing.", "CSRF token from POST incorrect.", "CSRF token from the 'X-Csrftoken' HTTP
//     header has incorrect length.", "CSRF cookie has invalid characters.", and so on.
//   - 3.2 keeps a masked 64-character token in the cookie (and session) and replaces a bad
//     cookie value silently with a random token (the request then fails as incorrect); 4.0+
//     keep the 32-character secret, fail a bad cookie with "CSRF cookie has ..." and send a new
//     cookie with every response to a request that carried a bad one.
//   - 3.2 sends the cookie again when get_token or rotate_token was called (CSRF_COOKIE_USED);
//     4.0+ when CSRF_COOKIE_NEEDS_UPDATE is set (the same calls, plus the bad-cookie case).
//   - 4.2 with CSRF_COOKIE_MASKED writes a new cookie masked (New rejects the setting for other
//     versions, where Django ignores or lacks it).
//   - 3.2 and 4.2 parse the Referer with urlparse, whose geturl() in REASON_BAD_REFERER drops
//     a ";" ending the path ("https://evil.example/p;" is reported as ".../p"); 5.0+ use
//     urlsplit and keep it.
//   - Django 4.2+ run on Pythons (3.11+) whose urlsplit rejects a bracketed host that is not
//     an IPv6 address ("https://[bad]/": the Referer is malformed) and takes a scheme only
//     when it starts with a letter; on 3.2 (Python 3.10) "[bad]" is compared, and fails as
//     not matching. urlsplit and geturl are checked against each venv's Python on generated
//     URLs (TestURLSplitAgainstPython).
//   - ProxySSLHeader: 4.0+ compare the first comma-separated value of the header, 3.2 the
//     whole value.
//
// # Where Go differs from Django
//
//   - Django 3.2 answers 500 for a Referer with unbalanced brackets (an uncaught ValueError);
//     Go rejects it as malformed. A session "_csrftoken" that is a 64-character value with
//     characters outside AllowedChars makes Django 4.0+ fail with 500; Go treats it as no
//     secret.
//   - Django 4.2 with CSRF_COOKIE_MASKED gives a token of the wrong secret when get_token is
//     called twice in a request that had no cookie (it masks the masked cookie); Token gives a
//     token of the secret.
//   - The body limit (MaxBodyBytes) applies to the whole body of a form POST, multipart
//     uploads included; Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves out file parts.
//   - ALLOWED_HOSTS is not checked (see Config.GetHost): Django's CommonMiddleware rejects a
//     disallowed host with 400 before CSRF runs.
package csrf
