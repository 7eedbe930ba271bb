package sysaid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/tidwall/gjson"
)

// Webhook event names SysAid sends.
const (
	EventSRCreated = "sr.created"
	EventSRUpdated = "sr.updated"
)

// SubscribeRequest is a webhook subscription: where SysAid should POST and
// which events.
type SubscribeRequest struct {
	// URL is the SIEM's callback URL (https, or http on a loopback host for
	// tests). Required.
	URL string `json:"url"`
	// Description names the subscription in SysAid (default "itsmsync").
	Description string `json:"description,omitempty"`
	// EventNames are the events to receive (default sr.created and
	// sr.updated).
	EventNames []string `json:"eventNames,omitempty"`
}

// Subscription is SysAid's answer to a subscription request.
type Subscription struct {
	// ID is the subscription id, read from "id" (or "webhookId",
	// "subscriptionId"); "" when the answer has none.
	ID string
	// Secret is the signing secret when the answer carries one ("secret",
	// "signingSecret", "signatureSecret"); store it like a password and give
	// it to [Verifier].
	Secret string
	// Raw is the whole answer (it may hold Secret: do not log it).
	Raw json.RawMessage
}

// maxSubscribeResponse caps the answer read.
const maxSubscribeResponse = 1 << 20

// Subscribe registers a webhook subscription: POST
// <server>/connect/v1/webhooks with {"url", "description", "eventNames"},
// over the transport of c's config (TLS, proxy, network rules). With
// ConnectorConfig.AppKey it authenticates as SysAid's developer API
// documents: the application key is exchanged for an access token (POST
// <server>/connect/v1/access-tokens with the account id header, cached per
// process until it expires) sent as "Authorization: Bearer <token>".
// Without it, it sends c's session (login cookie, one re-login on expiry). The URL's host is the
// host of c's config. A non-2xx answer is an *httpconn.HTTPError (Op
// "subscribe"); a request that cannot be sent (a nil connector, a URL that
// is not absolute https) is an *itsm.ValidationError wrapping
// itsm.ErrInvalidConfig and sends nothing. No error carries the password,
// the cookie or the secret.
func Subscribe(ctx context.Context, c *Connector, req SubscribeRequest) (Subscription, error) {
	var errs []itsm.FieldError
	if c == nil || c.raw == nil {
		errs = append(errs, itsm.FieldError{Field: "connector", Message: "is nil"})
	}
	u, err := url.Parse(req.URL)
	switch {
	case err != nil || u.Host == "":
		errs = append(errs, itsm.FieldError{Field: "url", Message: "must be an absolute URL"})
	case u.Scheme == "https":
	case u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"):
	default:
		errs = append(errs, itsm.FieldError{Field: "url", Message: "must use https"})
	}
	if len(errs) > 0 {
		return Subscription{}, &itsm.ValidationError{Errors: errs, Component: "sysaid", Subject: "subscription request"}
	}
	if req.Description == "" {
		req.Description = "itsmsync"
	}
	if len(req.EventNames) == 0 {
		req.EventNames = []string{EventSRCreated, EventSRUpdated}
	}
	body, _ := json.Marshal(req) // strings only: cannot fail
	endpoint := c.server + "/connect/v1/webhooks"
	timeout := c.timeout.D()
	if timeout <= 0 {
		timeout = httpconn.DefaultRequestTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return Subscription{}, fmt.Errorf("sysaid: subscribe: %w", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "itsmsync")
	rt := c.raw
	if c.appKey.ClientID != "" {
		tok, err := c.token(ctx, c.appKey)
		if err != nil {
			return Subscription{}, err
		}
		hr.Header.Set("Authorization", "Bearer "+tok)
		rt = c.plain
	}
	resp, err := rt.RoundTrip(hr)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Subscription{}, fmt.Errorf("sysaid: subscribe: POST %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxSubscribeResponse+1))
	if err != nil {
		return Subscription{}, fmt.Errorf("sysaid: subscribe: POST %s: reading the answer: %w", endpoint, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Subscription{}, &httpconn.HTTPError{Op: "subscribe", Method: http.MethodPost, URL: endpoint,
			StatusCode: resp.StatusCode, Body: snippet(raw), Attempts: 1}
	}
	if len(raw) > maxSubscribeResponse || (len(bytes.TrimSpace(raw)) > 0 && !gjson.ValidBytes(raw)) {
		return Subscription{}, &httpconn.HTTPError{Op: "subscribe", Method: http.MethodPost, URL: endpoint,
			StatusCode: resp.StatusCode, Attempts: 1, Err: fmt.Errorf("%w: the answer is not JSON", itsm.ErrInvalidResponse)}
	}
	s := Subscription{Raw: json.RawMessage(bytes.Clone(raw))}
	doc := gjson.ParseBytes(raw)
	s.ID = first(doc, "id", "webhookId", "subscriptionId")
	s.Secret = first(doc, "secret", "signingSecret", "signatureSecret")
	return s, nil
}

func first(doc gjson.Result, keys ...string) string {
	for _, k := range keys {
		if r := doc.Get(k); r.Type == gjson.String || r.Type == gjson.Number {
			if r.Type == gjson.Number {
				return r.Raw
			}
			return r.Str
		}
	}
	return ""
}

// snippet is the start of an error body, one line, without secrets we
// know of (a signing secret in an error answer is cut by the key check).
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if strings.Contains(strings.ToLower(s), "secret") {
		return "(body withheld: it mentions a secret)"
	}
	return clip.Bytes(s, 256)
}
