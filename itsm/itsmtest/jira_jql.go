package itsmtest

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/tidwall/gjson"
)

// The JQL subset the fake understands (keywords and field names are
// case-insensitive; values are compared case-insensitively, as Jira does for
// these fields):
//
//	query   := or [ORDER BY field [ASC|DESC] {, field [ASC|DESC]}]
//	or      := and {OR and}
//	and     := unary {AND unary}
//	unary   := NOT unary | "(" or ")" | clause
//	clause  := field ("=" | "!=") value
//	         | field [NOT] IN "(" value {"," value} ")"
//	         | field IS [NOT] EMPTY          (labels)
//	         | field ("~" | "!~") value      (summary, description, text)
//	field   := labels | project | key | issuekey | id | status |
//	           statusCategory | priority | issuetype | type |
//	           summary | description | text
//	value   := "quoted" | 'quoted' | bare word
//
// Anything else is answered 400 with Jira's error shape.

type jqlTokKind int

const (
	tokEOF jqlTokKind = iota
	tokWord
	tokString
	tokOp // = != ~ !~
	tokLParen
	tokRParen
	tokComma
)

type jqlTok struct {
	kind jqlTokKind
	text string
	pos  int
}

var errJQL = errors.New("jql")

func lexJQL(q string) ([]jqlTok, error) {
	var toks []jqlTok
	rs := []rune(q)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(':
			toks = append(toks, jqlTok{tokLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, jqlTok{tokRParen, ")", i})
			i++
		case c == ',':
			toks = append(toks, jqlTok{tokComma, ",", i})
			i++
		case c == '=' || c == '~':
			toks = append(toks, jqlTok{tokOp, string(c), i})
			i++
		case c == '!':
			if i+1 < len(rs) && (rs[i+1] == '=' || rs[i+1] == '~') {
				toks = append(toks, jqlTok{tokOp, string(rs[i : i+2]), i})
				i += 2
				continue
			}
			return nil, fmt.Errorf("%w: the character '!' at position %d is not valid", errJQL, i)
		case c == '"' || c == '\'':
			start := i
			var b strings.Builder
			i++
			closed := false
			for i < len(rs) {
				if rs[i] == '\\' && i+1 < len(rs) {
					b.WriteRune(rs[i+1])
					i += 2
					continue
				}
				if rs[i] == c {
					closed = true
					i++
					break
				}
				b.WriteRune(rs[i])
				i++
			}
			if !closed {
				return nil, fmt.Errorf("%w: the quoted string starting at position %d is not terminated", errJQL, start)
			}
			toks = append(toks, jqlTok{tokString, b.String(), start})
		case unicode.IsLetter(c) || unicode.IsDigit(c) || strings.ContainsRune("_-.[]@:/*", c):
			start := i
			for i < len(rs) && (unicode.IsLetter(rs[i]) || unicode.IsDigit(rs[i]) || strings.ContainsRune("_-.[]@:/*", rs[i])) {
				i++
			}
			toks = append(toks, jqlTok{tokWord, string(rs[start:i]), start})
		default:
			return nil, fmt.Errorf("%w: the character '%c' at position %d is not valid", errJQL, c, i)
		}
	}
	return append(toks, jqlTok{tokEOF, "", len(rs)}), nil
}

// jqlExpr is a compiled predicate on a ticket.
type jqlExpr func(t *Ticket) bool

type jqlParser struct {
	toks []jqlTok
	i    int
	desc bool
}

func (p *jqlParser) peek() jqlTok { return p.toks[p.i] }
func (p *jqlParser) next() jqlTok {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *jqlParser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tokWord && strings.EqualFold(t.text, kw)
}

func (p *jqlParser) unexpected(want string) error {
	t := p.peek()
	if t.kind == tokEOF {
		return fmt.Errorf("%w: expecting %s but reached the end of the query", errJQL, want)
	}
	return fmt.Errorf("%w: expecting %s but got '%s' at position %d", errJQL, want, t.text, t.pos)
}

// parseJQL compiles a query. An empty query matches everything (nil expr).
func parseJQL(q string) (jqlExpr, bool, error) {
	toks, err := lexJQL(q)
	if err != nil {
		return nil, false, err
	}
	p := &jqlParser{toks: toks}
	var expr jqlExpr
	if p.peek().kind != tokEOF && !p.isKeyword("order") {
		if expr, err = p.or(); err != nil {
			return nil, false, err
		}
	}
	if p.isKeyword("order") {
		if err := p.orderBy(); err != nil {
			return nil, false, err
		}
	}
	if p.peek().kind != tokEOF {
		return nil, false, p.unexpected("AND, OR or ORDER BY")
	}
	return expr, p.desc, nil
}

func (p *jqlParser) orderBy() error {
	p.next()
	if !p.isKeyword("by") {
		return p.unexpected("BY")
	}
	p.next()
	first := true
	for {
		f := p.next()
		if f.kind != tokWord && f.kind != tokString {
			p.i--
			return p.unexpected("a field name")
		}
		desc := false
		if p.isKeyword("asc") {
			p.next()
		} else if p.isKeyword("desc") {
			p.next()
			desc = true
		}
		if first {
			// Creation order is the only order the fake knows; the first
			// sort key decides its direction.
			p.desc = desc
			first = false
		}
		if p.peek().kind != tokComma {
			return nil
		}
		p.next()
	}
}

func (p *jqlParser) or() (jqlExpr, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("or") {
		p.next()
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(t *Ticket) bool { return l(t) || right(t) }
	}
	return left, nil
}

func (p *jqlParser) and() (jqlExpr, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("and") {
		p.next()
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(t *Ticket) bool { return l(t) && right(t) }
	}
	return left, nil
}

func (p *jqlParser) unary() (jqlExpr, error) {
	switch {
	case p.isKeyword("not"):
		p.next()
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(t *Ticket) bool { return !e(t) }, nil
	case p.peek().kind == tokLParen:
		p.next()
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek().kind != tokRParen {
			return nil, p.unexpected("')'")
		}
		p.next()
		return e, nil
	}
	return p.clause()
}

// fieldKind groups the fields by how they compare.
type fieldKind int

const (
	fkLabels fieldKind = iota
	fkExact            // = != IN
	fkText             // ~ !~
)

type jqlField struct {
	kind   fieldKind
	values func(t *Ticket) []string // values compared by = / IN
	text   func(t *Ticket) string   // searched by ~
}

var jqlFields = map[string]jqlField{
	"labels":   {kind: fkLabels, values: func(t *Ticket) []string { return t.Labels }},
	"project":  {kind: fkExact, values: func(t *Ticket) []string { return []string{t.Project} }},
	"key":      {kind: fkExact, values: func(t *Ticket) []string { return []string{t.Key, t.ID} }},
	"issuekey": {kind: fkExact, values: func(t *Ticket) []string { return []string{t.Key, t.ID} }},
	"id":       {kind: fkExact, values: func(t *Ticket) []string { return []string{t.Key, t.ID} }},
	"status":   {kind: fkExact, values: func(t *Ticket) []string { return []string{t.Status.Name, t.Status.ID} }},
	"statuscategory": {kind: fkExact, values: func(t *Ticket) []string {
		ci := categoryInfo[t.Status.Category]
		return []string{t.Status.Category, ci.name, strconv.Itoa(ci.id)}
	}},
	"priority":    {kind: fkExact, values: func(t *Ticket) []string { return []string{t.Priority} }},
	"issuetype":   {kind: fkExact, values: func(t *Ticket) []string { return []string{t.IssueType} }},
	"type":        {kind: fkExact, values: func(t *Ticket) []string { return []string{t.IssueType} }},
	"summary":     {kind: fkText, text: func(t *Ticket) string { return t.Summary }},
	"description": {kind: fkText, text: func(t *Ticket) string { return t.DescriptionText() }},
	"text":        {kind: fkText, text: func(t *Ticket) string { return t.Summary + "\n" + t.DescriptionText() }},
}

func (p *jqlParser) value() (string, error) {
	t := p.peek()
	if t.kind != tokWord && t.kind != tokString {
		return "", p.unexpected("a value")
	}
	if t.kind == tokWord {
		switch strings.ToLower(t.text) {
		case "and", "or", "not", "in", "is", "order", "empty", "null":
			return "", p.unexpected("a value (quote reserved words)")
		}
	}
	p.next()
	return t.text, nil
}

func (p *jqlParser) clause() (jqlExpr, error) {
	ft := p.peek()
	if ft.kind != tokWord && ft.kind != tokString {
		return nil, p.unexpected("a field name")
	}
	p.next()
	f, ok := jqlFields[strings.ToLower(ft.text)]
	if !ok {
		return nil, fmt.Errorf("%w: field '%s' does not exist or you do not have permission to view it", errJQL, ft.text)
	}
	opTok := p.peek()
	opName := strings.ToLower(opTok.text)
	switch {
	case opTok.kind == tokOp && (opTok.text == "=" || opTok.text == "!="):
		if f.kind == fkText {
			return nil, fmt.Errorf("%w: the operator '%s' is not supported by the '%s' field", errJQL, opTok.text, ft.text)
		}
		p.next()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		match := anyEqual(f, []string{v})
		if opTok.text == "!=" {
			return func(t *Ticket) bool { return !match(t) }, nil
		}
		return match, nil
	case opTok.kind == tokOp && (opTok.text == "~" || opTok.text == "!~"):
		if f.kind != fkText {
			return nil, fmt.Errorf("%w: the operator '%s' is not supported by the '%s' field", errJQL, opTok.text, ft.text)
		}
		p.next()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		needle := strings.ToLower(v)
		neg := opTok.text == "!~"
		return func(t *Ticket) bool { return strings.Contains(strings.ToLower(f.text(t)), needle) != neg }, nil
	case opTok.kind == tokWord && (opName == "in" || opName == "not"):
		if f.kind == fkText {
			return nil, fmt.Errorf("%w: the operator '%s' is not supported by the '%s' field", errJQL, strings.ToUpper(opName), ft.text)
		}
		p.next()
		neg := false
		if opName == "not" {
			if !p.isKeyword("in") {
				return nil, p.unexpected("IN")
			}
			p.next()
			neg = true
		}
		if p.peek().kind != tokLParen {
			return nil, p.unexpected("'('")
		}
		p.next()
		var vals []string
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
			if p.peek().kind == tokComma {
				p.next()
				continue
			}
			if p.peek().kind != tokRParen {
				return nil, p.unexpected("',' or ')'")
			}
			p.next()
			break
		}
		match := anyEqual(f, vals)
		if neg {
			return func(t *Ticket) bool { return !match(t) }, nil
		}
		return match, nil
	case opTok.kind == tokWord && opName == "is":
		p.next()
		neg := false
		if p.isKeyword("not") {
			p.next()
			neg = true
		}
		if !p.isKeyword("empty") && !p.isKeyword("null") {
			return nil, p.unexpected("EMPTY")
		}
		p.next()
		if f.kind != fkLabels {
			return nil, fmt.Errorf("%w: the operator 'IS' is not supported by the '%s' field in this fake", errJQL, ft.text)
		}
		return func(t *Ticket) bool { return (len(t.Labels) == 0) != neg }, nil
	}
	return nil, p.unexpected("an operator (=, !=, ~, !~, IN, NOT IN, IS)")
}

func anyEqual(f jqlField, vals []string) jqlExpr {
	return func(t *Ticket) bool {
		for _, have := range f.values(t) {
			for _, v := range vals {
				if have != "" && strings.EqualFold(have, v) {
					return true
				}
			}
		}
		return false
	}
}

// search serves GET/POST /search (legacy: startAt, maxResults, total) and
// GET/POST /search/jql (enhanced: nextPageToken, isLast, no total; issues
// carry only their id unless fields are requested, as in Jira Cloud).
func (s *Server) search(r *http.Request, rt route, base string, body []byte) response {
	var jql, token string
	var startAt, maxResults int64 = 0, 50
	var fields []string
	fieldsGiven := false
	if r.Method == http.MethodPost {
		if resp, ok := checkJSONObject(body); !ok {
			return resp
		}
		in := gjson.ParseBytes(body)
		jql = in.Get("jql").String()
		if v := in.Get("startAt"); v.Exists() {
			startAt = v.Int()
		}
		if v := in.Get("maxResults"); v.Exists() {
			maxResults = v.Int()
		}
		token = in.Get("nextPageToken").String()
		if v := in.Get("fields"); v.IsArray() && len(v.Array()) > 0 {
			fieldsGiven = true
			var names []string
			for _, n := range v.Array() {
				names = append(names, n.String())
			}
			fields = fieldList(strings.Join(names, ","))
		}
	} else {
		q := r.URL.Query()
		jql = q.Get("jql")
		var err error
		if v := q.Get("startAt"); v != "" {
			if startAt, err = strconv.ParseInt(v, 10, 64); err != nil {
				return jiraError(http.StatusBadRequest, []string{"The value '" + v + "' is invalid for startAt."}, nil)
			}
		}
		if v := q.Get("maxResults"); v != "" {
			if maxResults, err = strconv.ParseInt(v, 10, 64); err != nil {
				return jiraError(http.StatusBadRequest, []string{"The value '" + v + "' is invalid for maxResults."}, nil)
			}
		}
		token = q.Get("nextPageToken")
		fields = fieldList(q.Get("fields"))
		fieldsGiven = q.Get("fields") != ""
	}
	if maxResults < 1 || maxResults > 100 {
		maxResults = min(max(maxResults, 50), 100)
	}
	if rt.enhanced {
		startAt = 0
		if token != "" {
			n, err := strconv.ParseInt(strings.TrimPrefix(token, "itsmtest-"), 10, 64)
			if err != nil || !strings.HasPrefix(token, "itsmtest-") || n < 0 {
				return jiraError(http.StatusBadRequest, []string{"The provided next page token is invalid or expired."}, nil)
			}
			startAt = n
		}
		if strings.TrimSpace(jql) == "" {
			return jiraError(http.StatusBadRequest, []string{msgUnbounded}, nil)
		}
	}
	if startAt < 0 {
		startAt = 0
	}
	expr, desc, err := parseJQL(jql)
	if err != nil {
		return jiraError(http.StatusBadRequest, []string{"Error in the JQL Query: " + strings.TrimPrefix(err.Error(), "jql: ") + "."}, nil)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []*Ticket
	for _, t := range s.tickets {
		if expr == nil || expr(t) {
			hits = append(hits, t)
		}
	}
	if desc {
		slices.Reverse(hits)
	}
	total := len(hits)
	from := int(min(startAt, int64(total)))
	to := int(min(int64(from)+maxResults, int64(total)))
	issues := make([]any, 0, to-from)
	for _, t := range hits[from:to] {
		if rt.enhanced && !fieldsGiven {
			issues = append(issues, map[string]any{"id": t.ID})
			continue
		}
		issues = append(issues, s.issueJSONLocked(t, base, rt.version, fields))
	}
	if rt.enhanced {
		out := map[string]any{"issues": issues, "isLast": to >= total}
		if to < total {
			out["nextPageToken"] = "itsmtest-" + strconv.Itoa(to)
		}
		return jsonResponse(http.StatusOK, out)
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"expand": "names,schema", "startAt": from, "maxResults": maxResults, "total": total, "issues": issues,
	})
}
