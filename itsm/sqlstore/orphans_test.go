package sqlstore_test

import (
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest/storetest"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

func TestConformanceOrphansSQLite(t *testing.T) {
	t.Parallel()
	storetest.RunOrphans(t, func(t *testing.T) itsm.OrphanStore { return sqlstoretest.NewSQLiteStore(t) })
}

func TestConformanceOrphansPostgres(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresBaseDSN(t)
	storetest.RunOrphans(t, func(t *testing.T) itsm.OrphanStore { return sqlstoretest.NewPostgresStore(t) })
}
