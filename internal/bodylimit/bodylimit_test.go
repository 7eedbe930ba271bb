package bodylimit_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/itsmsync/itsmsync/internal/bodylimit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadAll(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		body    string
		limit   int64
		hint    int64
		wantErr bool
	}{
		{"empty", "", 10, 0, false},
		{"under", "hello", 10, 5, false},
		{"exact", "0123456789", 10, 10, false},
		{"over by one", "0123456789x", 10, 11, true},
		{"over, wrong hint", strings.Repeat("x", 5000), 1024, 3, true},
		{"large under", strings.Repeat("y", 100000), 1 << 20, -1, false},
		{"zero limit empty", "", 0, 0, false},
		{"zero limit body", "x", 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := bodylimit.ReadAll(strings.NewReader(tc.body), tc.limit, tc.hint)
			if tc.wantErr {
				require.ErrorIs(t, err, bodylimit.ErrTooLarge)
				assert.Len(t, b, int(tc.limit))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.body, string(b))
		})
	}
}

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("reset") }

func TestReadAll_ReaderError(t *testing.T) {
	t.Parallel()
	_, err := bodylimit.ReadAll(failReader{}, 10, 0)
	require.EqualError(t, err, "reset")
}

func TestDrain(t *testing.T) {
	t.Parallel()
	rc := io.NopCloser(strings.NewReader("abc"))
	bodylimit.Drain(rc, 10)
	bodylimit.Drain(nil, 10)
}
