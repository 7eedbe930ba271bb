package sysaid

import "github.com/itsmsync/itsmsync/itsm"

// StatusMapper returns the status map of the underlying itsm.Connector
// (nil when the config has none), so itsm.NewSyncer records the ITSM status
// each sync pushed and inbound echoes are suppressed without host glue.
func (c *Connector) StatusMapper() itsm.StatusMapper { return c.base.StatusMapper() }

var _ itsm.StatusMapperProvider = (*Connector)(nil)
