package jira_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hardCase is an ordinary SIEM case that real Jira refuses when sent as is:
// a 300-character multi-line title, no severity, a 40,000-character
// description with wiki markup, and a blank note between two normal ones.
func hardCase() (itsm.Case, []itsm.Note) {
	t0 := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	title := strings.Repeat("Suspicious [~admin] login\nfrom 203.0.113.7 ", 8)[:300]
	c := itsm.Case{ID: "CASE-300", Title: title, Description: strings.Repeat("{code}x{code} *alert* line\n", 40000/27+1)[:40000],
		Status: itsm.StatusOpen, URL: "https://siem.example.com/cases/300", CreatedAt: t0, UpdatedAt: t0}
	notes := []itsm.Note{
		{ID: "n1", Text: "Blocked the source IP.", CreatedAt: t0.Add(time.Minute)},
		{ID: "n2", Text: " \n\t ", CreatedAt: t0.Add(2 * time.Minute)},
		{ID: "n3", Text: "Password reset for alice.", CreatedAt: t0.Add(3 * time.Minute)},
	}
	return c, notes
}

// TestHardCaseSyncs is the acceptance scenario: the case syncs to the fake
// Jira (which enforces Jira's documented limits) on Cloud and Data Center:
// one ticket, the two normal notes posted once, the blank one skipped.
func TestHardCaseSyncs(t *testing.T) {
	for _, d := range deployments() {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			srv, conn, cfg := setup(t, d)
			s, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: cfg.ID, CooldownPeriod: itsm.Off})
			require.NoError(t, err)
			c, notes := hardCase()

			res, err := s.Sync(ctx, c, notes)
			require.NoError(t, err)
			assert.True(t, res.Created)
			assert.Equal(t, 2, res.NotesPosted)
			assert.Equal(t, []string{"n2"}, res.NotesBlank, "the blank note is reported skipped")

			// Again: nothing is posted twice.
			res, err = s.Sync(ctx, c, notes)
			require.NoError(t, err)
			assert.Equal(t, 0, res.NotesPosted)

			require.Len(t, srv.Tickets(), 1)
			tk := srv.Tickets()[0]
			assert.LessOrEqual(t, javaLen(tk.Summary), 255)
			assert.NotContains(t, tk.Summary, "\n")
			assert.Equal(t, "", tk.Priority, "no severity: Jira's default, no blank priority sent")
			desc := tk.DescriptionText()
			assert.Contains(t, desc, "https://siem.example.com/cases/300", "the description links back to the case")
			require.Len(t, tk.Comments, 2)
			assert.Contains(t, tk.Comments[0].Text(), "Blocked the source IP.")
			assert.Contains(t, tk.Comments[1].Text(), "Password reset for alice.")
			assert.Equal(t, 2, srv.CommentCount(), "the blank note never reached Jira")
			if d.version == "2" {
				assert.Contains(t, desc, `\{code\}`, "Data Center text is escaped")
				assert.NotContains(t, desc, "{code}x")
			}
			for _, r := range srv.Requests() {
				assert.NotContains(t, string(r.Body), `"priority"`, "%s %s", r.Method, r.Path)
			}
		})
	}
}
