package sysaid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/tidwall/gjson"
)

// AccountIDHeader carries the SysAid account id on the developer API's
// token request (developers.sysaid.com, Authentication Guide).
const AccountIDHeader = "x-sysaid-accountid"

// AppKey is an application key of SysAid's developer API: the client id
// and secret that POST /v1/application-keys returned (developers.sysaid.com
// "Create App Key"; create one per integration and reuse it: an account
// may hold 100). [Subscribe] exchanges it for an access token at
// <server>/connect/v1/access-tokens (with [AccountIDHeader]) and sends the
// token as a Bearer credential. The secret is written as
// httpconn.RedactedMarker by MarshalJSON.
type AppKey struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// MarshalJSON writes the key with the secret redacted.
func (k AppKey) MarshalJSON() ([]byte, error) {
	type plain AppKey
	if k.ClientSecret != "" {
		k.ClientSecret = httpconn.RedactedMarker
	}
	return json.Marshal(plain(k))
}

// String names the key by its client id only; the secret never shows.
func (k AppKey) String() string { return "sysaid.AppKey{ClientID: " + strconv.Quote(k.ClientID) + "}" }

// GoString is String.
func (k AppKey) GoString() string { return k.String() }

// Format prints String under every verb (%q quotes it).
func (k AppKey) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = fmt.Fprint(f, strconv.Quote(k.String()))
		return
	}
	_, _ = fmt.Fprint(f, k.String())
}

// LogValue logs the client id only.
func (k AppKey) LogValue() slog.Value { return slog.GroupValue(slog.String("client_id", k.ClientID)) }

// accessToken is a cached developer-API token.
type accessToken struct {
	token   string
	expires time.Time
}

type tokenKey struct{ server, account, clientID string }

// One token per process for each (server, account, client id), shared by
// every connector: SysAid's tokens live 24 hours by default.
var (
	tokensMu sync.Mutex
	tokens   = map[tokenKey]accessToken{}
)

// maxTokenBody caps the token response read.
const maxTokenBody = 64 << 10

// token returns a valid access token for key, requesting one when the
// cached token is missing or expires within a minute.
func (c *Connector) token(ctx context.Context, key AppKey) (string, error) {
	k := tokenKey{c.server, c.accountID, key.ClientID}
	now := c.clock.Now()
	tokensMu.Lock()
	t, ok := tokens[k]
	tokensMu.Unlock()
	if ok && now.Add(time.Minute).Before(t.expires) {
		return t.token, nil
	}
	body, _ := json.Marshal(map[string]string{"clientId": key.ClientID, "clientSecret": key.ClientSecret})
	endpoint := c.server + "/connect/v1/access-tokens"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("sysaid: access token: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(AccountIDHeader, c.accountID)
	resp, err := c.plain.RoundTrip(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("sysaid: access token: POST %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", &httpconn.HTTPError{Op: "access token", Method: http.MethodPost, URL: endpoint,
			StatusCode: resp.StatusCode, Body: snippet(raw), Attempts: 1}
	}
	tok := gjson.GetBytes(raw, "token").String()
	if !gjson.ValidBytes(raw) || tok == "" || !strings.EqualFold(gjson.GetBytes(raw, "tokenType").String(), "Bearer") && gjson.GetBytes(raw, "tokenType").Exists() {
		return "", &httpconn.HTTPError{Op: "access token", Method: http.MethodPost, URL: endpoint,
			StatusCode: resp.StatusCode, Attempts: 1, Err: fmt.Errorf("%w: no bearer token in the answer", itsm.ErrInvalidResponse)}
	}
	life := time.Duration(gjson.GetBytes(raw, "expiresIn").Int()) * time.Second
	if life <= 0 {
		life = 24 * time.Hour // SysAid's default token lifetime
	}
	c.base.AddSecret(tok)
	tokensMu.Lock()
	tokens[k] = accessToken{token: tok, expires: now.Add(life)}
	tokensMu.Unlock()
	return tok, nil
}
