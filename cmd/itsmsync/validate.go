package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/itsmsync/itsmsync/itsm"
)

// writeJSON writes v as one indented JSON object on standard output.
func (c *cli) writeJSON(v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintf(c.stderr, "itsmsync: cannot write JSON: %v\n", err)
		return
	}
	c.stdout.Write(append(b, '\n'))
}

// jsonFieldError is a field error in --json output.
type jsonFieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func jsonFieldErrors(errs []itsm.FieldError) []jsonFieldError {
	out := make([]jsonFieldError, 0, len(errs))
	for _, fe := range errs {
		out = append(out, jsonFieldError{Field: fe.Field, Message: fe.Message})
	}
	return out
}

// printProblems lists field errors for a person, one a line.
func (c *cli) printProblems(file string, errs []itsm.FieldError) {
	noun := "problems"
	if len(errs) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(c.stdout, "%s: invalid, %d %s:\n", file, len(errs), noun)
	for _, fe := range errs {
		field := fe.Field
		if field == "" {
			field = "(config)"
		}
		fmt.Fprintf(c.stdout, "  %s: %s\n", field, oneLine(fe.Message))
	}
}

// describe names a loaded config for a person: its name and kind.
func describe(lc loadedConfig) string {
	name := lc.Config.Name
	if name == "" {
		name = "unnamed"
	}
	s := fmt.Sprintf("%q", name)
	if lc.Config.Provider != "" {
		s += ", provider " + lc.Config.Provider
	}
	if lc.Kind != "config" {
		article := "a"
		if strings.IndexByte("aeiou", lc.Kind[0]) >= 0 {
			article = "an"
		}
		s += ", from " + article + " " + lc.Kind
	}
	return s
}

func runValidate(c *cli, args []string) error {
	fs := c.flags("<config.json>")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	lc, err := c.loadConfig(pos[0])
	if err != nil {
		return err
	}
	file := displayPath(pos[0])
	problems := lc.validate()
	if c.json {
		c.writeJSON(map[string]any{
			"ok": len(problems) == 0, "file": file, "kind": lc.Kind,
			"name": lc.Config.Name, "provider": lc.Config.Provider,
			"errors": jsonFieldErrors(problems),
		})
	} else if len(problems) == 0 {
		fmt.Fprintf(c.stdout, "%s: valid (%s)\n", file, describe(lc))
	} else {
		c.printProblems(file, problems)
	}
	if len(problems) > 0 {
		return errReported
	}
	return nil
}

// usable loads a config for preview and check: a config with problems is
// reported like validate does and ends the command with exit code 1.
func (c *cli) usable(path string) (loadedConfig, error) {
	lc, err := c.loadConfig(path)
	if err != nil {
		return lc, err
	}
	problems := lc.validate()
	if len(problems) == 0 {
		return lc, nil
	}
	file := displayPath(path)
	if c.json {
		c.writeJSON(map[string]any{"ok": false, "file": file, "errors": jsonFieldErrors(problems)})
	} else {
		c.printProblems(file, problems)
	}
	return lc, errReported
}
