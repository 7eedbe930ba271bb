package sysaid

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A failed login is shared by the requests that waited for it (they read
// the session before it): one login per burst, not one per request; the
// next request tries again.
func TestLoginFailureSharedWithinBurst(t *testing.T) {
	t.Parallel()
	calls := 0
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		return &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{},
			Body: io.NopCloser(strings.NewReader(`{}`)), Request: r}, nil
	})
	s := &sessionState{loginURL: "https://sysaid.invalid/api/v1/login", user: "u", password: "secret-pw"}
	ctx := context.Background()

	_, _, fresh, err := s.login(ctx, base, 0)
	require.Error(t, err)
	assert.True(t, fresh)
	var le *LoginError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, http.StatusUnauthorized, le.StatusCode)
	assert.ErrorIs(t, err, ErrLogin)
	assert.NotContains(t, err.Error(), "secret-pw")

	// A request that read generation 0 before the failure shares it.
	_, _, fresh, err = s.login(ctx, base, 0)
	require.Error(t, err)
	assert.False(t, fresh)
	assert.Equal(t, 1, calls)

	// The next request (reading the current generation) tries again.
	_, _, _, err = s.current(ctx, base)
	require.Error(t, err)
	assert.Equal(t, 2, calls)
}

func TestLoginNeedsSessionCookie(t *testing.T) {
	t.Parallel()
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		h := http.Header{}
		h.Add("Set-Cookie", "other=1; Path=/")
		return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(strings.NewReader(`{}`)), Request: r}, nil
	})
	s := &sessionState{loginURL: "https://sysaid.invalid/api/v1/login", user: "u", password: "pw"}
	_, _, _, err := s.current(context.Background(), base)
	require.ErrorIs(t, err, ErrLogin)
	assert.Contains(t, err.Error(), "JSESSIONID")

	transportErr := errors.New("connection refused")
	failing := rtFunc(func(*http.Request) (*http.Response, error) { return nil, transportErr })
	s2 := &sessionState{loginURL: "https://sysaid.invalid/api/v1/login", user: "u", password: "pw"}
	_, _, _, err = s2.current(context.Background(), failing)
	require.ErrorIs(t, err, transportErr)
}
