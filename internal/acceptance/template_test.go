package acceptance

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

// The README's table of placements, checked through Preview on a config a
// user writes by hand.
func TestREADMETemplatePlacements(t *testing.T) {
	a := newAcmeDesk(t, acmeToken)
	cfg := acmeConfig(t, a)
	cfg.Lookup = httpconn.LookupConfig{} // this payload does not carry $correlation_key
	cfg.Create.Payload = `{"summary": "[SIEM] $case_name", "labels": $tags, "joined": "$tags", "price": "US$ 5 $$", "ref": "${case_id}_v1", "host": "$fields.hostname", "hits": $fields.hits}`
	cfg.Update.URL = a.URL() + "/tickets/$ticket_id?q=$case_name"
	cfg.Headers = map[string]string{"X-Case": "$case_name"}
	require.NoError(t, cfg.Validate())
	conn, err := httpconn.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })

	c := itsm.Case{ID: "C-1", Title: `a "b" & c/d?e`, Tags: []string{"x", "y"},
		Fields: map[string]any{"hostname": "vpn-01", "hits": 42}}
	reqs, err := conn.Preview(c, nil, &itsm.Ticket{ID: "../../admin"})
	require.NoError(t, err)
	byOp := map[itsm.Operation]httpconn.PreviewRequest{}
	for _, r := range reqs {
		byOp[r.Op] = r
	}
	create := byOp[itsm.OpCreate]
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(create.Body), &body), create.Body)
	assert.Equal(t, "[SIEM] "+c.Title, body["summary"])
	assert.Equal(t, []any{"x", "y"}, body["labels"])
	assert.Equal(t, "x, y", body["joined"])
	assert.Equal(t, "US$ 5 $", body["price"])
	assert.Equal(t, "C-1_v1", body["ref"])
	assert.Equal(t, "vpn-01", body["host"])
	assert.Equal(t, float64(42), body["hits"])
	assert.Equal(t, c.Title, create.Header.Get("X-Case"))
	assert.Equal(t, "Bearer "+httpconn.RedactedMarker, create.Header.Get("Authorization"))

	update := byOp[itsm.OpUpdate]
	assert.Equal(t, a.URL()+"/tickets/..%2F..%2Fadmin?q=a+%22b%22+%26+c%2Fd%3Fe", update.URL)

	// A header value with a line break is refused, never sent.
	c.Title = "x\r\nX-Injected: 1"
	_, err = conn.Preview(c, nil, nil)
	assert.Error(t, err)
}
