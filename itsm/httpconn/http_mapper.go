package httpconn

import "github.com/itsmsync/itsmsync/itsm"

// StatusMapper returns the status and priority map the connector renders
// $itsm_status and $priority with: [Hooks].StatusMapper when one was given,
// else the one built from Config.StatusMap and Config.PriorityMap. It
// returns nil when neither was given (the config's status map has no
// entries and no outbound rows). [itsm.NewSyncer] uses it (through
// [itsm.StatusMapperProvider]) to record the ITSM status each sync pushed, so echo suppression needs no
// host glue. Safe for concurrent use.
func (c *Connector) StatusMapper() itsm.StatusMapper {
	if c == nil || c.mapper == nil {
		return nil
	}
	if _, compiled := c.mapper.(compiledMapper); compiled && !mapsOutbound(c.cc.statusMap) {
		return nil
	}
	return c.mapper
}

var _ itsm.StatusMapperProvider = (*Connector)(nil)
