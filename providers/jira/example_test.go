package jira_test

import (
	"fmt"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/providers/jira"
)

// ExamplePreset configures Jira Cloud from a URL, a project and an API
// token, and previews the create request for a case without sending it.
func ExamplePreset() {
	cfg, err := jira.Preset(jira.Options{
		BaseURL:    "https://example.atlassian.net",
		ProjectKey: "SEC",
		Auth:       jira.APIToken("bot@example.com", "api-token"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg.ID = "int-1" // normally generated on first save (itsm.NewID)
	conn, err := jira.NewConnector(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := itsm.Case{
		ID:          "CASE-1042",
		Title:       `Brute force on "vpn-gw-01"`,
		Description: "Multiple failed logins.\nBlocked at the firewall.",
		Severity:    itsm.SeverityHigh,
		Status:      itsm.StatusOpen,
	}
	reqs, err := conn.Preview(c, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(reqs[0]) // the create request
	// Output:
	// POST https://example.atlassian.net/rest/api/3/issue
	// Accept: application/json
	// Authorization: Basic ********
	// Content-Type: application/json
	// User-Agent: itsmsync
	//
	// {
	//   "fields": {
	//     "project": {"key": "SEC"},
	//     "issuetype": {"name": "Task"},
	//     "summary": "[SIEM] Brute force on \"vpn-gw-01\"",
	//     "description": {"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"Multiple failed logins."},{"type":"hardBreak"},{"type":"text","text":"Blocked at the firewall."}]}]},
	//     "labels": ["siem", "itsmsync-718cad398a6aabe4"],
	//     "priority": {"name": "High"}
	//   }
	// }
}
