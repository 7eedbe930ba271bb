// Command template-test shows how a host application checks its payload
// templates without an ITSM: [itsm.Connector.Preview] renders every
// request a configuration defines, exactly as it would be sent (secrets
// shown redacted), and sends nothing.
//
//	go run ./examples/template-test
//	go test ./examples/template-test
//
// main.go prints the rendered create request for a sample case. main_test.go
// is the part to copy into your own repository: table tests that render
// your configuration's templates for tricky cases (quotes, line breaks,
// non-ASCII titles) and compare the JSON with assert.JSONEq, and a test that
// a misspelled variable is refused by Config.Validate, naming the field.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/statusmap"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "template-test:", err)
		os.Exit(1)
	}
}

// ticketConfig is the integration under test: in a real application it is
// loaded from where the application keeps its configuration. It targets a
// generic REST ITSM; nothing is ever sent to it here.
func ticketConfig() httpconn.Config {
	return httpconn.Config{
		Name:     "Acme REST ITSM",
		Provider: "webhook",
		// A fixed ID keeps $correlation_key stable across test runs.
		ID: "template-test",
		Create: httpconn.EndpointConfig{
			Method: "POST",
			URL:    "https://itsm.example.com/api/v1/tickets",
			Payload: `{
  "title": "[SIEM] $case_name",
  "body": "$description\n\nCase: $case_url",
  "priority": "$priority",
  "labels": $tags,
  "external_id": "$correlation_key",
  "custom": {"hostname": "$fields.hostname", "hits": $fields.hits}
}`,
		},
		TicketIDPath: "id",
		Update: httpconn.EndpointConfig{
			Method:  "PATCH",
			URL:     "https://itsm.example.com/api/v1/tickets/$ticket_id",
			Payload: `{"title": "[SIEM] $case_name", "status": "$itsm_status"}`,
		},
		Comment: httpconn.CommentConfig{
			URL:     "https://itsm.example.com/api/v1/tickets/$ticket_id/comments",
			Payload: `{"text": "$note_text", "author": "$note_author"}`,
		},
		Auth:        httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "not-a-real-token"},
		StatusMap:   statusmap.JiraStatuses(),
		PriorityMap: statusmap.JiraPriorities(),
	}
}

// sampleCase is a case whose title needs escaping in JSON.
func sampleCase() itsm.Case {
	return itsm.Case{
		ID:          "CASE-1042",
		Title:       `Brute force on "vpn-gw-01"`,
		Description: "Multiple failed logins from 203.0.113.7.\nBlocked at the firewall.",
		Severity:    itsm.SeverityHigh,
		Status:      itsm.StatusOpen,
		Tags:        []string{"vpn", "auth"},
		URL:         "https://siem.example.com/cases/1042",
		CreatedAt:   time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC),
		Fields:      map[string]any{"hostname": "vpn-gw-01", "hits": 42},
	}
}

// renderCreate renders the create request cfg would send for c.
func renderCreate(cfg httpconn.Config, c itsm.Case) (httpconn.PreviewRequest, error) {
	conn, err := httpconn.New(cfg)
	if err != nil {
		return httpconn.PreviewRequest{}, err
	}
	defer conn.Close()
	reqs, err := conn.Preview(c, nil, nil)
	if err != nil {
		return httpconn.PreviewRequest{}, err
	}
	for _, r := range reqs {
		if r.Op == itsm.OpCreate {
			return r, nil
		}
	}
	return httpconn.PreviewRequest{}, errors.New("the configuration renders no create request")
}

func run(_ context.Context, w io.Writer) error {
	cfg := ticketConfig()
	if err := cfg.Validate(); err != nil {
		return err
	}
	req, err := renderCreate(cfg, sampleCase())
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "The create request for the sample case (nothing is sent):")
	fmt.Fprintln(w)
	_, err = io.WriteString(w, req.String())
	return err
}
