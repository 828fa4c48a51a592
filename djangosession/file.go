package djangosession

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/djangobridge/bridge/py"
)

// fileEngine is django.contrib.sessions.backends.file: one file per session in
// SESSION_FILE_PATH, named SESSION_COOKIE_NAME + key, holding session_data; its expiry is the
// custom expiry in the data, or the file's modification time plus SESSION_COOKIE_AGE.
type fileEngine struct {
	st *Store
}

// errBadFileKey is Django's InvalidSessionKey ("Invalid characters in session key"): a key
// with characters outside VALID_KEY_CHARS never names a file (no directory traversal).
var errBadFileKey = fmt.Errorf("djangosession: invalid characters in session key (the file engine takes %s only): %w", SessionKeyChars, ErrInvalidKey)

// path is _key_to_file(key).
func (e *fileEngine) path(key string) (string, error) {
	for i := 0; i < len(key); i++ {
		if !strings.ContainsRune(SessionKeyChars, rune(key[i])) {
			return "", errBadFileKey
		}
	}
	return filepath.Join(e.st.cfg.SessionFilePath, e.st.cfg.SessionCookieName+key), nil
}

// load is file.SessionStore.load. A missing file, or a key Django refuses, is a miss; an
// empty file (the placeholder a concurrent create leaves) is an empty session that keeps its
// key; an expired session is removed, as Django removes it. Django then creates a new session
// at once; here the key is dropped and the next Save creates it. Other I/O errors are errors.
func (e *fileEngine) load(ctx context.Context, s *Session, key string) (stored, error, error) {
	if err := ctx.Err(); err != nil {
		return stored{}, nil, err
	}
	name, err := e.path(key)
	if err != nil {
		return stored{}, err, nil
	}
	v, expired, why, err := e.read(name)
	if err != nil || !v.found() {
		return v, why, err
	}
	if expired {
		if err := e.remove(name); err != nil {
			return stored{}, nil, err
		}
		return stored{}, fmt.Errorf("djangosession: the session file has expired: %w", ErrNotFound), nil
	}
	return v, why, nil
}

// read reads and decodes one session file and reports whether it has expired.
func (e *fileEngine) read(name string) (v stored, expired bool, why, err error) {
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return stored{}, false, fmt.Errorf("djangosession: no session file: %w", ErrNotFound), nil
	}
	if err != nil {
		return stored{}, false, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return stored{}, false, nil, err
	}
	const maxFile = 64 << 20 // far above any session Django writes
	if fi.Size() > maxFile {
		return stored{}, false, fmt.Errorf("djangosession: session file of %d bytes: %w", fi.Size(), ErrCorrupt), nil
	}
	data := make([]byte, fi.Size())
	if _, err := f.ReadAt(data, 0); err != nil && fi.Size() > 0 {
		return stored{}, false, nil, err
	}
	if len(data) == 0 {
		return stored{dict: py.NewDict(0)}, false, nil, nil
	}
	for _, c := range data {
		if c >= 0x80 { // open(..., encoding="ascii") fails: UnicodeDecodeError is not caught
			return stored{}, false, nil, fmt.Errorf("%w: the session file is not ASCII", ErrUnreadable)
		}
	}
	v, why, err = e.st.decodeData(string(data))
	if err != nil {
		return stored{}, false, nil, err
	}
	// _expiry_date: the custom expiry, or the modification time plus SESSION_COOKIE_AGE.
	var age time.Duration
	if x := v.get(ExpiryKey); pyTruthy(x) {
		age, err = e.st.expiryAge(x, e.st.now())
		if err != nil {
			return stored{}, false, nil, err
		}
	} else {
		age = e.st.ageUntil(fi.ModTime().Add(e.st.cfg.SessionCookieAge))
	}
	return v, age <= 0, why, nil
}

func (e *fileEngine) remove(name string) error {
	err := os.Remove(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (e *fileEngine) exists(ctx context.Context, key string) (bool, error) {
	name, err := e.path(key)
	if err != nil {
		return false, nil
	}
	_, err = os.Stat(name)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

// save is file.SessionStore.save: make sure the file exists (O_EXCL when creating: an existing
// file is CreateError; without O_CREAT when updating: a missing one is UpdateError), then write
// a temporary file in the same directory and rename it over the session file, so that a reader
// never sees a partial file. Django ignores a failure of that write; here it is an error.
func (e *fileEngine) save(ctx context.Context, s *Session, key string, d *py.Dict, mustCreate bool) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	name, err := e.path(key)
	if err != nil {
		return false, err
	}
	data, _, err := e.st.encodeData(s, d)
	if err != nil {
		return false, err
	}
	flags := os.O_WRONLY
	if mustCreate {
		flags |= os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(name, flags, 0o600)
	switch {
	case mustCreate && errors.Is(err, fs.ErrExist):
		return false, nil
	case !mustCreate && errors.Is(err, fs.ErrNotExist):
		return false, ErrUpdate
	case err != nil:
		return false, err
	}
	f.Close()
	dir, base := filepath.Split(name)
	tmp, err := os.CreateTemp(dir, base+"_out_")
	if err != nil {
		return false, err
	}
	_, werr := tmp.WriteString(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return false, err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return false, err
	}
	return mustCreate, nil
}

func (e *fileEngine) delete(ctx context.Context, key string) error {
	name, err := e.path(key)
	if err != nil {
		return nil
	}
	return e.remove(name)
}

// clearExpired is file.SessionStore.clear_expired: every file named SESSION_COOKIE_NAME + a
// valid key is loaded, and removed if it has expired.
func (e *fileEngine) clearExpired(ctx context.Context) (int64, error) {
	entries, err := os.ReadDir(e.st.cfg.SessionFilePath)
	if err != nil {
		return 0, err
	}
	prefix := e.st.cfg.SessionCookieName
	var n int64
	for _, ent := range entries {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		key, ok := strings.CutPrefix(ent.Name(), prefix)
		if !ok || !ValidSessionKey(key) {
			continue
		}
		name, err := e.path(key)
		if err != nil {
			continue // Django: SuspiciousOperation, caught by load()
		}
		d, expired, _, err := e.read(name)
		if err != nil || !d.found() || !expired {
			continue // Django's load() leaves what it cannot read
		}
		if err := e.remove(name); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
