package sqlstore_test

import (
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest/storetest"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

func TestConformanceSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Store { return sqlstoretest.NewSQLiteStore(t) })
}

func TestConformanceSQLiteReplicas(t *testing.T) {
	t.Parallel()
	storetest.RunReplicas(t, func(t *testing.T) (storetest.Store, storetest.Store) { return sqliteReplicas(t) })
}

func TestConformancePostgres(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresBaseDSN(t) // skip (or fail on CI) before the subtests
	storetest.Run(t, func(t *testing.T) storetest.Store { return sqlstoretest.NewPostgresStore(t) })
}

func TestConformancePostgresReplicas(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresBaseDSN(t)
	storetest.RunReplicas(t, func(t *testing.T) (storetest.Store, storetest.Store) { return postgresReplicas(t) })
}

func TestConformanceCooldownSQLite(t *testing.T) {
	t.Parallel()
	storetest.RunCooldown(t, func(t *testing.T) itsm.Cooldown { return sqlstoretest.NewSQLiteStore(t) })
	storetest.RunCooldownReplicas(t, func(t *testing.T) (itsm.Cooldown, itsm.Cooldown) { return sqliteReplicas(t) })
}

func TestConformanceCooldownPostgres(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresBaseDSN(t)
	storetest.RunCooldown(t, func(t *testing.T) itsm.Cooldown { return sqlstoretest.NewPostgresStore(t) })
	storetest.RunCooldownReplicas(t, func(t *testing.T) (itsm.Cooldown, itsm.Cooldown) { return postgresReplicas(t) })
}

func TestConformanceSessionSQLite(t *testing.T) {
	t.Parallel()
	storetest.RunSession(t, func(t *testing.T) storetest.SessionStore { return sqlstoretest.NewSQLiteStore(t) })
	storetest.RunSessionReplicas(t, func(t *testing.T) (storetest.SessionStore, storetest.SessionStore) { return sqliteReplicas(t) })
}

func TestConformanceSessionPostgres(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresBaseDSN(t)
	storetest.RunSession(t, func(t *testing.T) storetest.SessionStore { return sqlstoretest.NewPostgresStore(t) })
	storetest.RunSessionReplicas(t, func(t *testing.T) (storetest.SessionStore, storetest.SessionStore) { return postgresReplicas(t) })
}
