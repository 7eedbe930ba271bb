package servicenow_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/servicenow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHardCaseSyncs is the acceptance scenario against the fake, which
// enforces the rules of snRefusal: a 300-character multi-line title, no
// severity, a 40,000-character description and a blank note between two
// normal ones make one incident, two work notes, the blank one skipped;
// resolving, holding and closing the case are accepted too.
func TestHardCaseSyncs(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	conn := testConnector(t, srv, nil)
	s, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: "sn-test", CooldownPeriod: itsm.Off})
	require.NoError(t, err)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	c := itsm.Case{ID: "CASE-300", Title: strings.Repeat("Suspicious login\nfrom 203.0.113.7 ", 10)[:300],
		Description: strings.Repeat("x", 40000), Status: itsm.StatusOpen, URL: "https://siem.example.com/cases/300", CreatedAt: t0, UpdatedAt: t0}
	notes := []itsm.Note{
		{ID: "n1", Text: "Blocked the source IP.", CreatedAt: t0.Add(time.Minute)},
		{ID: "n2", Text: " \n\t ", CreatedAt: t0.Add(2 * time.Minute)},
		{ID: "n3", Text: "Password reset for alice.", CreatedAt: t0.Add(3 * time.Minute)},
	}
	res, err := s.Sync(ctx, c, notes)
	require.NoError(t, err)
	assert.True(t, res.Created)
	assert.Equal(t, 2, res.NotesPosted)
	assert.Equal(t, []string{"n2"}, res.NotesBlank)
	res, err = s.Sync(ctx, c, notes)
	require.NoError(t, err)
	assert.Equal(t, 0, res.NotesPosted, "nothing is posted twice")

	for _, st := range []itsm.Status{itsm.StatusOnHold, itsm.StatusResolved, itsm.StatusClosed, itsm.StatusClosed} {
		c.Status = st
		c.UpdatedAt = c.UpdatedAt.Add(time.Hour)
		_, err = s.Sync(ctx, c, notes)
		require.NoError(t, err, "status %s", st)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.incidents, 1)
	for _, rec := range f.incidents {
		sd := fmt.Sprint(rec["short_description"])
		assert.LessOrEqual(t, u16(sd), servicenow.ShortDescriptionLimit)
		assert.NotContains(t, sd, "\n")
		d := fmt.Sprint(rec["description"])
		assert.LessOrEqual(t, u16(d), servicenow.DescriptionLimit)
		assert.True(t, strings.HasSuffix(d, "SIEM case: https://siem.example.com/cases/300"), "the link survives the cut")
		assert.Contains(t, d, servicenow.TextCutMarker)
		for _, b := range f.bodies {
			assert.NotContains(t, b, `"urgency"`, "no severity: urgency left out")
			assert.NotContains(t, b, `"impact"`)
			assert.NotContains(t, b, `""`, "no blank value is sent")
		}
		assert.Equal(t, "6", rec["state"], "a closed case is resolved, not closed")
		assert.Equal(t, "1", rec["hold_reason"], "On Hold carried a hold reason")
		assert.Equal(t, 2, strings.Count(fmt.Sprint(rec["work_notes_list"]), "|"), "two work notes")
	}
}
