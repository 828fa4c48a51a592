package djangosession

import (
	"github.com/djangobridge/bridge/pyjson"
	"github.com/djangobridge/bridge/signing"
)

// Signed cookies (django.contrib.sessions.backends.signed_cookies) have no storage: the
// session's key is signing.dumps(session, compress=True, salt=SignedCookieSalt), so the cookie
// is the session. The Store has no engine for them; these are the SessionStore methods that
// differ from SessionBase.

func (st *Store) signedCookieOptions() SignedCookieOptions {
	return SignedCookieOptions{SecretKey: st.cfg.SecretKey, SecretKeyFallbacks: st.cfg.SecretKeyFallbacks,
		Serializer: st.cfg.serializer, SessionCookieAge: st.cfg.SessionCookieAge, Now: st.cfg.Now,
		Django32: st.cfg.version == 0, MaxDecompressedSize: st.cfg.MaxDecompressedSize}
}

// loadSignedCookie is load(): signing.loads of the cookie with max_age = SESSION_COOKIE_AGE.
// The cookie comes from the client: any failure (forged, expired, undecodable) is Django's
// empty session, which Django marks modified (load() calls create()) and keeps the key of.
//
// Under the JSON serializer the cookie is read lazily, as session_data (see Store.decodeData).
func (st *Store) loadSignedCookie(cookie string) (stored, error) {
	opts := st.signedCookieOptions()
	if _, ok := opts.Serializer.(signing.JSONSerializer); ok {
		opts.Serializer = signing.LazyJSONSerializer{}
	}
	v, _, err := decodeSignedCookieValue(cookie, opts)
	if err != nil {
		return stored{}, err
	}
	if o, ok := v.(*pyjson.Object); ok {
		return stored{lazy: o}, nil
	}
	d, err := asDict(v)
	if err != nil {
		return stored{}, err
	}
	return stored{dict: d}, nil
}

// saveSignedCookie is save(): the session's new key is the signed session, and the session is
// modified so that the middleware sets the cookie.
func (s *Session) saveSignedCookie() error {
	opts := s.store.signedCookieOptions()
	d, ser, err := s.jsonToWrite(opts.Serializer)
	if err != nil {
		return err
	}
	opts.Serializer = ser
	key, err := EncodeSignedCookieSession(d, opts)
	if err != nil {
		return err
	}
	s.key = key
	s.touch()
	return nil
}
