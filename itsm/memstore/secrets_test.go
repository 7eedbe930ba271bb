package memstore_test

import (
	"testing"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm/itsmtest/storetest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

var _ callback.SecretStore = (*memstore.Store)(nil)

func TestConformanceSecrets(t *testing.T) {
	t.Parallel()
	storetest.RunSecrets(t, func(*testing.T) callback.SecretStore { return memstore.New() })
	t.Run("Replicas", func(t *testing.T) {
		storetest.RunSecretsReplicas(t, func(*testing.T) (callback.SecretStore, callback.SecretStore) {
			s := memstore.New() // one process: both replicas share the store
			return s, s
		})
	})
}
