package memstore_test

import (
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest/storetest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

func TestOrphanConformance(t *testing.T) {
	t.Parallel()
	storetest.RunOrphans(t, func(*testing.T) itsm.OrphanStore { return memstore.New() })
}
