package itsmsync_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tourPrelude declares what the README's tour takes as given: the host's
// values it does not show how to obtain.
const tourPrelude = `
	var (
		ctx           = context.Background()
		apiToken      = "api-token"
		webhookSecret = "webhook-secret"
		theCase       itsm.Case
		notes         []itsm.Note
		myCases       callback.CaseUpdater
	)
	_, _, _, _, _, _ = ctx, apiToken, webhookSecret, theCase, notes, myCases
`

// tourImports are the packages the tour may use, by the name it uses them
// with.
var tourImports = map[string]string{
	"callback": "github.com/itsmsync/itsmsync/callback",
	"context":  "context",
	"errors":   "errors",
	"fmt":      "fmt",
	"http":     "net/http",
	"httpconn": "github.com/itsmsync/itsmsync/itsm/httpconn",
	"itsm":     "github.com/itsmsync/itsmsync/itsm",
	"jira":     "github.com/itsmsync/itsmsync/providers/jira",
	"memstore": "github.com/itsmsync/itsmsync/itsm/memstore",
	"sqlstore": "github.com/itsmsync/itsmsync/itsm/sqlstore",
	"webhook":  "github.com/itsmsync/itsmsync/providers/webhook",
}

// readmeBlocks are the README sections whose Go block a new user copies:
// each must compile as written against the current API.
var readmeBlocks = []string{"A 5-minute tour", "Your own ITSM in 40 lines"}

// TestReadmeTourCompiles builds the Go block of each section of
// readmeBlocks as the body of a function, with the prelude above.
func TestReadmeTourCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program with the go command")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, section := range readmeBlocks {
		t.Run(section, func(t *testing.T) {
			block := regexp.MustCompile("(?s)## " + regexp.QuoteMeta(section) + "\n.*?```go\n(.*?)```").FindSubmatch(readme)
			require.NotNil(t, block, "README.md has no Go block under \"## %s\"", section)
			buildTourBlock(t, goBin, string(block[1]))
		})
	}
}

// buildTourBlock vets body as the body of main.
func buildTourBlock(t *testing.T, goBin, body string) {
	t.Helper()

	var src bytes.Buffer
	src.WriteString("package main\n\nimport (\n")
	var uses strings.Builder
	for name, path := range tourImports {
		fmt.Fprintf(&src, "\t%q\n", path)
		fmt.Fprintf(&uses, "var _ = %s.%s\n", name, anyExported[name])
	}
	src.WriteString(")\n\n")
	src.WriteString(uses.String())
	src.WriteString("\nfunc main() {\n" + tourPrelude + body + "\n}\n")

	dir, err := os.MkdirTemp(".", "_readme_tour_")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), src.Bytes(), 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "vet", "./"+filepath.Base(dir))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the README tour does not compile:\n%s\n--- program ---\n%s", out, numbered(src.String()))
}

// anyExported names one exported identifier per package, so that an import
// the tour does not use is not an error.
var anyExported = map[string]string{
	"callback": "NewHandler",
	"context":  "Background",
	"errors":   "Is",
	"fmt":      "Sprint",
	"http":     "StatusOK",
	"httpconn": "New",
	"itsm":     "NewSyncer",
	"jira":     "Preset",
	"memstore": "New",
	"sqlstore": "New",
	"webhook":  "Preset",
}

func numbered(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = fmt.Sprintf("%4d  %s", i+1, l)
	}
	return strings.Join(lines, "\n")
}
