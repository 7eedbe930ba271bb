package httpconn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/statusmap"
)

// Outbound rows of the status and priority maps choose $itsm_status and
// $priority; several case values may be sent as one label.
func TestOutboundStatusMap(t *testing.T) {
	t.Parallel()
	inbound := []statusmap.Entry{{ITSM: "To Do", Case: "open"}, {ITSM: "Done", Case: "closed"}}
	tests := []struct {
		name         string
		status       statusmap.Map
		priority     statusmap.Map
		caseStatus   itsm.Status
		severity     itsm.Severity
		wantStatus   string
		wantPriority string
		wantMapper   bool
	}{
		{name: "no outbound: unchanged", status: statusmap.Map{Entries: inbound}, caseStatus: itsm.StatusResolved,
			severity: itsm.SeverityHigh, wantStatus: "", wantPriority: "", wantMapper: true},
		{name: "no outbound: entry", status: statusmap.Map{Entries: inbound}, caseStatus: itsm.StatusClosed,
			severity: itsm.SeverityHigh, wantStatus: "Done", wantMapper: true},
		{name: "resolved sent as Done", caseStatus: itsm.StatusResolved, severity: itsm.SeverityCritical,
			status: statusmap.Map{Entries: inbound, Outbound: []statusmap.Entry{{Case: "resolved", ITSM: "Done"}, {Case: "closed", ITSM: "Done"}}},
			priority: statusmap.Map{Entries: []statusmap.Entry{{ITSM: "High", Case: "high"}},
				Outbound: []statusmap.Entry{{Case: "critical", ITSM: "High"}, {Case: "high", ITSM: "High"}}},
			wantStatus: "Done", wantPriority: "High", wantMapper: true},
		{name: "closed sent as Done too", caseStatus: itsm.StatusClosed,
			status:     statusmap.Map{Entries: inbound, Outbound: []statusmap.Entry{{Case: "resolved", ITSM: "Done"}, {Case: "closed", ITSM: "Done"}}},
			wantStatus: "Done", wantMapper: true},
		{name: "outbound only", caseStatus: itsm.StatusOnHold,
			status:     statusmap.Map{Outbound: []statusmap.Entry{{Case: "on_hold", ITSM: "Waiting"}}},
			wantStatus: "Waiting", wantMapper: true},
		{name: "no map at all", caseStatus: itsm.StatusOpen, wantStatus: "", wantMapper: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := jiraConfig("http://127.0.0.1:1")
			cfg.Create.Payload = `{"status": "$itsm_status", "priority": "$priority"}`
			cfg.StatusMap, cfg.PriorityMap = tt.status, tt.priority
			c := newConnector(t, cfg)
			cs := sampleCase()
			cs.Status, cs.Severity = tt.caseStatus, tt.severity
			reqs, err := c.Preview(cs, nil, nil)
			require.NoError(t, err)
			body := reqs[0].Body
			assert.Equal(t, tt.wantStatus, gjson.Get(body, "status").String(), body)
			assert.Equal(t, tt.wantPriority, gjson.Get(body, "priority").String(), body)
			m := c.StatusMapper()
			if !tt.wantMapper {
				assert.Nil(t, m)
				return
			}
			require.NotNil(t, m)
			assert.Equal(t, tt.wantStatus, m.ITSMStatus(tt.caseStatus), "the syncer records what was sent")
		})
	}
}

func TestOutboundStatusMapValidate(t *testing.T) {
	t.Parallel()
	cfg := jiraConfig("http://127.0.0.1:1")
	cfg.StatusMap = statusmap.Map{
		Entries:  []statusmap.Entry{{ITSM: "Done", Case: "closed"}},
		Outbound: []statusmap.Entry{{Case: "closed", ITSM: "Done"}, {Case: "closed", ITSM: "Closed"}},
		Unmapped: statusmap.Fail,
	}
	cfg.PriorityMap = statusmap.Map{Outbound: []statusmap.Entry{{Case: "high", ITSM: ""}}}
	err := cfg.Validate()
	require.ErrorIs(t, err, itsm.ErrInvalidConfig)
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, fe := range ve.Errors {
		fields = append(fields, fe.Field)
	}
	assert.Equal(t, []string{"status_map.outbound[1].case", "status_map.outbound[1].itsm", "priority_map.outbound[0].itsm"}, fields)
	assert.Contains(t, ve.Errors[0].Message, "a case value can have only one outbound label")
	_, err = httpconn.New(cfg)
	require.ErrorIs(t, err, itsm.ErrInvalidConfig)
}
