package sqlstoretest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// recorder is a testing.TB that records Skip and Fatal instead of ending the
// goroutine (it panics with stop, which the caller recovers).
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

type stop struct{}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped, r.msg = true, args[0].(string)
	panic(stop{})
}
func (r *recorder) Fatal(args ...any) {
	r.failed, r.msg = true, args[0].(string)
	panic(stop{})
}

func callBase(r *recorder) (dsn string) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(stop); !ok {
				panic(v)
			}
		}
	}()
	return PostgresBaseDSN(r)
}

func TestPostgresBaseDSN(t *testing.T) {
	tests := []struct {
		name, dsn, ci        string
		wantSkip, wantFailed bool
	}{
		{name: "unset skips", wantSkip: true},
		{name: "unset on CI fails", ci: "true", wantFailed: true},
		{name: "blank on CI fails", dsn: "  ", ci: "true", wantFailed: true},
		{name: "CI other than true skips", ci: "1", wantSkip: true},
		{name: "set", dsn: "postgres://u@127.0.0.1:1/db", ci: "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvPostgresDSN, tt.dsn)
			t.Setenv("CI", tt.ci)
			r := &recorder{}
			got := callBase(r)
			assert.Equal(t, tt.wantSkip, r.skipped)
			assert.Equal(t, tt.wantFailed, r.failed)
			if tt.wantSkip || tt.wantFailed {
				assert.Contains(t, r.msg, "PostgreSQL not available: set ITSMSYNC_TEST_POSTGRES_DSN (bash .ci/postgres.sh does it)")
			} else {
				assert.Equal(t, tt.dsn, got)
			}
		})
	}
}

func TestWithSearchPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u@127.0.0.1:5432/db?sslmode=disable", "postgres://u@127.0.0.1:5432/db?search_path=s1&sslmode=disable"},
		{"postgresql://u:p%40ss@h/db", "postgresql://u:p%40ss@h/db?search_path=s1"},
		{"host=127.0.0.1 dbname=db", "host=127.0.0.1 dbname=db search_path=s1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, withSearchPath(tt.in, "s1"))
		})
	}
}

func TestSQLiteDSNEscapesPath(t *testing.T) {
	dsn := SQLiteDSN("/tmp/a#b?c/itsm.db")
	assert.Contains(t, dsn, "file:/tmp/a%23b%3Fc/itsm.db?")
	assert.Contains(t, dsn, "journal_mode(WAL)")
}
