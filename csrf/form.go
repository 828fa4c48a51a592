package csrf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"unicode/utf8"
)

// ErrBodyTooLarge: a form POST body is larger than Config.MaxBodyBytes. Django answers 400
// (RequestDataTooBig); so does Handler.
var ErrBodyTooLarge = errors.New("csrf: request body larger than Config.MaxBodyBytes (raise it, or post smaller forms)")

// ErrMalformedBody: a multipart/form-data body could not be parsed. Django answers 400
// (MultiPartParserError); so does Handler.
var ErrMalformedBody = errors.New("csrf: malformed multipart/form-data body")

// errUnreadable is Django's UnreadablePostError: the body could not be read to its end. The
// check goes on without a form token.
var errUnreadable = errors.New("csrf: request body unreadable")

// readBody reads r.Body up to limit bytes (limit < 0: no limit) and puts back a body that
// gives the same bytes, so that the handler reads the request as it came.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if limit >= 0 && r.ContentLength > limit {
		return nil, ErrBodyTooLarge
	}
	src := io.Reader(r.Body)
	if limit >= 0 {
		src = io.LimitReader(r.Body, limit+1)
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(min(r.ContentLength, 64<<10)))
	}
	_, err := buf.ReadFrom(src)
	data := buf.Bytes()
	if limit >= 0 && int64(len(data)) > limit {
		return nil, ErrBodyTooLarge
	}
	rest := io.Reader(bytes.NewReader(data))
	if err != nil {
		rest = io.MultiReader(rest, errReader{err})
	}
	r.Body = readCloser{rest, r.Body}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnreadable, err)
	}
	return data, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type readCloser struct {
	io.Reader
	io.Closer
}

// formToken is request.POST.get("csrfmiddlewaretoken", "") for a POST: the last value of the
// field in an application/x-www-form-urlencoded or multipart/form-data body, "" for any other
// body, and its length in characters as Django's string has it. errUnreadable (wrapped) is
// Django's UnreadablePostError, which the check treats as no form token; ErrBodyTooLarge and
// ErrMalformedBody are Django's 400 answers.
func formToken(r *http.Request, limit int64) (string, int, error) {
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (ct != "application/x-www-form-urlencoded" && ct != "multipart/form-data") {
		return "", 0, nil
	}
	data, err := readBody(r, limit)
	if err != nil {
		return "", 0, err
	}
	if ct == "application/x-www-form-urlencoded" {
		v, n := queryValue(data, FormField)
		return v, n, nil
	}
	boundary := params["boundary"]
	if boundary == "" {
		return "", 0, fmt.Errorf("%w: no boundary", ErrMalformedBody)
	}
	mr := multipart.NewReader(bytes.NewReader(data), boundary)
	value := ""
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return value, pyLen(value), nil
		}
		if err != nil {
			return "", 0, fmt.Errorf("%w: %w", ErrMalformedBody, err)
		}
		if p.FormName() == FormField && p.FileName() == "" {
			b, err := io.ReadAll(p)
			if err != nil {
				return "", 0, fmt.Errorf("%w: %w", ErrMalformedBody, err)
			}
			value = string(b) // Django decodes it as UTF-8 with replacement characters
		}
	}
}

// queryValue is QueryDict(body).get(key, ""): the last value of key, as Python's parse_qsl
// splits and unquotes it (pairs split on "&", "+" a space, percent escapes decoded where
// valid and kept as they are where not), with its length in characters: QueryDict decodes
// the body as UTF-8, or as latin-1 when it is not valid UTF-8, and unquote decodes each run
// of escapes as UTF-8 with replacement characters.
func queryValue(body []byte, key string) (string, int) {
	latin1 := !utf8.Valid(body)
	value, n := "", 0
	for pair := range strings.SplitSeq(string(body), "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if kk, _ := pyUnquotePlus(k, latin1); kk == key {
			value, n = pyUnquotePlus(v, latin1)
		}
	}
	return value, n
}

// pyUnquotePlus is urllib.parse.unquote_plus on the bytes of s, and the length in characters
// of Python's result (see queryValue).
func pyUnquotePlus(s string, latin1 bool) (string, int) {
	literalLen := func(lit string) int {
		if latin1 {
			return len(lit)
		}
		return utf8.RuneCountInString(lit)
	}
	if !strings.ContainsAny(s, "+%") {
		return s, literalLen(s)
	}
	b := make([]byte, 0, len(s))
	n, runStart := 0, -1 // runStart: where the current run of escapes began in b
	endRun := func() {
		if runStart >= 0 {
			n += pyLen(string(b[runStart:]))
			runStart = -1
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			if runStart < 0 {
				runStart = len(b)
			}
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		endRun()
		if c == '+' {
			c = ' '
		}
		start := i
		if !latin1 && c >= 0x80 {
			_, size := utf8.DecodeRuneInString(s[i:])
			b = append(b, s[i:i+size]...)
			i += size - 1
		} else {
			b = append(b, c)
		}
		n += literalLen(s[start : i+1])
	}
	endRun()
	return string(b), n
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
