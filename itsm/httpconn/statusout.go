package httpconn

import "github.com/itsmsync/itsmsync/statusmap"

// The labels sent for $itsm_status and $priority come from the compiled
// StatusMap and PriorityMap (statusmap.Compiled.ToITSM): a map's Outbound
// rows ("status_map": {"outbound": [{"case": "resolved", "itsm": "Done"},
// {"case": "closed", "itsm": "Done"}]}) choose the label first, so several
// case statuses can reach the ITSM as one label while the entries still map
// that label back to one case status; without Outbound rows the entries'
// preferred (else first) label is sent, as before. Config.Validate reports
// an outbound conflict under "status_map.outbound[i]..." or
// "priority_map.outbound[i]...".

// mapsOutbound reports whether m sends a label for any case value: it has
// an entry or an Outbound row. A connector whose status map sends nothing
// has no [Connector.StatusMapper].
func mapsOutbound(m *statusmap.Compiled) bool {
	if m == nil {
		return false
	}
	mm := m.Map()
	return len(mm.Entries) > 0 || len(mm.Outbound) > 0
}
