package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"strings"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/kibana"
)

// kibanaResult is what a Kibana import returns: the equivalent config and
// one report entry for each thing that could not be carried over as it was
// (an unknown key, a missing secret, a mustache section, an escaping
// change).
type kibanaResult struct {
	Config httpconn.Config
	Report []string
}

// kibanaImporter turns a Kibana ".cases-webhook" connector, as Kibana's
// connector API returns it (config, and secrets when given), into a
// config. An error means nothing could be imported (not a connector of that
// type, for instance).
type kibanaImporter func(connector []byte) (kibanaResult, error)

// importKibana is the importer the import-kibana verb calls: providers/kibana.
// A converted config that does not validate is still shown (with its field
// errors, reported by the verb itself); only a connector that could not be
// converted at all is an error.
var importKibana kibanaImporter = func(b []byte) (kibanaResult, error) {
	cfg, report, err := kibana.Import(b)
	if report == nil {
		return kibanaResult{}, err
	}
	var ve *itsm.ValidationError
	if err != nil && !(errors.As(err, &ve) && !ve.Input) {
		return kibanaResult{}, err
	}
	var lines []string
	if s := strings.TrimSpace(report.String()); s != "" {
		lines = strings.Split(s, "\n")
	}
	return kibanaResult{Config: cfg, Report: lines}, nil
}

func runImportKibana(c *cli, args []string) error {
	fs := c.flags("<connector.json> [--out config.json [--force]]")
	out := fs.String("out", "", "write the imported config, secrets included, to this file (mode 0600); without it only the redacted config is shown")
	force := fs.Bool("force", false, "overwrite the --out file if it exists")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *force && *out == "" {
		return usageErr("--force needs --out (see itsmsync import-kibana --help)")
	}
	data, err := c.readInput(pos[0])
	if err != nil {
		return err
	}
	file := displayPath(pos[0])
	var probe map[string]json.RawMessage
	if !json.Valid(data) {
		var x any
		return jsonError(file, data, json.Unmarshal(data, &x))
	}
	if json.Unmarshal(data, &probe) != nil {
		return failed("%s: a Kibana connector must be a JSON object", file)
	}
	res, err := importKibana(data)
	if err != nil {
		return failed("%s: %s", file, oneLine(err.Error()))
	}
	problems := fieldErrors(res.Config.Validate())
	if *out != "" && len(problems) == 0 {
		if err := writeSecretFile(*out, res.Config, *force); err != nil {
			return err
		}
	}
	redacted, err := json.MarshalIndent(res.Config, "", "  ") // MarshalJSON redacts
	if err != nil {
		return failed("%s: %v", file, err)
	}
	if c.json {
		o := map[string]any{"ok": len(problems) == 0, "file": file, "config": json.RawMessage(redacted),
			"report": nonNil(res.Report), "errors": jsonFieldErrors(problems)}
		if *out != "" && len(problems) == 0 {
			o["out"] = *out
		}
		c.writeJSON(o)
	} else {
		fmt.Fprintf(c.stdout, "%s: imported %q\n", file, res.Config.Name)
		if len(res.Report) > 0 {
			fmt.Fprintf(c.stdout, "not carried over as it was (%d):\n", len(res.Report))
			for _, r := range res.Report {
				fmt.Fprintf(c.stdout, "  - %s\n", oneLine(r))
			}
		}
		if len(problems) > 0 {
			c.printProblems("imported config", problems)
		}
		fmt.Fprintf(c.stdout, "config (secrets shown as %s):\n%s\n", httpconn.RedactedMarker, redacted)
		if *out != "" && len(problems) == 0 {
			fmt.Fprintf(c.stdout, "wrote %s (with secrets; keep it private)\n", *out)
		}
	}
	if len(problems) > 0 {
		return errReported
	}
	return nil
}

// writeSecretFile writes cfg with its secrets to path, readable by its
// owner only. An existing file is kept unless force is set.
func writeSecretFile(path string, cfg httpconn.Config, force bool) error {
	b, err := cfg.MarshalSecrets()
	if err != nil {
		return failed("%v", err)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return ioErr("%s exists (add --force to overwrite it)", path)
		}
		return ioErr("%s", pathError(err))
	}
	_, werr := f.Write(append(b, '\n'))
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return ioErr("%s", pathError(err))
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
