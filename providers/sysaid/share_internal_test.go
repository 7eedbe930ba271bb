package sysaid

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoginsPacedToSysAidLimit(t *testing.T) {
	t.Parallel()
	calls := 0
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		return &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{},
			Body: io.NopCloser(strings.NewReader(`{}`)), Request: r}, nil
	})
	clk := itsmtest.NewClock(time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC))
	s := &sessionState{loginURL: "https://sysaid.invalid/api/v1/login", user: "u", password: "pw", clock: clk}
	ctx := context.Background()
	for range LoginLimit {
		_, _, _, err := s.current(ctx, base)
		var le *LoginError
		require.ErrorAs(t, err, &le)
	}
	clk.Advance(LoginWindow - time.Second)
	_, _, _, err := s.current(ctx, base)
	var re *LoginRateError
	require.ErrorAs(t, err, &re, "the third login within 5 minutes is held back")
	assert.True(t, errors.Is(err, ErrLoginRateLimited))
	assert.True(t, errors.Is(err, ErrLogin))
	assert.Equal(t, time.Date(2026, 11, 28, 3, 5, 0, 0, time.UTC), re.RetryAt)
	assert.Contains(t, re.Error(), "2 logins per 5m0s")
	assert.Equal(t, LoginLimit, calls, "nothing sent")

	clk.Advance(time.Second)
	_, _, _, err = s.current(ctx, base)
	require.ErrorAs(t, err, new(*LoginError))
	require.False(t, errors.Is(err, ErrLoginRateLimited), "the window has passed")
	assert.Equal(t, LoginLimit+1, calls)
}

func TestSessionSharedPerLogin(t *testing.T) {
	t.Parallel()
	clk := itsmtest.NewClock(time.Now())
	a := sharedSession("https://a.sysaid.invalid/api/v1/login", "u", "pw", "", clk)
	assert.Same(t, a, sharedSession("https://a.sysaid.invalid/api/v1/login", "u", "pw", "", nil), "same login, same session")
	assert.NotSame(t, a, sharedSession("https://a.sysaid.invalid/api/v1/login", "u", "other", "", clk), "another password")
	assert.NotSame(t, a, sharedSession("https://a.sysaid.invalid/api/v1/login", "v", "pw", "", clk), "another user")
	assert.NotSame(t, a, sharedSession("https://a.sysaid.invalid/api/v1/login", "u", "pw", "acct2", clk), "another account")
	assert.NotSame(t, a, sharedSession("https://b.sysaid.invalid/api/v1/login", "u", "pw", "", clk), "another server")

	// A connector joining a live session learns its cookie (to redact it).
	a.mu.Lock()
	a.cookies = []*http.Cookie{{Name: SessionCookie, Value: "live-session-id"}}
	a.mu.Unlock()
	var learned []string
	a.listen(func(v string) { learned = append(learned, v) })
	assert.Equal(t, []string{"live-session-id"}, learned)
}
