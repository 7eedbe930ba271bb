package callback

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// TestTokensMemstore runs the token life cycle through the embedded default
// store.
func TestTokensMemstore(t *testing.T) {
	ctx := context.Background()
	clock := newVerifierTestClock()
	tokens, err := NewTokens(memstore.New(), TokensConfig{}, itsm.WithClock(clock))
	require.NoError(t, err)

	a, err := tokens.Generate(ctx, TokenRequest{IntegrationID: "int-1", AppName: "Jira"})
	require.NoError(t, err)
	exp, err := tokens.Generate(ctx, TokenRequest{IntegrationID: "int-1", AppName: "Temp", ExpiresAt: clock.Now().Add(time.Hour)})
	require.NoError(t, err)
	b, err := tokens.Generate(ctx, TokenRequest{IntegrationID: "int-2", AppName: "SysAid"})
	require.NoError(t, err)

	rec, err := tokens.Verify(ctx, "int-1", a.Token)
	require.NoError(t, err)
	assert.Equal(t, a.Record.ID, rec.ID)
	_, err = tokens.Verify(ctx, "int-1", b.Token)
	require.ErrorIs(t, err, ErrInvalidToken)
	_, err = tokens.Verify(ctx, "int-1", TokenPrefix+a.Token[len(TokenPrefix)+1:]+"A")
	require.ErrorIs(t, err, ErrInvalidToken)

	list, err := tokens.List(ctx, "int-1")
	require.NoError(t, err)
	require.Len(t, list, 2)
	for _, r := range list {
		assert.Nil(t, r.Hash)
		if r.ID == a.Record.ID {
			assert.Equal(t, clock.Now(), r.LastUsedAt, "last use recorded")
		} else {
			assert.True(t, r.LastUsedAt.IsZero())
		}
	}

	clock.Advance(2 * time.Hour)
	_, err = tokens.Verify(ctx, "int-1", exp.Token)
	require.ErrorIs(t, err, ErrTokenExpired)

	require.NoError(t, tokens.Revoke(ctx, "int-1", a.Record.ID))
	_, err = tokens.Verify(ctx, "int-1", a.Token)
	require.ErrorIs(t, err, ErrTokenRevoked)
	require.ErrorIs(t, tokens.Revoke(ctx, "int-1", b.Record.ID), ErrTokenNotFound)
	_, err = tokens.Verify(ctx, "int-2", b.Token)
	require.NoError(t, err)
}
