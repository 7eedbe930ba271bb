package sysaid_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/sysaid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHardCaseSyncs is the acceptance scenario against the fake SysAid: a
// 300-character multi-line title, no severity, a 40,000-character
// description and a blank note between two normal ones make one service
// record with the two notes, the blank one skipped, with one login.
func TestHardCaseSyncs(t *testing.T) {
	t.Parallel()
	f, srv := newFakeSysAid(t, testUser, testPassword)
	conn := testConnector(t, srv.URL, sysaid.ConnectorConfig{}, nil)
	s, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: "sysaid-test", CooldownPeriod: itsm.Off})
	require.NoError(t, err)
	t0 := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	c := itsm.Case{ID: "CASE-300", Title: strings.Repeat("Suspicious login\nfrom 203.0.113.7 ", 10)[:300],
		Description: strings.Repeat("x", 40000), Status: itsm.StatusOpen, URL: "https://siem.example.com/cases/300", CreatedAt: t0, UpdatedAt: t0}
	notes := []itsm.Note{
		{ID: "n1", Text: "Blocked the source IP.", CreatedAt: t0.Add(time.Minute)},
		{ID: "n2", Text: " \n\t ", CreatedAt: t0.Add(2 * time.Minute)},
		{ID: "n3", Text: "Password reset for alice.", CreatedAt: t0.Add(3 * time.Minute)},
	}
	res, err := s.Sync(context.Background(), c, notes)
	require.NoError(t, err)
	assert.True(t, res.Created)
	assert.Equal(t, 2, res.NotesPosted)
	assert.Equal(t, []string{"n2"}, res.NotesBlank)
	res, err = s.Sync(context.Background(), c, notes)
	require.NoError(t, err)
	assert.Equal(t, 0, res.NotesPosted, "nothing is posted twice")

	logins, creates, records, _ := f.stats()
	assert.Equal(t, 1, logins)
	assert.Equal(t, 1, creates)
	assert.Equal(t, 1, records)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ns := range f.notes {
		assert.Equal(t, []string{"Blocked the source IP.", "Password reset for alice."}, ns)
	}
}
