package servicenow_test

import (
	"fmt"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/servicenow"
)

// A ServiceNow integration from an instance URL and a user: the preset is an
// ordinary httpconn.Config (store it, edit it), the connector adds the
// close_code/close_notes quirk. Preview shows what a resolving update sends.
func ExamplePreset() {
	cfg, err := servicenow.Preset(servicenow.Options{
		InstanceURL: "https://dev12345.service-now.com",
		Auth:        httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: "itsmsync", Password: "from-your-vault"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg.ID = "example" // normally generated on first save

	c, err := servicenow.NewConnector(cfg, servicenow.ConnectorConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	cs := itsm.Case{ID: "CASE-7", Title: "Phishing mail reported", Severity: itsm.SeverityMedium, Status: itsm.StatusResolved}
	reqs, err := c.Preview(cs, nil, &itsm.Ticket{ID: "c537bae64f411200adf9f8e18110c76e", Key: "INC0010002"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range reqs {
		if r.Op == itsm.OpUpdate {
			fmt.Println(r.Method, r.URL)
			fmt.Println("Authorization:", r.Header.Get("Authorization"))
			fmt.Println(r.Body)
		}
	}
	// Output:
	// PATCH https://dev12345.service-now.com/api/now/table/incident/c537bae64f411200adf9f8e18110c76e?sysparm_exclude_reference_link=true
	// Authorization: Basic ********
	// {
	//   "short_description": "Phishing mail reported",
	//   "urgency": "2",
	//   "impact": "2",
	//   "state": "6",
	//   "close_code": "Solved (Permanently)",
	//   "close_notes": "Resolved in the SIEM: Phishing mail reported"
	// }
}

// The Business Rule body ServiceNow sends back, read by the Parser.
func ExampleParser() {
	body := []byte(`{"sys_id":"c537bae64f411200adf9f8e18110c76e","number":"INC0010002","table":"incident","operation":"update",
		"state":"6","previous_state":"2","sys_mod_count":"8","sys_updated_on":"2026-11-28 03:14:00"}`)
	evs, err := servicenow.Parser{Table: servicenow.DefaultTable}.Parse(nil, body)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := evs[0]
	fmt.Println(e.Kind, e.TicketKey, "state", e.Status, "version", e.Version, e.OccurredAt.Format("2006-01-02T15:04:05Z07:00"), e.EventID)
	// Output:
	// updated INC0010002 state 6 version 8 2026-11-28T03:14:00Z c537bae64f411200adf9f8e18110c76e:8
}
