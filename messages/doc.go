// Package messages is django.contrib.messages: the flash messages a Django app shows on its
// next page, read and written exactly as each Django version's storages do, so that a message
// added in Go shows on Django's next page and the other way round.
//
// # Storages
//
// MESSAGE_STORAGE decides where the messages wait between requests; [Config].MessageStorage
// names the same three classes, and [Middleware] serves each:
//
//	MESSAGE_STORAGE                          Go               where the messages are
//	storage.fallback.FallbackStorage         FallbackStorage  the "messages" cookie, then the session
//	  (Django's default, startproject's)                      for what does not fit in 2048 bytes
//	storage.cookie.CookieStorage             CookieStorage    the "messages" cookie; the oldest
//	                                                          messages that do not fit are dropped
//	storage.session.SessionStorage           SessionStorage   the session's "_messages"
//
// With FallbackStorage, the cookie is read first, and the session only when the cookie ends with
// the "__messagesnotfinished__" sentinel: messages put in the session alone (with [Add], or by a
// Go service that assumed SessionStorage) stay invisible to a Django on the default setting.
// Use the middleware, which writes where Django reads.
//
// The cookie is signed with get_cookie_signer(salt="django.contrib.messages"): a
// TimestampSigner (SIGNING_BACKEND's default) keyed with "django.http.cookies" + SECRET_KEY,
// whose payload is the compact MessageEncoder JSON, zlib-compressed when that is shorter. Its
// attributes are SESSION_COOKIE_DOMAIN, SECURE, HTTPONLY and SAMESITE; it has no Max-Age. An
// emptied cookie is deleted (Max-Age=0). A forged, foreign or unreadable cookie is ignored, as
// in Django; a value longer than 4096 bytes (twice what Django writes) is not even verified.
//
// # Django names
//
//	Django                                  Go
//	MessageMiddleware                       Middleware, New(Config), Middleware.Handler
//	messages.add_message(request, ...)      AddTo(ctx, Message) (drops levels below MESSAGE_LEVEL, as Django)
//	iterating get_messages(request)         Get(ctx) (marks the messages read)
//	MESSAGE_STORAGE, MESSAGE_LEVEL          Config.MessageStorage, Config.MessageLevel
//	SECRET_KEY, SECRET_KEY_FALLBACKS        Config.SecretKey, Config.SecretKeyFallbacks
//	SESSION_COOKIE_DOMAIN/SECURE/           Config.SessionCookieDomain, SessionCookieSecure,
//	  HTTPONLY/SAMESITE                       DisableSessionCookieHTTPOnly, SessionCookieSameSite
//	CookieStorage._encode / _decode         Middleware.EncodeCookie / DecodeCookie
//	CookieStorage.cookie_name, ...          CookieName, MaxCookieSize, NotFinished, CookieSalt
//	SessionStorage on a session alone       Add (appends), Pop (consumes), Peek (does not)
//	Message, its level constants            Message, Debug, Info, Success, Warning, Error
//	MessageEncoder / MessageDecoder         Encode / Decode (the session's JSON string)
//
// Order the middlewares as Django's MIDDLEWARE does, the session outside:
//
//	sessions.Handler(msgs.Handler(mux))
//
// The messages are stored when the handler first writes the response (Write, WriteHeader,
// Flush) or returns: the cookie is set before the first byte, and the session is changed before
// djangosession's Middleware saves it.
//
// # Differences between Django versions
//
//   - extra_tags: 3.2 writes it only when it is not empty (an empty one reads back as None);
//     4.2+ whenever it is not None.
//   - A full cookie: 3.2 and 4.2 drop one message at a time until the rest and the sentinel fit;
//     5.2+ find the cut by bisection. The cookies are the same unless compression makes the
//     size jump; each version's rule is followed.
//   - 3.2 also reads the cookies of Django 3.0 and 3.1: "hash$json" (salted SHA1 HMAC of
//     SECRET_KEY) and signed plain JSON, and SHA1 signatures. It has no SECRET_KEY_FALLBACKS.
//     Go signs with SHA256, 3.2's default DEFAULT_HASHING_ALGORITHM; a 3.2 app that set it to
//     "sha1" does not accept those cookies.
//
// SIGNING_BACKEND is taken to be Django's default (TimestampSigner), and MESSAGE_TAGS the
// default tags ([Message.Tags]).
//
// Where Django fails with a 500 (a validly signed cookie whose content is not messages, a
// session "_messages" that is not JSON), Go ignores the cookie and reports the session's error
// from Get and AddTo.
package messages
