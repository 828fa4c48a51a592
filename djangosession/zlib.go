package djangosession

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"sync"
)

// DecompressedSizeError reports a compressed payload that inflates beyond the configured cap.
// It wraps ErrCorrupt.
type DecompressedSizeError struct {
	Limit int
}

// Error implements error.
func (e *DecompressedSizeError) Error() string {
	return fmt.Sprintf("djangosession: zlib: payload inflates beyond %d bytes", e.Limit)
}

// Unwrap returns ErrCorrupt.
func (e *DecompressedSizeError) Unwrap() error { return ErrCorrupt }

// zlibError is a zlib stream Python's zlib.decompress rejects.
type zlibError struct{ err error }

func (e *zlibError) Error() string   { return "djangosession: zlib: " + e.err.Error() }
func (e *zlibError) Unwrap() []error { return []error{ErrCorrupt, e.err} }

// inflaterPool keeps zlib readers (each holds a 32 KiB window and Huffman tables).
var inflaterPool sync.Pool

// zlibDecompress is Python's zlib.decompress(data): one zlib stream, checksum verified, any
// bytes after the end of the stream ignored. limit < 0 means no cap; no more than limit+1 bytes
// are ever inflated.
func zlibDecompress(data []byte, limit int) ([]byte, error) {
	return zlibDecompressTo(nil, data, limit)
}

// zlibDecompressTo is zlibDecompress appending to dst (nil: a new slice).
func zlibDecompressTo(dst, data []byte, limit int) ([]byte, error) {
	br := bytes.NewReader(data)
	var zr io.ReadCloser
	if r, ok := inflaterPool.Get().(io.ReadCloser); ok {
		if err := r.(zlib.Resetter).Reset(br, nil); err != nil {
			inflaterPool.Put(r)
			return nil, &zlibError{err: err}
		}
		zr = r
	} else {
		r, err := zlib.NewReader(br)
		if err != nil {
			return nil, &zlibError{err: err}
		}
		zr = r
	}
	defer inflaterPool.Put(zr)
	if dst == nil {
		// Typical JSON sessions inflate 3-10x; start there without trusting the data further.
		size := min(max(4*len(data), 512), 1<<20)
		if limit >= 0 {
			size = min(size, limit+1)
		}
		dst = make([]byte, 0, size)
	}
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		end := cap(dst)
		if limit >= 0 && end > limit+1 {
			end = limit + 1 // never inflate more than one byte past the cap
		}
		n, err := zr.Read(dst[len(dst):end])
		dst = dst[:len(dst)+n]
		if limit >= 0 && len(dst) > limit {
			return nil, &DecompressedSizeError{Limit: limit}
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			if err == io.ErrUnexpectedEOF {
				err = errors.New("incomplete or truncated stream")
			}
			return nil, &zlibError{err: err}
		}
	}
}
