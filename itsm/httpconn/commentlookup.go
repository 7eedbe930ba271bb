package httpconn

import (
	"context"
	"fmt"
	"strings"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/tidwall/gjson"
)

// OpFindComment is the operation name of the comment lookup
// ([Connector.FindComment]) in errors, log lines and audit events. It is a
// read: retried like a get.
const OpFindComment itsm.Operation = "find comment"

// maxCommentItems bounds how many items of one lookup response are checked
// (a response is already bounded by max_response_bytes; this bounds the
// work on a body of many tiny items).
const maxCommentItems = 10000

var (
	_ itsm.CommentFinder      = (*Connector)(nil)
	_ itsm.CommentFindCapable = (*Connector)(nil)
)

// checkCommentLookup validates the comment lookup's paths and its
// dependency on the comment request: a lookup can only find what the
// comment request wrote, so the comment request must carry $note_marker.
func checkCommentLookup(add func(string, string, ...any), cl CommentLookupConfig, comment endpoint) {
	if !comment.configured() {
		add("comment_lookup", "requires a comment request (comment.url) that writes $note_marker")
	} else if !comment.usesAny(vars.NoteMarker) {
		add("comment.payload", "must carry $note_marker (in the payload or the URL) when comment_lookup is set: the lookup finds a comment only by its marker")
	}
	for _, f := range []struct {
		field, path string
		required    bool
	}{
		{"comment_lookup.items_path", cl.ItemsPath, true},
		{"comment_lookup.match_path", cl.MatchPath, true},
		{"comment_lookup.id_path", cl.IDPath, false},
		{"comment_lookup.ticket_path", cl.TicketPath, false},
		{"comment_lookup.expect_path", cl.ExpectPath, false},
	} {
		switch {
		case strings.TrimSpace(f.path) == "":
			if f.required {
				add(f.field, "is required with a comment lookup URL")
			}
		case !validPath(f.path):
			add(f.field, "is not a valid gjson path")
		}
	}
}

// CanFindComments reports whether the config has a comment lookup request
// ([itsm.CommentFindCapable]): FindComment works.
func (c *Connector) CanFindComments() bool { return c.cc.commentLookup.configured() }

// FindComment looks for the comment of note n on ticket t with the comment
// lookup request ([itsm.CommentFinder]): the comment (its id from IDPath)
// and true when an item of the response holds n's marker —
// itsm.NoteMarker(correlation key of req, n.ID) — at MatchPath; false with
// a nil error when no item does. The match is always checked on each item,
// whatever filter the URL carries. Only the one response is read (see
// [CommentLookupConfig]).
//
// Errors: [itsm.ErrNotConfigured] (wrapped) without a comment lookup; an
// *itsm.ValidationError wrapping [itsm.ErrInvalidInput] for a case, ticket
// or note that cannot be looked up (no correlation key, no note id); an
// *HTTPError for a non-2xx answer (a 404 for an unknown ticket included); an
// *HTTPError wrapping [itsm.ErrInvalidResponse] for a body that is not JSON,
// is cut short, has no array at ItemsPath, or has an item without
// ExpectPath. Safe for concurrent use.
func (c *Connector) FindComment(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest, n itsm.Note) (cm itsm.Comment, found bool, err error) {
	start := c.env.Clock.Now()
	var status int
	defer func() { c.record(ctx, OpFindComment, req.Case, &t, &n, status, start, err) }()
	if !c.cc.commentLookup.configured() {
		return itsm.Comment{}, false, &opError{Op: OpFindComment, Err: itsm.ErrNotConfigured}
	}
	if err = checkCase(OpFindComment, req.Case); err != nil {
		return itsm.Comment{}, false, err
	}
	if err = checkTicket(OpFindComment, t); err != nil {
		return itsm.Comment{}, false, err
	}
	key := c.correlationKey(req)
	if strings.TrimSpace(n.ID) == "" || key == "" {
		return itsm.Comment{}, false, &opError{Op: OpFindComment, Err: &itsm.ValidationError{Component: "httpconn", Subject: "note", Input: true,
			Errors: []itsm.FieldError{{Field: "id", Message: "a note needs an id (and its case a correlation key) to be found by its marker"}}}}
	}
	vals := c.values(req.Case, &t, &n, key)
	res, err := c.do(ctx, &c.cc.commentLookup, vals, true)
	status = res.status
	if err != nil {
		return itsm.Comment{}, false, err
	}
	if err = c.requireJSON(OpFindComment, res); err != nil {
		return itsm.Comment{}, false, err
	}
	id, found, perr := MatchComment(res.body, c.cc.cfg.CommentLookup, itsm.NoteMarker(key, n.ID), t)
	if perr != nil {
		return itsm.Comment{}, false, &HTTPError{Op: OpFindComment, Method: res.method, URL: cleanURL(res.u, c.redactor), StatusCode: res.status,
			Attempts: res.attempts, Body: bodySnippet(res.body, c.redactor), Err: perr}
	}
	if !found {
		return itsm.Comment{}, false, nil
	}
	return itsm.Comment{ID: id}, true, nil
}

// MatchComment reads a comment lookup response body: it returns the id (at
// cl.IDPath, "" when unset or absent) of the first item of the array at
// cl.ItemsPath whose value at cl.MatchPath holds marker as a whole word —
// and, when cl.TicketPath is set, whose value there is t's id or key — and
// whether one does. It is what [Connector.FindComment] does with a 2xx
// body, exported so a host can check its own configuration against a
// captured response. An error wraps [itsm.ErrInvalidResponse]: body not
// JSON, no array at ItemsPath, an item without ExpectPath. An empty marker
// matches nothing.
func MatchComment(body []byte, cl CommentLookupConfig, marker string, t itsm.Ticket) (id string, found bool, err error) {
	if !gjson.ValidBytes(body) {
		return "", false, fmt.Errorf("%w: body is not JSON", itsm.ErrInvalidResponse)
	}
	items := gjson.GetBytes(body, cl.ItemsPath)
	if !items.IsArray() {
		return "", false, fmt.Errorf("%w: no array of comments at items_path %q", itsm.ErrInvalidResponse, clip.Bytes(cl.ItemsPath, 80))
	}
	if marker == "" {
		return "", false, nil
	}
	n := 0
	items.ForEach(func(_, item gjson.Result) bool {
		n++
		if n > maxCommentItems {
			return false
		}
		if cl.ExpectPath != "" && !item.Get(cl.ExpectPath).Exists() {
			err = fmt.Errorf("%w: a comment has nothing at expect_path %q (the ITSM did not return what the match needs)", itsm.ErrInvalidResponse, clip.Bytes(cl.ExpectPath, 80))
			return false
		}
		if !holdsMarker(item.Get(cl.MatchPath), marker) {
			return true
		}
		if cl.TicketPath != "" && !ofTicket(item.Get(cl.TicketPath), t) {
			return true
		}
		found = true
		if cl.IDPath != "" {
			if v := item.Get(cl.IDPath); v.Type == gjson.String {
				id = v.Str
			} else if v.Type == gjson.Number {
				id = v.Raw // digits as sent
			}
		}
		return false
	})
	if err != nil {
		return "", false, err
	}
	return id, found, nil
}

// ofTicket reports whether v (a string or a number) is t's id or key.
func ofTicket(v gjson.Result, t itsm.Ticket) bool {
	var s string
	switch v.Type {
	case gjson.String:
		s = v.Str
	case gjson.Number:
		s = v.Raw
	default:
		return false
	}
	return s != "" && (s == t.ID || s == t.Key)
}

// holdsMarker reports whether v is a string (or an array holding a string)
// that contains marker as a whole word.
func holdsMarker(v gjson.Result, marker string) bool {
	switch {
	case v.Type == gjson.String:
		return containsWord(v.Str, marker)
	case v.IsArray():
		hit := false
		v.ForEach(func(_, e gjson.Result) bool {
			hit = e.Type == gjson.String && containsWord(e.Str, marker)
			return !hit
		})
		return hit
	}
	return false
}

// containsWord reports whether s contains w with no word character (letter,
// digit, '-' or '_') right before or after it, so that one marker never
// matches inside a longer token.
func containsWord(s, w string) bool {
	if w == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		at := i + j
		end := at + len(w)
		if (at == 0 || !wordByte(s[at-1])) && (end == len(s) || !wordByte(s[end])) {
			return true
		}
		i = at + 1
	}
}

func wordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_'
}
