package sqlstore

import (
	"context"
	"fmt"
)

// MigrateTo applies the embedded migrations up to and including version v,
// one by one, as the release that shipped v left the database: the upgrade
// tests (package sqlstore_test, which needs sqlstoretest and so cannot be an
// internal test) start from it.
func (s *Store) MigrateTo(ctx context.Context, v int) error {
	ms, err := loadMigrations(s.dialect, s.tables)
	if err != nil {
		return err
	}
	found := false
	for _, m := range ms {
		if m.version > v {
			break
		}
		found = found || m.version == v
		if err := s.migrateOne(ctx, m); err != nil {
			return err
		}
	}
	if !found {
		return fmt.Errorf("sqlstore: no migration %d", v)
	}
	return nil
}
