package sysaid_test

import (
	"fmt"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/providers/sysaid"
)

// A SysAid integration from a server URL and a user: the preset is an
// ordinary httpconn.Config; the connector logs in and sends the session cookie
// instead of the credentials. Preview shows the service record a case
// becomes.
func ExamplePreset() {
	cfg, err := sysaid.Preset(sysaid.Options{
		BaseURL:  "https://acme.sysaidit.com",
		Username: "itsm-bot",
		Password: "from-your-vault",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg.ID = "example" // normally generated on first save
	c, err := sysaid.NewConnector(cfg, sysaid.ConnectorConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	cs := itsm.Case{ID: "CASE-7", Title: "Phishing mail reported", Severity: itsm.SeverityHigh, Status: itsm.StatusInProgress}
	reqs, err := c.Preview(cs, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	create := reqs[0]
	fmt.Println(create.Method, create.URL)
	fmt.Println("Cookie:", create.Header.Get("Cookie"))
	fmt.Println(create.Body)
	// Output:
	// POST https://acme.sysaidit.com/api/v1/sr
	// Cookie: JSESSIONID=********
	// {
	//   "info": [
	//     {"key": "title", "value": "Phishing mail reported"},
	//     {"key": "description", "value": "\n\nSIEM case: \nitsmsync: itsmsync-54a8cfcb97387fd0"},
	//     {"key": "priority", "value": "2"},
	//     {"key": "status", "value": "2"}
	//   ]
	// }
}

// A SysAid webhook: status and priority come from the updates list.
func ExampleParser() {
	body := []byte(`{"eventName":"sr.updated","srId":148,"sr_version":7,"id":"evt-31",
		"updates":[{"fieldName":"status","currentValue":"3","previousValue":"2","timestamp":1751280965889}]}`)
	evs, err := sysaid.Parser{}.Parse(nil, body)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := evs[0]
	fmt.Println(e.Kind, "sr", e.TicketID, "status", e.Status, "version", e.Version, "event", e.EventID)
	// Output:
	// updated sr 148 status 3 version 7 event evt-31
}
