// Package messages is django.contrib.messages with SessionStorage: the flash messages a Django
// app keeps in the session, read and written the way Django's MessageEncoder does for each
// version, so that a message added in Go shows on Django's next page and the other way round.
//
//	Django                                  Go
//	messages.add_message(request, ...)      Add
//	iterating get_messages(request)         Pop (consumes), Peek (does not)
//	Message, its level constants            Message, Debug, Info, Success, Warning, Error
//	MessageEncoder / MessageDecoder         Encode / Decode
package messages
