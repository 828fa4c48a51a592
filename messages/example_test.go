package messages_test

import (
	"fmt"
	"log"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
	"github.com/djangobridge/bridge/messages"
)

// A message added in Go is shown by the next Django page that renders get_messages(request).
func ExampleAdd() {
	store, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: djangosessiontest.NewCache(), DjangoVersion: "5.2"})
	if err != nil {
		log.Fatal(err)
	}
	s := store.New()
	if err := messages.Add(s, messages.Message{Level: messages.Success, Message: "Saved – from Go"}); err != nil {
		log.Fatal(err)
	}
	v, _ := s.String(messages.SessionKey)
	fmt.Println(v)
	// Output:
	// [["__json_message", 0, 25, "Saved \u2013 from Go", ""]]
}
