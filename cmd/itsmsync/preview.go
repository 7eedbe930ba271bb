package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/providers/servicenow"
	"github.com/itsmsync/itsmsync/providers/sysaid"
)

// previewID is the integration id of a config that has none yet (never
// saved): a fixed one keeps the preview's correlation keys stable.
const previewID = "unsaved-config"

// connector is what preview and check use of a connector: the HTTP
// connector, or the provider's connector around it (which renders provider
// variables such as Jira's description_adf and knows the provider's
// session or update rules).
type connector interface {
	Preview(cs itsm.Case, note *itsm.Note, ticket *itsm.Ticket) ([]httpconn.PreviewRequest, error)
	Check(ctx context.Context) error
	Close() error
}

// newConnector builds the connector of cfg: the provider's for jira,
// servicenow and sysaid, the HTTP connector otherwise. Its validation
// errors are returned as field errors.
func newConnector(cfg httpconn.Config) (connector, []itsm.FieldError, error) {
	var (
		conn connector
		err  error
	)
	switch cfg.Provider {
	case jira.Provider:
		conn, err = jira.NewConnector(cfg)
	case servicenow.Provider:
		conn, err = servicenow.NewConnector(cfg, servicenow.ConnectorConfig{})
	case sysaid.Provider:
		conn, err = sysaid.NewConnector(cfg, sysaid.ConnectorConfig{})
	default:
		conn, err = httpconn.New(cfg)
	}
	if err != nil {
		var ve *itsm.ValidationError
		if errors.As(err, &ve) {
			return nil, ve.Errors, nil
		}
		return nil, nil, failed("%s", err.Error())
	}
	return conn, nil, nil
}

// connectorFor loads path and builds its connector; an invalid config is
// reported like validate reports it.
func (c *cli) connectorFor(path string) (loadedConfig, connector, error) {
	lc, err := c.usable(path)
	if err != nil {
		return lc, nil, err
	}
	cfg := lc.Config
	if cfg.ID == "" {
		cfg.ID = previewID
	}
	conn, problems, err := newConnector(cfg)
	if err != nil {
		return lc, nil, err
	}
	if len(problems) > 0 {
		lc.Problems, lc.Validated = problems, true
		file := displayPath(path)
		if c.json {
			c.writeJSON(map[string]any{"ok": false, "file": file, "errors": jsonFieldErrors(problems)})
		} else {
			c.printProblems(file, problems)
		}
		return lc, nil, errReported
	}
	return lc, conn, nil
}

func runPreview(c *cli, args []string) error {
	fs := c.flags("<config.json> [--case case.json] [--note text] [--ticket id] [--ticket-key key]")
	casePath := fs.String("case", "", "a case as JSON (id, title, description, severity, status, tags, assignee, url, fields); default a sample case")
	noteText := fs.String("note", "", "the text of the note the comment request posts; default a sample note")
	ticketID := fs.String("ticket", "", "the ticket id ($ticket_id) of the update, comment and get requests; default "+httpconn.SampleTicket.ID)
	ticketKey := fs.String("ticket-key", "", "the ticket key ($ticket_key); default none with --ticket, else "+httpconn.SampleTicket.Key)
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *ticketKey != "" && *ticketID == "" {
		return usageErr("--ticket-key needs --ticket (see itsmsync preview --help)")
	}

	cs := httpconn.SampleCase
	if *casePath != "" {
		data, err := c.readInput(*casePath)
		if err != nil {
			return err
		}
		cs = itsm.Case{}
		keys, err := decodeStrict(displayPath(*casePath), data, &cs)
		if err != nil {
			return err
		}
		var problems []itsm.FieldError
		for _, k := range keys {
			problems = append(problems, itsm.FieldError{Field: k, Message: "unknown field (a typo?)"})
		}
		problems = append(problems, fieldErrors(cs.Validate())...)
		if len(problems) > 0 {
			return failed("%s: invalid case: %s", displayPath(*casePath), joinProblems(problems))
		}
	}
	var note *itsm.Note
	if *noteText != "" {
		note = &itsm.Note{ID: "note-1", Text: *noteText, Author: httpconn.SampleNote.Author, CreatedAt: httpconn.SampleNote.CreatedAt}
	}
	var ticket *itsm.Ticket
	if *ticketID != "" {
		ticket = &itsm.Ticket{ID: *ticketID, Key: *ticketKey}
	}

	lc, conn, err := c.connectorFor(pos[0])
	if err != nil {
		return err
	}
	defer conn.Close()
	reqs, err := conn.Preview(cs, note, ticket)
	if err != nil {
		return failed("%s: %s", displayPath(pos[0]), err.Error())
	}
	if c.json {
		c.writeJSON(map[string]any{"ok": true, "file": displayPath(pos[0]), "case_id": cs.ID, "requests": reqs})
		return nil
	}
	fmt.Fprintf(c.stdout, "%s (%s): %d requests for case %s, secrets shown as %s\n",
		displayPath(pos[0]), describe(lc), len(reqs), cs.ID, httpconn.RedactedMarker)
	for _, r := range reqs {
		fmt.Fprintf(c.stdout, "\n### %s\n%s", r.Op, r.String())
	}
	return nil
}

// joinProblems writes field errors on one line.
func joinProblems(errs []itsm.FieldError) string {
	parts := make([]string, 0, len(errs))
	for _, fe := range errs {
		parts = append(parts, fe.Field+": "+fe.Message)
	}
	return strings.Join(parts, "; ")
}
