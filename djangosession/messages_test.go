package djangosession_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/djangobridge/bridge/messages"
	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/djangosession"
)

// messagesVector holds what Django's MessageEncoder wrote for the same four messages
// (Message(20, text), Message(25, "ok", extra_tags="tag"), Message(30, mark_safe(...),
// extra_tags=""), Message(40, "x", extra_tags=None)), with Django 3.2.25 and 6.1.3.
var messagesVector = []messages.Message{
	{Level: 20, Message: "Hi \u00e9 \"q\" \\ <b>&</b> / \x7f \n\t \U0001F600", NilExtraTags: true},
	{Level: 25, Message: "ok", ExtraTags: "tag"},
	{Level: 30, Message: "<i>s</i>", Safe: true},
	{Level: 40, Message: "x", NilExtraTags: true},
}

const (
	messagesDjango61 = `[["__json_message", 0, 20, "Hi \u00e9 \"q\" \\ <b>&</b> / \u007f \n\t \ud83d\ude00"], ["__json_message", 0, 25, "ok", "tag"], ["__json_message", 1, 30, "<i>s</i>", ""], ["__json_message", 0, 40, "x"]]`
	messagesDjango32 = `[["__json_message", 0, 20, "Hi \u00e9 \"q\" \\ <b>&</b> / \u007f \n\t \ud83d\ude00"], ["__json_message", 0, 25, "ok", "tag"], ["__json_message", 1, 30, "<i>s</i>"], ["__json_message", 0, 40, "x"]]`
)

func TestEncodeMessages(t *testing.T) {
	for _, tt := range []struct {
		legacy bool
		want   string
	}{{false, messagesDjango61}, {true, messagesDjango32}} {
		got, err := messages.Encode(messagesVector, tt.legacy)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("legacy=%v\n got %s\nwant %s", tt.legacy, got, tt.want)
		}
	}
	if _, err := messages.Encode([]messages.Message{{Message: "\xff"}}, false); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
}

func TestDecodeMessages(t *testing.T) {
	got, err := messages.Decode(messagesDjango61)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]messages.Message(nil), messagesVector...)
	want[2].NilExtraTags = false // "" was written
	if len(got) != len(want) {
		t.Fatalf("%d messages", len(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if tags := got[1].Tags(); tags != "tag success" {
		t.Errorf("Tags = %q", tags)
	}
}

func TestDecodeMessagesBad(t *testing.T) {
	// Hand-made values Django's MessageDecoder would not turn into a list of messages.
	for _, s := range []string{
		`{"a": 1}`, `[["__json_message", 0, 20]]`, `[["other", 0, 20, "x"]]`, `[["__json_message", 0, "20", "x"]]`,
		`[["__json_message", 0, 20, 5]]`, `[["__json_message", 0, 20, "x", 5]]`, `[1] [2]`, `[`, `[["__json_message", "a", 20, "x"]]`,
	} {
		if _, err := messages.Decode(s); !errors.Is(err, djangosession.ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", s, err)
		}
	}
}

func TestAddAndPopMessages(t *testing.T) {
	for _, version := range []string{"3.2", "6.1"} {
		t.Run(version, func(t *testing.T) {
			e := newMW(t, djangosession.Config{DjangoVersion: version})
			// Django's messages.success(request, "Welcome"): extra_tags="".
			seed(t, e.st, e.cache, key1, py.DictOf(messages.SessionKey, `[["__json_message", 0, 25, "Welcome", ""]]`))
			e.do(t, "sessionid="+key1, func(w http.ResponseWriter, r *http.Request) {
				s := mustSession(t, r)
				if err := messages.Add(s, messages.Message{Level: messages.Info, Message: "From Go \u2713"}); err != nil {
					t.Error(err)
				}
			})
			v, _ := stored(t, e.st, e.cache, key1).String(messages.SessionKey)
			want := `[["__json_message", 0, 25, "Welcome", ""], ["__json_message", 0, 20, "From Go \u2713", ""]]`
			if version == "3.2" {
				want = `[["__json_message", 0, 25, "Welcome"], ["__json_message", 0, 20, "From Go \u2713"]]`
			}
			if v != want {
				t.Errorf("stored\n %s\nwant %s", v, want)
			}
			s, _ := e.st.Load(context.Background(), key1)
			msgs, err := messages.Pop(s)
			if err != nil || len(msgs) != 2 || msgs[1].Message != "From Go \u2713" {
				t.Fatalf("Pop: %+v %v", msgs, err)
			}
			if s.Has(messages.SessionKey) {
				t.Error("Pop left the messages")
			}
			if msgs, _ := messages.Peek(s); len(msgs) != 0 {
				t.Errorf("after pop: %+v", msgs)
			}
		})
	}
}

func TestAddMessageKeepsUnreadable(t *testing.T) {
	e := newMW(t, djangosession.Config{})
	for _, v := range []any{int64(3), "not json"} {
		s := e.st.New()
		s.Set(messages.SessionKey, v)
		if err := messages.Add(s, messages.Message{Level: 20, Message: "x"}); !errors.Is(err, djangosession.ErrCorrupt) {
			t.Errorf("%v: err = %v", v, err)
		}
		if got, _ := s.Get(messages.SessionKey); got != v {
			t.Errorf("the stored value was replaced: %v", got)
		}
	}
}
