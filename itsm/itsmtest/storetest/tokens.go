package storetest

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// stHash returns the SHA-256 of a made-up token numbered n.
func stHash(n int) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "itsmsync-test-token-%d", n))
	return h[:]
}

// stTokenFixture returns a token with hash stHash(n) created at created.
func stTokenFixture(id, integrationID string, n int, created time.Time) itsm.CallbackToken {
	return itsm.CallbackToken{
		ID:            id,
		IntegrationID: integrationID,
		AppName:       "jira-prod",
		Description:   "webhook " + id,
		Hash:          stHash(n),
		CreatedAt:     created,
		ExpiresAt:     created.Add(90 * 24 * time.Hour),
	}
}

// stTokenByHash requires GetTokenByHash(want.Hash) to return want, Hash
// included.
func stTokenByHash(t *testing.T, s Store, want itsm.CallbackToken) {
	t.Helper()
	got, err := s.GetTokenByHash(t.Context(), want.Hash)
	require.NoError(t, err, "GetTokenByHash of token %q", want.ID)
	assert.Equal(t, stToken(want), stToken(got))
}

var stTokenCases = []stCase{
	{"GetByHashMissing", func(t *testing.T, s Store) {
		ctx := t.Context()
		require.NoError(t, s.PutToken(ctx, stTokenFixture("tok-1", "int-1", 1, stBase)))
		for name, h := range map[string][]byte{"unknown": stHash(2), "nil": nil, "empty": {}, "prefix": stHash(1)[:16]} {
			_, err := s.GetTokenByHash(ctx, h)
			stIs(t, err, itsm.ErrNotFound, name)
		}
	}},
	{"PutThenGetByHash", func(t *testing.T, s Store) {
		ctx := t.Context()
		tk := stTokenFixture("tok-1", "int-1", 1, stBase)
		tk.LastUsedAt = stAt(time.Minute).In(stZoneWest)
		other := stTokenFixture("tok-2", "int-1", 2, stBase)
		other.ExpiresAt = time.Time{} // never expires
		require.NoError(t, s.PutToken(ctx, tk))
		require.NoError(t, s.PutToken(ctx, other))
		stTokenByHash(t, s, tk)
		stTokenByHash(t, s, other)
		got, err := s.GetTokenByHash(ctx, other.Hash)
		require.NoError(t, err)
		assert.True(t, got.ExpiresAt.IsZero(), "a zero ExpiresAt reads back as zero")
		assert.True(t, got.RevokedAt.IsZero(), "a zero RevokedAt reads back as zero")
	}},
	{"ReplaceByID", func(t *testing.T, s Store) {
		ctx := t.Context()
		require.NoError(t, s.PutToken(ctx, stTokenFixture("tok-1", "int-1", 1, stBase)))
		tk := stTokenFixture("tok-1", "int-1", 2, stBase)
		tk.Description = "rotated"
		require.NoError(t, s.PutToken(ctx, tk))
		stTokenByHash(t, s, tk)
		_, err := s.GetTokenByHash(ctx, stHash(1))
		stIs(t, err, itsm.ErrNotFound, "the replaced record's old hash must no longer find it")
		list, err := s.ListTokens(ctx, "int-1")
		require.NoError(t, err)
		stListedTokens(t, []itsm.CallbackToken{tk}, list)
	}},
	{"ListOldestFirst", func(t *testing.T, s Store) {
		ctx := t.Context()
		t1 := stTokenFixture("tok-c", "int-1", 1, stAt(-3*time.Hour))
		t2 := stTokenFixture("tok-a", "int-1", 2, stAt(-2*time.Hour).In(stZoneEast))
		t3 := stTokenFixture("tok-b", "int-1", 3, stAt(-time.Hour))
		t3.RevokedAt = stAt(-time.Minute)
		t4 := stTokenFixture("tok-d", "int-1", 4, stAt(-time.Hour+time.Microsecond))
		for _, tk := range []itsm.CallbackToken{t3, t1, t4, t2, stTokenFixture("tok-x", "int-2", 5, stAt(-4*time.Hour))} {
			require.NoError(t, s.PutToken(ctx, tk))
		}
		got, err := s.ListTokens(ctx, "int-1")
		require.NoError(t, err)
		stListedTokens(t, []itsm.CallbackToken{t1, t2, t3, t4}, got)
		got, err = s.ListTokens(ctx, "int-404")
		require.NoError(t, err)
		assert.Empty(t, got)
	}},
	{"ListTieByID", func(t *testing.T, s Store) {
		ctx := t.Context()
		b := stTokenFixture("tok-b", "int-1", 1, stBase)
		a := stTokenFixture("tok-a", "int-1", 2, stBase)
		c := stTokenFixture("tok-c", "int-1", 3, stBase)
		for _, tk := range []itsm.CallbackToken{b, c, a} {
			require.NoError(t, s.PutToken(ctx, tk))
		}
		got, err := s.ListTokens(ctx, "int-1")
		require.NoError(t, err)
		stListedTokens(t, []itsm.CallbackToken{a, b, c}, got)
	}},
	{"Revoke", func(t *testing.T, s Store) {
		ctx := t.Context()
		tk := stTokenFixture("tok-1", "int-1", 1, stBase)
		other := stTokenFixture("tok-2", "int-1", 2, stAt(time.Second))
		require.NoError(t, s.PutToken(ctx, tk))
		require.NoError(t, s.PutToken(ctx, other))
		require.NoError(t, s.RevokeToken(ctx, "tok-1", stAt(time.Hour).In(stZoneWest)))
		tk.RevokedAt = stAt(time.Hour)
		stTokenByHash(t, s, tk)
		stTokenByHash(t, s, other)
		list, err := s.ListTokens(ctx, "int-1")
		require.NoError(t, err)
		stListedTokens(t, []itsm.CallbackToken{tk, other}, list)
		stIs(t, s.RevokeToken(ctx, "tok-404", stBase), itsm.ErrNotFound)
	}},
	{"Touch", func(t *testing.T, s Store) {
		ctx := t.Context()
		tk := stTokenFixture("tok-1", "int-1", 1, stBase)
		require.NoError(t, s.PutToken(ctx, tk))
		require.NoError(t, s.TouchToken(ctx, "tok-1", stAt(time.Minute)))
		tk.LastUsedAt = stAt(time.Minute)
		stTokenByHash(t, s, tk)
		require.NoError(t, s.TouchToken(ctx, "tok-1", stAt(2*time.Minute).In(stZoneEast)))
		tk.LastUsedAt = stAt(2 * time.Minute)
		stTokenByHash(t, s, tk)
		stIs(t, s.TouchToken(ctx, "tok-404", stBase), itsm.ErrNotFound)
	}},
	{"NotAliased", func(t *testing.T, s Store) {
		ctx := t.Context()
		tk := stTokenFixture("tok-1", "int-1", 1, stBase)
		want := tk
		want.Hash = stHash(1)
		require.NoError(t, s.PutToken(ctx, tk))
		tk.Hash[0] ^= 0xff // the caller reuses its buffer
		stTokenByHash(t, s, want)
		got, err := s.GetTokenByHash(ctx, want.Hash)
		require.NoError(t, err)
		require.NotEmpty(t, got.Hash)
		got.Hash[0] ^= 0xff
		list, err := s.ListTokens(ctx, "int-1")
		require.NoError(t, err)
		require.Len(t, list, 1)
		if len(list[0].Hash) > 0 {
			list[0].Hash[1] ^= 0xff
		}
		stTokenByHash(t, s, want)
	}},
}
