package servicenow_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/providers/servicenow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func u16(s string) int { return len(utf16.Encode([]rune(s))) }

func TestFakeRefusesWhatServiceNowRefuses(t *testing.T) {
	t.Parallel()
	_, srv := newFake(t)
	tests := []struct {
		name, body string
		status     int
		detail     string
	}{
		{"blank state", `{"short_description":"x","state":""}`, 400, "state"},
		{"blank urgency", `{"short_description":"x","urgency":""}`, 400, "urgency"},
		{"blank impact", `{"short_description":"x","impact":" "}`, 400, "impact"},
		{"closed by the integration", `{"short_description":"x","state":"7"}`, 403, "ACL Exception"},
		{"on hold without reason", `{"short_description":"x","state":"3"}`, 403, "On hold reason"},
		{"short description too long", `{"short_description":"` + strings.Repeat("x", 161) + `"}`, 400, "short_description"},
		{"description too long", `{"short_description":"x","description":"` + strings.Repeat("x", 4001) + `"}`, 400, "description"},
	}
	for _, tc := range tests {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/now/table/incident", strings.NewReader(tc.body))
		require.NoError(t, err)
		req.SetBasicAuth(testUser, testPassword)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, tc.status, resp.StatusCode, tc.name)
		assert.Contains(t, string(b), tc.detail, tc.name)
	}
}

func TestShortDescriptionAndDescription(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "a b c", servicenow.ShortDescription("a\r\n b\x00\tc", "C"))
	assert.Equal(t, "Case C-1", servicenow.ShortDescription(" \n", "C-1"))
	long := servicenow.ShortDescription(strings.Repeat("😀", 100), "C")
	assert.LessOrEqual(t, u16(long), servicenow.ShortDescriptionLimit)
	assert.True(t, strings.HasSuffix(long, servicenow.CutMarker))

	assert.Equal(t, "", servicenow.DescriptionText(" ", ""))
	assert.Equal(t, "SIEM case: https://x.example/1", servicenow.DescriptionText("", "https://x.example/1"))
	assert.Equal(t, "text\n\nSIEM case: https://x.example/1", servicenow.DescriptionText("text\r\n", "https://x.example/1"))
	for _, in := range []string{strings.Repeat("y", 40000), strings.Repeat("😀", 4000), strings.Repeat("a\n", 5000)} {
		d := servicenow.DescriptionText(in, "https://x.example/1")
		assert.LessOrEqual(t, u16(d), servicenow.DescriptionLimit)
		assert.Greater(t, u16(d), servicenow.DescriptionLimit-100)
		assert.True(t, strings.HasSuffix(d, "SIEM case: https://x.example/1"))
	}
}

func TestBlankNoteNotSent(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	conn := testConnector(t, srv, nil)
	for _, text := range []string{"", "  \n\t", "\x00\x1b"} {
		_, err := conn.Comment(context.Background(), itsm.Ticket{ID: "x"}, itsm.SyncRequest{}, itsm.Note{ID: "n", Text: text})
		require.ErrorIs(t, err, servicenow.ErrBlankNote)
		require.ErrorIs(t, err, itsm.ErrInvalidInput)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Empty(t, f.requests)
}
