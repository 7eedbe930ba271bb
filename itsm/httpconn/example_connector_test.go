package httpconn_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/statusmap"
)

// A Jira Cloud style integration, previewed without sending anything: the
// exact create and comment requests, with the credentials redacted.
func ExampleConnector_Preview() {
	cfg := httpconn.Config{
		Name: "JIRA ITSM",
		ID:   "3f2a9c0d",
		Create: httpconn.EndpointConfig{
			URL:     "https://acme.atlassian.net/rest/api/2/issue",
			Payload: `{"fields":{"project":{"key":"SEC"},"summary":"[SIEM] $case_name","labels":$tags,"priority":{"name":"$priority"}}}`,
		},
		TicketIDPath:  "id",
		TicketKeyPath: "key",
		Update:        httpconn.EndpointConfig{URL: "https://acme.atlassian.net/rest/api/2/issue/$ticket_id"},
		Comment: httpconn.CommentConfig{
			URL:     "https://acme.atlassian.net/rest/api/2/issue/$ticket_id/comment",
			Payload: `{"body":$note_text}`,
		},
		ViewURL:     "https://acme.atlassian.net/browse/$ticket_key",
		Auth:        httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: "bot@acme.example", Password: "api-token"},
		PriorityMap: statusmap.Map{Entries: []statusmap.Entry{{ITSM: "High", Case: "high"}}},
	}
	conn, err := httpconn.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := itsm.Case{ID: "CASE-1", Title: `Login burst on "vpn-gw-01"`, Severity: itsm.SeverityHigh, Tags: []string{"vpn"}}
	reqs, err := conn.Preview(c, &itsm.Note{ID: "n1", Text: "Blocked at the firewall."}, &itsm.Ticket{ID: "10042", Key: "SEC-42"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range reqs {
		if r.Op == itsm.OpCreate || r.Op == itsm.OpComment {
			fmt.Print(r, "\n")
		}
	}
	// Output:
	// POST https://acme.atlassian.net/rest/api/2/issue
	// Accept: application/json
	// Authorization: Basic ********
	// Content-Type: application/json
	// User-Agent: itsmsync
	//
	// {"fields":{"project":{"key":"SEC"},"summary":"[SIEM] Login burst on \"vpn-gw-01\"","labels":["vpn"],"priority":{"name":"High"}}}
	//
	// POST https://acme.atlassian.net/rest/api/2/issue/10042/comment
	// Accept: application/json
	// Authorization: Basic ********
	// Content-Type: application/json
	// User-Agent: itsmsync
	//
	// {"body":"Blocked at the firewall."}
}

// Validate reports every problem at once, each with its field, so a UI can
// reject a configuration on save.
func ExampleConfig_Validate() {
	cfg := httpconn.Config{
		Name:         "broken",
		Create:       httpconn.EndpointConfig{URL: "https://itsm.example.com/api/$ticket_id", Payload: `{"title": "$case_name",}`},
		TicketIDPath: "id",
		Update:       httpconn.EndpointConfig{Method: "DELETE", URL: "https://itsm.example.com/api/$ticket_id"},
	}
	var ve *itsm.ValidationError
	if errors.As(cfg.Validate(), &ve) {
		for _, fe := range ve.Errors {
			fmt.Println(fe.Field)
		}
	}
	// Output:
	// create.url
	// create.payload
	// update.method
}

// json.Marshal shows what a UI may see; MarshalSecrets is for the store.
func ExampleConfig_Redacted() {
	cfg := httpconn.Config{Name: "x", Auth: httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "tok-123"}}
	b, _ := json.Marshal(cfg)
	var shown struct {
		Auth struct{ Token string } `json:"auth"`
	}
	_ = json.Unmarshal(b, &shown)
	fmt.Println(shown.Auth.Token)

	// The UI sends the marker (or nothing) back: the saved token is kept.
	edited := cfg.Redacted()
	fmt.Println(edited.Merge(cfg).Auth.Token)
	// Output:
	// ********
	// tok-123
}
