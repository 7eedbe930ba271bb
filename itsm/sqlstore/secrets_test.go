package sqlstore_test

import (
	"testing"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm/itsmtest/storetest"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

var _ callback.SecretStore = (*sqlstore.Store)(nil)

func TestConformanceSecretsSQLite(t *testing.T) {
	t.Parallel()
	storetest.RunSecrets(t, func(t *testing.T) callback.SecretStore { return sqlstoretest.NewSQLiteStore(t) })
	t.Run("Replicas", func(t *testing.T) {
		storetest.RunSecretsReplicas(t, func(t *testing.T) (callback.SecretStore, callback.SecretStore) { return sqliteReplicas(t) })
	})
}

func TestConformanceSecretsPostgres(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresBaseDSN(t) // skip (or fail on CI) before the subtests
	storetest.RunSecrets(t, func(t *testing.T) callback.SecretStore { return sqlstoretest.NewPostgresStore(t) })
	t.Run("Replicas", func(t *testing.T) {
		storetest.RunSecretsReplicas(t, func(t *testing.T) (callback.SecretStore, callback.SecretStore) { return postgresReplicas(t) })
	})
}
