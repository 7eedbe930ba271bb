package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		name    string
		dialect Dialect
		in      string
		want    string
	}{
		{"sqlite unchanged", SQLite, "SELECT ? , ?", "SELECT ? , ?"},
		{"postgres numbered", Postgres, "SELECT ?, ? WHERE x = ?", "SELECT $1, $2 WHERE x = $3"},
		{"postgres without placeholders", Postgres, "SELECT 1", "SELECT 1"},
		{"ten and more", Postgres, strings.Repeat("?", 11), "$1$2$3$4$5$6$7$8$9$10$11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, rebind(tt.dialect, tt.in))
		})
	}
}

func TestSplitStatements(t *testing.T) {
	script := "-- comment\nCREATE TABLE a (\n  x INT\n);\n\n  -- indented comment\nCREATE INDEX i ON a (x);\nSELECT 1"
	assert.Equal(t, []string{"CREATE TABLE a (\n  x INT\n)", "CREATE INDEX i ON a (x)", "SELECT 1"}, splitStatements(script))
	assert.Empty(t, splitStatements("-- only a comment\n\n"))
}

func TestLoadMigrations(t *testing.T) {
	for _, d := range []Dialect{SQLite, Postgres} {
		for _, tn := range []tableNames{newTableNames("", DefaultTablePrefix), newTableNames("itsm", "p_")} {
			if d == SQLite && tn.schema != "" {
				continue
			}
			t.Run(string(d)+"/"+tn.schema+tn.prefix, func(t *testing.T) {
				ms, err := loadMigrations(d, tn)
				require.NoError(t, err)
				require.NotEmpty(t, ms)
				for i, m := range ms {
					assert.Equal(t, i+1, m.version, "versions are 1, 2, ... without gaps")
					require.NotEmpty(t, m.stmts)
					for _, st := range m.stmts {
						assert.NotContains(t, st, "{p}")
						assert.NotContains(t, st, "{n}")
						assert.NotContains(t, st, ";")
						if strings.HasPrefix(st, "CREATE TABLE") {
							assert.Contains(t, st, " "+tn.qualified())
						}
						if strings.Contains(st, "INDEX") {
							// Index names are never schema-qualified.
							name := strings.Fields(st)[len(strings.Fields(strings.SplitN(st, " ON ", 2)[0]))-1]
							assert.NotContains(t, name, ".", st)
						}
					}
				}
			})
		}
	}
}

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: true} }

func TestTimeEncoding(t *testing.T) {
	assert.Nil(t, timeArg(time.Time{}))
	assert.Equal(t, int64(minMicros), cmpArg(time.Time{}))
	tm := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", 3600))
	v := timeArg(tm).(int64)
	back := fromMicros(nullInt(v))
	assert.True(t, back.Equal(tm.Truncate(time.Microsecond)))
	assert.Equal(t, time.UTC, back.Location())
	assert.True(t, fromMicros(nullInt(0)).Equal(time.Unix(0, 0)), "the epoch is a real time, not zero")
	assert.False(t, fromMicros(nullInt(0)).IsZero())
	assert.Less(t, cmpArg(time.Time{}), cmpArg(time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC)))
}

func TestSQLiteBusy(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{errors.New("database is locked (5) (SQLITE_BUSY)"), true}, // modernc.org/sqlite
		{errors.New("database is locked"), true},                   // the cgo driver
		{fmt.Errorf("sqlstore: migrate 0001_init: %w", errors.New("database is locked (5) (SQLITE_BUSY)")), true},
		{errors.New("no such table: x"), false},
		{errors.New("UNIQUE constraint failed"), false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, sqliteBusy(tt.err), tt.err.Error())
	}
}
