package dbstore

import (
	"errors"
	"strings"
)

// Sentinel errors. Match them with errors.Is: Insert's duplicate-key error is an *Error that
// matches ErrDuplicate and also unwraps to the driver's error.
var (
	// ErrNotFound: Load found no row with the key whose expire_date is after now.
	ErrNotFound = errors.New("dbstore: session not found")
	// ErrDuplicate: Insert found a row with the key already there (Django's IntegrityError
	// on save(must_create=True), which becomes CreateError).
	ErrDuplicate = errors.New("dbstore: duplicate session key")
	// ErrNoRow: Update found no row with the key (Django's "Forced update did not affect any
	// rows", which becomes UpdateError).
	ErrNoRow = errors.New("dbstore: no session row to update")
	// ErrInvalidOptions: New was given options it cannot use.
	ErrInvalidOptions = errors.New("dbstore: invalid options")
	// ErrBadExpireDate: an expire_date value read from the database, or a time to write, that
	// Django could not have stored. Returned inside an *Error, with an *ExpireDateError.
	ErrBadExpireDate = errors.New("dbstore: bad expire_date")
)

// Error is a failed operation on the table: a database or driver error, a context error, or
// an expire_date that cannot be read. It unwraps to Err, so errors.Is(err, context.Canceled)
// and errors.As(err, &driverError) work.
//
// Its message never holds the session key or the session data: they are cut out of the
// driver's text (MySQL puts the key in its duplicate-entry message), and a duplicate key is
// reported without the driver's text at all.
type Error struct {
	Op  string // "load", "exists", "insert", "update", "delete", "clear expired"
	Err error  // the underlying error

	kind   error  // ErrDuplicate, or nil
	detail string // Err's text, scrubbed
}

func (e *Error) Error() string {
	if e.kind != nil {
		return "dbstore: " + e.Op + ": " + strings.TrimPrefix(e.kind.Error(), "dbstore: ")
	}
	d := e.detail
	if d == "" && e.Err != nil {
		d = "error" // never e.Err.Error(): it was not scrubbed
	}
	return "dbstore: " + e.Op + ": " + d
}

// Unwrap returns the underlying error and, for a duplicate key, ErrDuplicate.
func (e *Error) Unwrap() []error {
	if e.kind != nil {
		return []error{e.kind, e.Err}
	}
	return []error{e.Err}
}

// ExpireDateError is an expire_date that cannot be read or written as Django would.
// It matches ErrBadExpireDate. Value is the offending value as text (at most 64 bytes), never
// a key or session data.
type ExpireDateError struct {
	Value  string
	Reason string
}

func (e *ExpireDateError) Error() string {
	if e.Value == "" {
		return "dbstore: bad expire_date: " + e.Reason
	}
	return "dbstore: bad expire_date " + quoteShort(e.Value) + ": " + e.Reason
}

// Is reports whether target is ErrBadExpireDate.
func (e *ExpireDateError) Is(target error) bool { return target == ErrBadExpireDate }

func quoteShort(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' || r == 0xfffd {
			b.WriteString("\\x")
			const hex = "0123456789abcdef"
			b.WriteByte(hex[(r>>4)&0xf])
			b.WriteByte(hex[r&0xf])
			continue
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// scrub removes key and data from a driver's error text.
func scrub(msg, key, data string) string {
	if key != "" {
		msg = strings.ReplaceAll(msg, key, "<session key>")
	}
	// Data shorter than this could match ordinary words of the message; Django's session
	// data (a signed payload) is never that short.
	if len(data) >= 8 {
		msg = strings.ReplaceAll(msg, data, "<session data>")
	}
	return msg
}
