package sqlstore_test

import (
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

func TestConformanceSQLite(t *testing.T) {
	t.Parallel()
	itsmtest.TestStore(t, func(t *testing.T) itsm.Store { return sqlstoretest.NewSQLiteStore(t) })
}

func TestConformanceSQLiteReplicas(t *testing.T) {
	t.Parallel()
	itsmtest.TestStoreReplicas(t, func(t *testing.T) (itsm.Store, itsm.Store) { return sqliteReplicas(t) })
}

func TestConformancePostgres(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresBaseDSN(t) // skip (or fail on CI) before the subtests
	itsmtest.TestStore(t, func(t *testing.T) itsm.Store { return sqlstoretest.NewPostgresStore(t) })
}

func TestConformancePostgresReplicas(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresBaseDSN(t)
	itsmtest.TestStoreReplicas(t, func(t *testing.T) (itsm.Store, itsm.Store) { return postgresReplicas(t) })
}

func TestConformanceCooldownSQLite(t *testing.T) {
	t.Parallel()
	itsmtest.TestCooldown(t, func(t *testing.T) itsm.Cooldown { return sqlstoretest.NewSQLiteStore(t) })
	itsmtest.TestCooldownReplicas(t, func(t *testing.T) (itsm.Cooldown, itsm.Cooldown) { return sqliteReplicas(t) })
}

func TestConformanceCooldownPostgres(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresBaseDSN(t)
	itsmtest.TestCooldown(t, func(t *testing.T) itsm.Cooldown { return sqlstoretest.NewPostgresStore(t) })
	itsmtest.TestCooldownReplicas(t, func(t *testing.T) (itsm.Cooldown, itsm.Cooldown) { return postgresReplicas(t) })
}
