// Package bodylimit reads bodies with a cap: a body over the limit is an
// error, never silently truncated data handed to a parser.
package bodylimit

import (
	"errors"
	"fmt"
	"io"
)

// ErrTooLarge is a body longer than the limit.
var ErrTooLarge = errors.New("bodylimit: body too large")

// ReadAll reads r to the end, allowing at most limit bytes. A longer body is
// an error wrapping [ErrTooLarge] (the bytes read so far are returned with
// it, at most limit of them). A limit <= 0 reads nothing and reports
// ErrTooLarge for any non-empty body. hint, when positive and not above
// limit, sizes the buffer (pass Content-Length).
func ReadAll(r io.Reader, limit, hint int64) ([]byte, error) {
	if limit < 0 {
		limit = 0
	}
	size := int64(512)
	if hint > 0 && hint <= limit {
		size = hint + 1 // +1 so reading EOF does not grow the slice
	} else if size > limit+1 {
		size = limit + 1
	}
	buf := make([]byte, 0, size)
	lr := io.LimitReader(r, limit+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf, err
		}
	}
	if int64(len(buf)) > limit {
		return buf[:limit], fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return buf, nil
}

// Drain reads and discards up to max bytes of r so a keep-alive connection
// can be reused, then closes it. Errors are ignored: the connection is
// simply not reused.
func Drain(r io.ReadCloser, max int64) {
	if r == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r, max))
	_ = r.Close()
}
