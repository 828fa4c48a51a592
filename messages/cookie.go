package messages

import (
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/internal/pycookie"
	"github.com/djangobridge/bridge/signing"
)

// CookieStorage's constants (django/contrib/messages/storage/cookie.py, the same in every
// supported version).
const (
	// CookieName is CookieStorage.cookie_name.
	CookieName = "messages"
	// MaxCookieSize is CookieStorage.max_cookie_size: the longest cookie value Django writes;
	// the messages that do not fit go to the session (FallbackStorage) or are dropped
	// (CookieStorage alone).
	MaxCookieSize = 2048
	// NotFinished is CookieStorage.not_finished: the last element of a cookie whose messages
	// did not all fit. FallbackStorage then reads the session too.
	NotFinished = "__messagesnotfinished__"
	// CookieSalt is CookieStorage.key_salt, the salt of get_cookie_signer.
	CookieSalt = "django.contrib.messages"
)

// maxReadCookie bounds the cookie values DecodeCookie reads: twice what Django writes. A longer
// value cannot come from Django and is not verified.
const maxReadCookie = 2 * MaxCookieSize

// maxInflate bounds what a compressed cookie may inflate to: deflate expands at most about
// 1032 times, so no cookie of maxReadCookie bytes that Django wrote inflates past this.
const maxInflate = 4 << 20

// ErrCookieTooLarge: a messages cookie longer than any Django writes (twice MaxCookieSize);
// it is not verified, and matches signing.ErrBadSignature as Django would reject it.
var ErrCookieTooLarge = fmt.Errorf("messages: cookie longer than %d bytes: %w", maxReadCookie, signing.ErrBadSignature)

// signer is get_cookie_signer(salt="django.contrib.messages") for the configured SECRET_KEY:
// a SIGNING_BACKEND (default: TimestampSigner) keyed with "django.http.cookies" + SECRET_KEY
// (and each of SECRET_KEY_FALLBACKS on 4.1+). The timestamp is written, and never checked.
func (m *Middleware) signer() signing.TimestampSigner {
	s := signing.TimestampSigner{Signer: signing.Signer{Key: "django.http.cookies" + m.cfg.SecretKey, Salt: CookieSalt}, Now: m.cfg.Now}
	for _, k := range m.cfg.SecretKeyFallbacks {
		s.FallbackKeys = append(s.FallbackKeys, "django.http.cookies"+k)
	}
	if m.v == v32 {
		s.LegacyAlgorithm = "sha1" // Signer.legacy_algorithm (RemovedInDjango40Warning)
	}
	return s
}

// rawJSON passes already serialized bytes through Signer.SignObject (Django's
// MessagePartGatherSerializer) and hands back the verified bytes from UnsignObject.
type rawJSON struct{}

func (rawJSON) Dumps(v any) ([]byte, error) { return v.([]byte), nil }
func (rawJSON) Loads(b []byte) (any, error) { return append([]byte(nil), b...), nil }

// appendCookieMessage appends json.dumps(m, separators=(",", ":"), cls=MessageEncoder).
func appendCookieMessage(b *strings.Builder, m Message, legacy bool) {
	safe := "0"
	if m.Safe {
		safe = "1"
	}
	b.WriteString(`["` + messageKey + `",` + safe + "," + fmt.Sprint(m.Level) + ",")
	writePyJSONString(b, m.Message)
	if (legacy && m.ExtraTags != "") || (!legacy && !m.NilExtraTags) {
		b.WriteByte(',')
		writePyJSONString(b, m.ExtraTags)
	}
	b.WriteByte(']')
}

// cookieParts is MessagePartSerializer().dumps(messages): each message as compact JSON.
func (m *Middleware) cookieParts(msgs []Message) ([]string, error) {
	parts := make([]string, len(msgs))
	for i, msg := range msgs {
		if !utf8.ValidString(msg.Message) || !utf8.ValidString(msg.ExtraTags) {
			return nil, fmt.Errorf("messages: message %d is not valid UTF-8", i)
		}
		var b strings.Builder
		appendCookieMessage(&b, msg, m.v == v32)
		parts[i] = b.String()
	}
	return parts, nil
}

// signParts is CookieStorage._encode_parts: "[" + ",".join(parts) + "]" (and the sentinel),
// latin-1, zlib when that saves more than a byte, URL-safe base64, signed.
func (m *Middleware) signParts(parts []string, notFinished bool) (string, error) {
	var b strings.Builder
	b.WriteByte('[')
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p)
	}
	if notFinished {
		if len(parts) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + NotFinished + `"`)
	}
	b.WriteByte(']')
	return m.signer().SignObject([]byte(b.String()), signing.ObjectOptions{Serializer: rawJSON{}, Compress: true})
}

// EncodeCookie is CookieStorage._encode(messages): the signed value of the messages cookie,
// with the NotFinished sentinel after the messages when notFinished is set. The value carries
// the signing time (Config.Now), which Django never checks. It fails for a
// message that is not valid UTF-8 and, like every signing error, for an empty SecretKey.
func (m *Middleware) EncodeCookie(msgs []Message, notFinished bool) (string, error) {
	parts, err := m.cookieParts(msgs)
	if err != nil {
		return "", err
	}
	return m.signParts(parts, notFinished)
}

// storeCookie is CookieStorage._store(messages, response, remove_oldest): the cookie value
// ("" when there is nothing to store: the cookie is deleted) and the messages that did not
// fit, which are the oldest ones when removeOldest is set (CookieStorage alone) and the newest
// ones otherwise (FallbackStorage, which passes them to the session). Django 3.2 and 4.2 drop
// one message at a time; 5.0+ bisect. Both keep the cookie, as http.cookies would quote it,
// within MaxCookieSize.
func (m *Middleware) storeCookie(msgs []Message, removeOldest bool) (value string, unstored []Message, err error) {
	if len(msgs) == 0 {
		return "", nil, nil
	}
	parts, err := m.cookieParts(msgs)
	if err != nil {
		return "", nil, err
	}
	value, err = m.signParts(parts, false)
	if err != nil || len(pycookie.Quote(value)) <= MaxCookieSize {
		return value, nil, err
	}
	var ferr error
	tooLarge := func(parts []string) bool {
		v, err := m.signParts(parts, true)
		if err != nil {
			ferr = err
			return false
		}
		value = v
		return len(pycookie.Quote(v)) > MaxCookieSize
	}
	n := len(parts)
	var keepFrom, keepTo int // the messages kept: msgs[keepFrom:keepTo]
	if m.v <= v42 {
		// while stored_length(encoded_data) > max_cookie_size: pop one, re-encode.
		keepFrom, keepTo = 0, n
		for {
			if removeOldest {
				keepFrom++
			} else {
				keepTo--
			}
			if !tooLarge(parts[keepFrom:keepTo]) || ferr != nil {
				break
			}
		}
	} else if removeOldest {
		// bisect_keep_right
		lo, hi := 0, n
		for lo < hi {
			mid := (lo + hi) / 2
			if tooLarge(parts[mid:]) {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		keepFrom, keepTo = lo, n
		tooLarge(parts[keepFrom:keepTo])
	} else {
		// bisect_keep_left
		lo, hi := 0, n
		for lo < hi {
			mid := (lo + hi) / 2
			if tooLarge(parts[:mid+1]) {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		keepFrom, keepTo = 0, lo
		tooLarge(parts[keepFrom:keepTo])
	}
	if ferr != nil {
		return "", nil, ferr
	}
	unstored = append(append([]Message(nil), msgs[:keepFrom]...), msgs[keepTo:]...)
	return value, unstored, nil
}

// DecodeCookie is CookieStorage._decode followed by _get's look at the sentinel: the messages
// of a messages cookie value, and whether it ends with the NotFinished sentinel (removed from
// msgs). A forged or foreign cookie fails with an error matching signing.ErrBadSignature; one
// whose signature is valid but whose content Django would not read as messages matches
// djangosession.ErrCorrupt. Django ignores both (and so does [Middleware]). Django 3.2 also
// reads what 3.0 and 3.1 wrote: "hash$json" with a salted SHA1 HMAC, and signed plain JSON.
func (m *Middleware) DecodeCookie(value string) (msgs []Message, notFinished bool, err error) {
	if len(value) > maxReadCookie {
		return nil, false, ErrCookieTooLarge
	}
	s := m.signer()
	v, err := s.UnsignObject(value, 0, signing.ObjectOptions{Serializer: rawJSON{}, MaxDecompressedSize: maxInflate})
	if err == nil {
		msgs, notFinished, err = decodeCookieJSON(latin1(v.([]byte)))
		if err == nil || m.v != v32 {
			return msgs, notFinished, err
		}
	}
	if m.v != v32 {
		return nil, false, cookieError(err)
	}
	if errors.Is(err, signing.ErrBadSignature) {
		// _legacy_decode: "hash$value", hash = salted_hmac(key_salt, value).hexdigest() (SHA1,
		// SECRET_KEY).
		hash, data, ok := strings.Cut(value, "$")
		if !ok {
			return nil, false, fmt.Errorf("messages: cookie: %w", err)
		}
		mac, herr := signing.SaltedHMAC(CookieSalt, data, m.cfg.SecretKey, "sha1")
		if herr != nil || !hmac.Equal([]byte(hash), []byte(hex.EncodeToString(mac))) {
			return nil, false, fmt.Errorf("messages: cookie: %w", err)
		}
		return decodeCookieJSON(data)
	}
	// binascii.Error or JSONDecodeError: Django 3.2 reads signer.unsign(data) as plain JSON.
	data, uerr := s.Unsign(value, 0)
	if uerr != nil {
		return nil, false, cookieError(uerr)
	}
	return decodeCookieJSON(data)
}

// cookieError wraps an error of the signing package: a bad signature stays one; anything
// else (bad base64, zlib, timestamp) is a verified value Django could not read: ErrCorrupt.
func cookieError(err error) error {
	if errors.Is(err, signing.ErrBadSignature) || errors.Is(err, djangosession.ErrCorrupt) {
		return fmt.Errorf("messages: cookie: %w", err)
	}
	return fmt.Errorf("messages: cookie: %w: %w", djangosession.ErrCorrupt, err)
}

// latin1 is bytes.decode("latin-1"): each byte is the code point of the same value.
func latin1(b []byte) string {
	for _, c := range b {
		if c >= 0x80 {
			var s strings.Builder
			for _, c := range b {
				s.WriteRune(rune(c))
			}
			return s.String()
		}
	}
	return string(b)
}

// decodeCookieJSON is json.loads(s, cls=MessageDecoder) for a cookie: a list of messages,
// the last of which may be the NotFinished sentinel.
func decodeCookieJSON(s string) ([]Message, bool, error) {
	return decodeList(s, "cookie", true)
}

// corrupt is the error of a value whose content Django would not read as messages.
func corrupt(where, why string) error {
	return fmt.Errorf("messages: %s: %s: %w", where, why, djangosession.ErrCorrupt)
}
