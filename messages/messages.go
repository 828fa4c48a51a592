package messages

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/py"
)

// SessionKey is SessionStorage.session_key: where django.contrib.messages keeps the messages
// of a session (MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage", or
// the fallback storage once the cookie is full).
const SessionKey = "_messages"

// Message levels of django.contrib.messages.constants.
const (
	Debug   = 10
	Info    = 20
	Success = 25
	Warning = 30
	Error   = 40
)

// Message is django.contrib.messages.storage.base.Message.
type Message struct {
	Level   int
	Message string

	// ExtraTags is extra_tags. messages.info(request, text) gives "".
	ExtraTags string

	// NilExtraTags means extra_tags is None (what a message stored without a fifth element
	// reads as); ExtraTags is then "".
	NilExtraTags bool

	// Safe is true for a message marked safe (mark_safe): Django's templates do not escape it.
	Safe bool
}

// levelTags is DEFAULT_TAGS (MESSAGE_TAGS may change it in a project).
var levelTags = map[int]string{
	Debug: "debug", Info: "info", Success: "success",
	Warning: "warning", Error: "error",
}

// Tags is Message.tags with the default MESSAGE_TAGS: the extra tags and the level's tag
// ("debug", "info", "success", "warning", "error"), space-separated.
func (m Message) Tags() string {
	var tags []string
	if m.ExtraTags != "" {
		tags = append(tags, m.ExtraTags)
	}
	if t := levelTags[m.Level]; t != "" {
		tags = append(tags, t)
	}
	return strings.Join(tags, " ")
}

const messageKey = "__json_message"

// Messages returns the messages waiting in the session, oldest first, without consuming them.
// The session holds them as Django's MessageEncoder JSON string. A value Django could not
// decode either fails with an error matching ErrCorrupt.
func Peek(s *djangosession.Session) ([]Message, error) {
	v, ok := s.Get(SessionKey)
	if !ok || v == nil {
		return nil, nil
	}
	str, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("messages: %s holds a value %s, not a JSON string: %w", SessionKey, "of type "+py.TypeName(v), djangosession.ErrCorrupt)
	}
	if str == "" {
		return nil, nil
	}
	return Decode(str)
}

// Pop returns the waiting messages and removes them from the session, as a Django page
// that iterates over get_messages(request) does.
func Pop(s *djangosession.Session) ([]Message, error) {
	msgs, err := Peek(s)
	if err != nil {
		return nil, err
	}
	s.Remove(SessionKey)
	return msgs, nil
}

// Add appends m to the session's messages (messages.add_message), encoded as the
// session's Django version encodes it, so that the next Django page shows it when Django uses
// SessionStorage. Under Django's default FallbackStorage, Django reads the session only when
// the messages cookie says so: use [AddTo] inside [Middleware.Handler] instead. Django's
// add_message drops a message below MESSAGE_LEVEL (default INFO); Add does not filter.
// It fails, changing nothing, when the stored messages cannot be read, or m.Message is not
// valid UTF-8.
func Add(s *djangosession.Session, m Message) error {
	msgs, err := Peek(s)
	if err != nil {
		return err
	}
	legacy := s.DjangoVersion() == djangosession.Django32
	enc, err := Encode(append(msgs, m), legacy)
	if err != nil {
		return err
	}
	s.Set(SessionKey, enc)
	return nil
}

// Encode is MessageEncoder().encode(messages): a JSON list of
// ["__json_message", is_safe, level, message(, extra_tags)] with Python's default separators
// and ensure_ascii. Django 3.2 (legacy) writes extra_tags only when it is not empty; 4.2+ when
// it is not None.
func Encode(msgs []Message, legacy bool) (string, error) {
	var b strings.Builder
	b.WriteByte('[')
	for i, m := range msgs {
		if !utf8.ValidString(m.Message) || !utf8.ValidString(m.ExtraTags) {
			return "", fmt.Errorf("messages: message %d is not valid UTF-8", i)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		safe := "0"
		if m.Safe {
			safe = "1"
		}
		b.WriteString(`["` + messageKey + `", ` + safe + ", " + strconv.Itoa(m.Level) + ", ")
		writePyJSONString(&b, m.Message)
		if (legacy && m.ExtraTags != "") || (!legacy && !m.NilExtraTags) {
			b.WriteString(", ")
			writePyJSONString(&b, m.ExtraTags)
		}
		b.WriteByte(']')
	}
	b.WriteByte(']')
	return b.String(), nil
}

// writePyJSONString writes s as Python's json.dumps(s, ensure_ascii=True): \" \\ \n \r \t \b
// \f, and \uXXXX (lower-case hex, UTF-16 surrogate pairs) for every other character outside
// " " to "~".
func writePyJSONString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	u := func(r rune) {
		b.WriteString(`\u`)
		b.WriteByte(hex[r>>12&0xf])
		b.WriteByte(hex[r>>8&0xf])
		b.WriteByte(hex[r>>4&0xf])
		b.WriteByte(hex[r&0xf])
	}
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			u(0xd800 + r>>10)
			u(0xdc00 + r&0x3ff)
		default:
			u(r)
		}
	}
	b.WriteByte('"')
}

// Decode is json.loads(s, cls=MessageDecoder) for a list of messages. Entries that
// are not messages, and a value that is not a JSON list, fail with an error matching
// ErrCorrupt.
func Decode(s string) ([]Message, error) {
	msgs, _, err := decodeList(s, SessionKey, false)
	return msgs, err
}

// decodeList decodes a JSON list of MessageEncoder messages; with sentinel, its last element
// may be the NotFinished string, reported and dropped.
func decodeList(s, where string, sentinel bool) ([]Message, bool, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var raw []any
	if err := dec.Decode(&raw); err != nil {
		return nil, false, corrupt(where, "not a JSON list")
	}
	if dec.More() {
		return nil, false, corrupt(where, "extra data after the JSON list")
	}
	notFinished := false
	if n := len(raw); sentinel && n > 0 && raw[n-1] == NotFinished {
		notFinished = true
		raw = raw[:n-1]
	}
	out := make([]Message, 0, len(raw))
	for i, r := range raw {
		parts, _ := r.([]any)
		if len(parts) < 4 || len(parts) > 5 || parts[0] != messageKey {
			return nil, false, corrupt(where, fmt.Sprintf("entry %d is not a message", i))
		}
		var m Message
		// if obj[1]: MessageEncoder writes 0 or 1; other types are refused.
		switch x := parts[1].(type) {
		case json.Number:
			f, err := x.Float64()
			m.Safe = err != nil || f != 0
		case bool:
			m.Safe = x
		default:
			return nil, false, corrupt(where, fmt.Sprintf("entry %d: bad is_safe", i))
		}
		lv, ok := parts[2].(json.Number)
		level, err := strconv.Atoi(string(lv))
		if !ok || err != nil {
			return nil, false, corrupt(where, fmt.Sprintf("entry %d: the level is not an int", i))
		}
		m.Level = level
		if m.Message, ok = parts[3].(string); !ok {
			return nil, false, corrupt(where, fmt.Sprintf("entry %d: the message is not a string", i))
		}
		if len(parts) == 5 {
			if parts[4] == nil {
				m.NilExtraTags = true
			} else if m.ExtraTags, ok = parts[4].(string); !ok {
				return nil, false, corrupt(where, fmt.Sprintf("entry %d: extra_tags is not a string", i))
			}
		} else {
			m.NilExtraTags = true
		}
		out = append(out, m)
	}
	return out, notFinished, nil
}
