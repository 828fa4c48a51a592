package signing_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/signing"

	"github.com/djangobridge/bridge/djangosession"
)

// signingExampleClock is the fake clock of the examples: 2023-11-14T22:13:20Z.
func signingExampleClock() time.Time { return time.Unix(1700000000, 0) }

func ExampleSigner_Sign() {
	s := signing.Signer{Key: "s3cr3t"} // Django: Signer() with SECRET_KEY = "s3cr3t"
	signed, err := s.Sign("hello")
	if err != nil {
		panic(err)
	}
	fmt.Println(signed)
	v, err := s.Unsign(signed)
	fmt.Println(v, err)
	_, err = s.Unsign("jello" + signed[5:])
	fmt.Println(errors.Is(err, signing.ErrBadSignature))
	// Output:
	// hello:l2f8K5rQ595PYpS1_yLbRESMa6ctFhkjTr0lDieVxnk
	// hello <nil>
	// true
}

func ExampleSigner_UnsignKey() {
	// A value signed before the key was rotated; SECRET_KEY_FALLBACKS = ["old"].
	old, _ := signing.Signer{Key: "old"}.Sign("hello")
	s := signing.Signer{Key: "new", FallbackKeys: []string{"old"}}
	v, keyIndex, err := s.UnsignKey(old)
	fmt.Println(v, keyIndex, err)
	// Output: hello 1 <nil>
}

func ExampleTimestampSigner_Unsign() {
	s := signing.TimestampSigner{Signer: signing.Signer{Key: "s3cr3t"}, Now: signingExampleClock}
	signed, _ := s.Sign("hello")
	fmt.Println(signed)

	s.Now = func() time.Time { return signingExampleClock().Add(12 * time.Second) }
	_, err := s.Unsign(signed, 10*time.Second)
	fmt.Println(err)
	fmt.Println(errors.Is(err, signing.ErrSignatureExpired), errors.Is(err, signing.ErrBadSignature))
	// Output:
	// hello:1r31eq:WO_nL_Ev0H52km-MtKbQdxrgi0_a72kaQQs8AZBkirc
	// signing: signature expired: signature age 12s > 10s
	// true true
}

func ExampleLoads() {
	s, err := signing.Dumps("hello", signing.DumpsOptions{Key: "s3cr3t", Now: signingExampleClock})
	fmt.Println(s, err)
	v, err := signing.Loads(s, signing.LoadsOptions{Key: "s3cr3t", MaxAge: time.Hour, Now: signingExampleClock})
	fmt.Println(v, err)
	// Output:
	// ImhlbGxvIg:1r31eq:daMs7XOg3QadBmYPg7vblZ1klxEkf_vIzF1vqMO7oa4 <nil>
	// hello <nil>
}

func ExampleDecodeSessionData() {
	// The session_data column of a django_session row (db and cached_db backends).
	opts := djangosession.SessionDataOptions{SecretKey: "s3cr3t"}
	d, err := djangosession.DecodeSessionData("eyJhIjoxLCJfYXV0aF91c2VyX2lkIjoiNDIifQ:1r31eq:3VHkgMZbNsw7htDOpAEF9wBGBiKyDJPi0m5tSXXIvYE", opts)
	if err != nil {
		panic(err)
	}
	uid, _ := d.String("_auth_user_id")
	fmt.Println(d.Len(), uid)

	// Django would silently use an empty session; Go says why.
	_, err = djangosession.DecodeSessionData("not a session", opts)
	fmt.Println(errors.Is(err, signing.ErrBadSignature))
	// Output:
	// 2 42
	// true
}

func ExampleEncodeSignedCookieSession() {
	opts := djangosession.SignedCookieOptions{SecretKey: "s3cr3t", Now: signingExampleClock}
	cookie, err := djangosession.EncodeSignedCookieSession(py.DictOf("a", int64(1)), opts)
	fmt.Println(cookie, err)

	// Two weeks (SESSION_COOKIE_AGE) and one second later, the cookie has expired.
	opts.Now = func() time.Time {
		return signingExampleClock().Add(djangosession.DefaultSessionCookieAge + time.Second)
	}
	_, err = djangosession.DecodeSignedCookieSession(cookie, opts)
	fmt.Println(errors.Is(err, signing.ErrSignatureExpired))
	// Output:
	// eyJhIjoxfQ:1r31eq:905b6WpZHJ2u6tY9DA5PXMA2CYOBt-xPMDFAjqD2BUo <nil>
	// true
}

func ExampleVerifySessionAuthHash() {
	password := "pbkdf2_sha256$1$salt$hash" // the user's stored password field
	stored := auth.SessionAuthHash(password, "old-key")

	// SECRET_KEY = "new-key", SECRET_KEY_FALLBACKS = ["old-key"].
	ok, keyIndex := auth.VerifySessionAuthHash(stored, password, []string{"new-key", "old-key"}, auth.HashOptions{})
	fmt.Println(ok, keyIndex)
	if ok && keyIndex > 0 {
		// As Django 4.1.8+ does: cycle the session key and store the current hash.
		fmt.Println(auth.SessionAuthHash(password, "new-key") != stored)
	}
	// Output:
	// true 1
	// true
}
