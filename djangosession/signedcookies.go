package djangosession

import "github.com/djangobridge/bridge/py"

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
func (st *Store) loadSignedCookie(cookie string) (*py.Dict, error) {
	d, err := DecodeSignedCookieSession(cookie, st.signedCookieOptions())
	if err != nil {
		return nil, err
	}
	return d, nil
}

// saveSignedCookie is save(): the session's new key is the signed session, and the session is
// modified so that the middleware sets the cookie.
func (s *Session) saveSignedCookie() error {
	key, err := EncodeSignedCookieSession(s.session(), s.store.signedCookieOptions())
	if err != nil {
		return err
	}
	s.key = key
	s.touch()
	return nil
}
