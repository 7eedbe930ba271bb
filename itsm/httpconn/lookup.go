package httpconn

import (
	"context"
	"errors"
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/itsmsync/itsmsync/itsm"
)

// Find looks up the tickets carrying the case's correlation key with the
// lookup request and returns those that prove it (see [LookupConfig]:
// MatchPath in each item, or GetMatchPath in each ticket read with the get
// request), in the order the response lists them; an item that does not
// prove it is dropped, whatever the search said. None is an empty slice and
// a nil error. [itsm.ErrNotConfigured] (wrapped) without a lookup request.
// req.Case may be nil when req.CorrelationKey is set (a lookup by key alone,
// as the reconciler's orphan search does): case variables then render as
// null (empty in a URL).
func (c *Connector) Find(ctx context.Context, req itsm.SyncRequest) (found []itsm.Ticket, err error) {
	start := c.env.Clock.Now()
	var status int
	defer func() {
		var first itsm.Ticket
		if len(found) > 0 {
			first = found[0]
		}
		c.record(ctx, itsm.OpLookup, req.Case, &first, nil, status, start, err)
	}()
	if !c.cc.lookup.configured() {
		return nil, &opError{Op: itsm.OpLookup, Err: itsm.ErrNotConfigured}
	}
	key := c.correlationKey(req)
	if req.Case != nil {
		if err = checkCase(itsm.OpLookup, req.Case); err != nil {
			return nil, err
		}
	} else if key == "" {
		return nil, &opError{Op: itsm.OpLookup, Err: &itsm.ValidationError{Component: "httpconn", Subject: "lookup", Input: true,
			Errors: []itsm.FieldError{{Field: "correlation_key", Message: "is required without a case"}}}}
	}
	vals := c.values(req.Case, nil, nil, key)
	if req.Case == nil {
		// By key alone: case variables have no value and render as null
		// (empty in a URL).
		ep := &c.cc.lookup
		vals = withNulls(vals, ep.url.Variables())
		if ep.payload != nil {
			vals = withNulls(vals, ep.payload.Variables())
		}
	}
	res, err := c.do(ctx, &c.cc.lookup, vals, true)
	status = res.status
	if err != nil {
		return nil, err
	}
	if err = c.requireJSON(itsm.OpLookup, res); err != nil {
		return nil, err
	}
	lk := c.cc.cfg.Lookup
	found = []itsm.Ticket{}
	gets := 0
	for _, it := range lookupItems(res.body, lk.ItemsPath) {
		id, ok := scalarOf(it.Get(lk.TicketIDPath))
		if !ok {
			continue
		}
		t := itsm.Ticket{ID: id}
		if lk.TicketKeyPath != "" {
			t.Key, _ = scalarOf(it.Get(lk.TicketKeyPath))
		}
		if lk.MatchPath != "" {
			if !carriesKey(it.Get(lk.MatchPath), key, lk.MatchContains) {
				continue
			}
		} else {
			if gets == MaxLookupGets {
				break
			}
			gets++
			ok, err := c.verifyByGet(ctx, t, key)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		t.URL = c.viewURL(vals, t)
		found = append(found, t)
	}
	return found, nil
}

// lookupItems returns the items of a lookup response: the elements of the
// array at itemsPath (at most MaxLookupItems), or the whole response as
// one item without itemsPath.
func lookupItems(body []byte, itemsPath string) []gjson.Result {
	if itemsPath == "" {
		return []gjson.Result{gjson.ParseBytes(body)}
	}
	r := gjson.GetBytes(body, itemsPath)
	switch {
	case r.IsArray():
		items := r.Array()
		return items[:min(len(items), MaxLookupItems)]
	case r.IsObject():
		return []gjson.Result{r}
	}
	return nil
}

// verifyByGet reads t with the get request and reports whether it carries
// key at GetMatchPath. A ticket that is gone (404) does not.
func (c *Connector) verifyByGet(ctx context.Context, t itsm.Ticket, key string) (bool, error) {
	vals := c.values(nil, &t, nil, "")
	res, err := c.do(ctx, &c.cc.get, vals, true)
	if err != nil {
		if errors.Is(err, itsm.ErrTicketNotFound) {
			return false, nil
		}
		return false, fmt.Errorf("httpconn: lookup: verify ticket %s: %w", t.ID, err)
	}
	if err := c.requireJSON(itsm.OpGet, res); err != nil {
		return false, fmt.Errorf("httpconn: lookup: verify ticket %s: %w", t.ID, err)
	}
	return carriesKey(gjson.GetBytes(res.body, c.cc.cfg.Lookup.GetMatchPath), key, c.cc.cfg.Lookup.MatchContains), nil
}

// carriesKey reports whether v proves the correlation key: a string equal
// to it (or, with contains, holding it as a whole word), or an array with
// such a string among its elements.
func carriesKey(v gjson.Result, key string, contains bool) bool {
	if key == "" {
		return false
	}
	match := func(s string) bool {
		if contains {
			return containsWord(s, key)
		}
		return s == key
	}
	switch {
	case v.IsArray():
		ok := false
		v.ForEach(func(_, e gjson.Result) bool {
			ok = e.Type == gjson.String && match(e.Str)
			return !ok
		})
		return ok
	case v.Type == gjson.String:
		return match(v.Str)
	}
	return false
}
