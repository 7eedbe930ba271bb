package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRun runs the quickstart end to end and checks each step of the loop.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out))
	got := out.String()
	for _, want := range []string{
		"3. Sync With ITSM: created ticket SEC-1",
		"4. Sync again at once: refused, next sync allowed in 10m0s",
		"5. After the cooldown: updated SEC-1, 1 note posted as a comment",
		"6. Synced once more: 0 notes posted (already posted); Jira has 1 comment(s), status \"In Progress\"",
		"case CASE-1042: status in_progress -> closed (Jira SEC-1 is now \"Done\")",
		"inbound handler answered 200; case CASE-1042 is now closed",
		"8. The same delivery again: answered 200, recognised as a duplicate",
		"9. A delivery signed with the wrong secret: answered 401",
	} {
		assert.Contains(t, got, want)
	}
	assert.Equal(t, 1, bytes.Count(out.Bytes(), []byte("-> closed")), "the duplicate must not apply again")
}
