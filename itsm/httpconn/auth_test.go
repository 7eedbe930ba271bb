package httpconn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// authServer answers 200 when check accepts the request, 401 otherwise.
func authServer(t *testing.T, check func(*http.Request) bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !check(r) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// send applies auth to a GET of url and returns the status.
func send(t *testing.T, a authenticator, rt http.RoundTripper, url string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	require.NoError(t, a.apply(ctx, req))
	resp, err := rt.RoundTrip(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

func loopbackTransport(t *testing.T) *http.Transport {
	t.Helper()
	tr, err := buildTransport(loopback, TLSConfig{}, 0)
	require.NoError(t, err)
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func TestStaticAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		auth  AuthConfig
		check func(*http.Request) bool
	}{
		{"none", AuthConfig{}, func(r *http.Request) bool { return r.Header.Get("Authorization") == "" }},
		{"explicit none", AuthConfig{Type: AuthNone, Password: "ignored"}, func(r *http.Request) bool { return r.Header.Get("Authorization") == "" }},
		{"basic", AuthConfig{Type: AuthBasic, Username: "analyst", Password: "p@ss:word"}, func(r *http.Request) bool {
			u, p, ok := r.BasicAuth()
			return ok && u == "analyst" && p == "p@ss:word"
		}},
		{"basic jira cloud", AuthConfig{Type: AuthBasic, Username: "soc@example.com", Password: "ATATT3xFfGF0-api-token"}, func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Basic "+base64.StdEncoding.EncodeToString([]byte("soc@example.com:ATATT3xFfGF0-api-token"))
		}},
		{"bearer", AuthConfig{Type: AuthBearer, Token: "pat-123"}, func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer pat-123"
		}},
		{"api key", AuthConfig{Type: AuthAPIKey, HeaderName: "x-api-key", APIKey: "k-456"}, func(r *http.Request) bool {
			return r.Header.Get("X-Api-Key") == "k-456" && r.Header.Get("Authorization") == ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Empty(t, tt.auth.validate("auth"))
			srv := authServer(t, tt.check)
			a, err := newAuthenticator(tt.auth, nil)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, send(t, a, loopbackTransport(t), srv.URL))
			assert.False(t, a.refresh(), "static credentials cannot be refreshed")
		})
	}
	t.Run("wrong credentials get 401", func(t *testing.T) {
		t.Parallel()
		srv := authServer(t, func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer right" })
		a, err := newAuthenticator(AuthConfig{Type: AuthBearer, Token: "wrong"}, nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusUnauthorized, send(t, a, loopbackTransport(t), srv.URL))
	})
}

// tokenServer is an OAuth2 token endpoint issuing "tok-N" and a resource
// that accepts only the latest token.
type tokenServer struct {
	srv      *httptest.Server
	issued   atomic.Int32
	style    string // "header" or "params": how the client must authenticate
	fail     atomic.Bool
	lastForm url.Values
	mu       sync.Mutex
}

func newTokenServer(t *testing.T, style string) *tokenServer {
	t.Helper()
	ts := &tokenServer{style: style}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		ts.mu.Lock()
		ts.lastForm = r.PostForm
		ts.mu.Unlock()
		id, secret, inHeader := r.BasicAuth()
		if !inHeader {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		okStyle := ts.style == "" || (ts.style == "header") == inHeader
		if ts.fail.Load() || !okStyle || id != "client-1" || secret != "Client-Secret-789" || r.PostForm.Get("grant_type") != "client_credentials" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"client secret Client-Secret-789 rejected"}`)
			return
		}
		n := ts.issued.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("/api", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != fmt.Sprintf("Bearer tok-%d", ts.issued.Load()) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	ts.srv = httptest.NewServer(mux)
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *tokenServer) auth(style OAuth2AuthStyle) AuthConfig {
	return AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{
		TokenURL:       ts.srv.URL + "/token",
		ClientID:       "client-1",
		ClientSecret:   "Client-Secret-789",
		Scopes:         []string{"tickets.write", "tickets.read"},
		EndpointParams: map[string]string{"audience": "itsm"},
		AuthStyle:      style,
	}}
}

func TestOAuth2ClientCredentials(t *testing.T) {
	t.Parallel()
	for _, style := range []OAuth2AuthStyle{"", OAuth2AuthStyleHeader, OAuth2AuthStyleParams} {
		t.Run("style "+string(style), func(t *testing.T) {
			t.Parallel()
			want := string(style)
			if want == "" {
				want = "header" // auto detect tries the header first
			}
			ts := newTokenServer(t, want)
			cfg := ts.auth(style)
			require.Empty(t, cfg.validate("auth"))
			tr := loopbackTransport(t)
			a, err := newAuthenticator(cfg, tr)
			require.NoError(t, err)

			assert.Equal(t, http.StatusOK, send(t, a, tr, ts.srv.URL+"/api"))
			assert.Equal(t, http.StatusOK, send(t, a, tr, ts.srv.URL+"/api"))
			assert.Equal(t, int32(1), ts.issued.Load(), "token cached across requests")
			ts.mu.Lock()
			assert.Equal(t, "tickets.write tickets.read", ts.lastForm.Get("scope"))
			assert.Equal(t, "itsm", ts.lastForm.Get("audience"))
			ts.mu.Unlock()

			assert.True(t, a.refresh())
			assert.Equal(t, http.StatusOK, send(t, a, tr, ts.srv.URL+"/api"))
			assert.Equal(t, int32(2), ts.issued.Load(), "refreshed after refresh()")
		})
	}

	t.Run("concurrent callers share one fetch", func(t *testing.T) {
		t.Parallel()
		ts := newTokenServer(t, "header")
		tr := loopbackTransport(t)
		a, err := newAuthenticator(ts.auth(OAuth2AuthStyleHeader), tr)
		require.NoError(t, err)
		var wg sync.WaitGroup
		codes := make([]int, 16)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/api", nil)
				if err := a.apply(context.Background(), req); err != nil {
					return
				}
				resp, err := tr.RoundTrip(req)
				if err != nil {
					return
				}
				_ = resp.Body.Close()
				codes[i] = resp.StatusCode
			}()
		}
		wg.Wait()
		for _, c := range codes {
			assert.Equal(t, http.StatusOK, c)
		}
		assert.Equal(t, int32(1), ts.issued.Load())
	})

	t.Run("token endpoint error carries no body or secret", func(t *testing.T) {
		t.Parallel()
		ts := newTokenServer(t, "header")
		ts.fail.Store(true)
		cfg := ts.auth(OAuth2AuthStyleHeader)
		a, err := newAuthenticator(cfg, loopbackTransport(t))
		require.NoError(t, err)
		req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/api", nil)
		err = a.apply(context.Background(), req)
		var oe *OAuth2Error
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, http.StatusUnauthorized, oe.StatusCode)
		assert.Equal(t, "invalid_client", oe.Code)
		assert.Equal(t, "httpconn: oauth2 token request: status 401: invalid_client", err.Error())
		for _, s := range secretValues(cfg, TLSConfig{}, nil) {
			assert.NotContains(t, err.Error(), s)
		}
		assert.Empty(t, req.Header.Get("Authorization"))
	})

	t.Run("token request goes through the safe transport", func(t *testing.T) {
		t.Parallel()
		res := mapResolver{"metadata.test": {"169.254.169.254"}}
		tr, err := buildTransportResolver(NetworkConfig{AllowLoopback: true, AllowPrivateNetworks: true}, TLSConfig{}, 0, res)
		require.NoError(t, err)
		cfg := AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{TokenURL: "http://metadata.test/token", ClientID: "c", ClientSecret: "Secret-Value-1"}}
		a, err := newAuthenticator(cfg, tr)
		require.NoError(t, err)
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/api", nil)
		err = a.apply(context.Background(), req)
		require.ErrorIs(t, err, ErrHostNotAllowed)
		assert.NotContains(t, err.Error(), "Secret-Value-1")
	})

	t.Run("token request checked against allowed hosts", func(t *testing.T) {
		t.Parallel()
		ts := newTokenServer(t, "header")
		n := NetworkConfig{AllowLoopback: true, AllowedHosts: []string{"itsm.example.com"}}
		tr, err := buildTransport(n, TLSConfig{}, 0)
		require.NoError(t, err)
		a, err := newAuthenticator(ts.auth(OAuth2AuthStyleHeader), guardRoundTripper(n, tr))
		require.NoError(t, err)
		req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/api", nil)
		require.ErrorIs(t, a.apply(context.Background(), req), ErrHostNotAllowed)
		assert.Equal(t, int32(0), ts.issued.Load())
	})

	t.Run("token endpoint redirect not followed", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.RedirectHandler("http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect))
		t.Cleanup(srv.Close)
		cfg := AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{TokenURL: srv.URL + "/token", ClientID: "c", ClientSecret: "s", AuthStyle: OAuth2AuthStyleHeader}}
		a, err := newAuthenticator(cfg, loopbackTransport(t))
		require.NoError(t, err)
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		var oe *OAuth2Error
		require.ErrorAs(t, a.apply(context.Background(), req), &oe)
		assert.Equal(t, http.StatusTemporaryRedirect, oe.StatusCode)
	})

	t.Run("response without access token", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"token_type":"Bearer"}`)
		}))
		t.Cleanup(srv.Close)
		cfg := AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{TokenURL: srv.URL, ClientID: "c", ClientSecret: "s", AuthStyle: OAuth2AuthStyleParams}}
		a, err := newAuthenticator(cfg, loopbackTransport(t))
		require.NoError(t, err)
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		err = a.apply(context.Background(), req)
		require.Error(t, err)
		var oe *OAuth2Error
		assert.True(t, errors.As(err, &oe) || errors.Is(err, itsm.ErrInvalidResponse), "%v", err)
	})
}

func TestNewAuthenticatorErrors(t *testing.T) {
	t.Parallel()
	for _, a := range []AuthConfig{
		{Type: "kerberos"},
		{Type: AuthOAuth2},
		{Type: AuthAPIKey, APIKey: "key-value-1"},
	} {
		_, err := newAuthenticator(a, nil)
		assert.ErrorIs(t, err, itsm.ErrInvalidConfig, "%+v", a)
	}
}

func TestAuthValidate(t *testing.T) {
	t.Parallel()
	oauth := func(mut func(*OAuth2Config)) AuthConfig {
		o := &OAuth2Config{TokenURL: "https://login.example.com/oauth2/token", ClientID: "id", ClientSecret: "sec"}
		if mut != nil {
			mut(o)
		}
		return AuthConfig{Type: AuthOAuth2, OAuth2: o}
	}
	tests := []struct {
		name   string
		auth   AuthConfig
		fields []string
	}{
		{"zero", AuthConfig{}, nil},
		{"none ignores other fields", AuthConfig{Type: AuthNone, Token: RedactedMarker}, nil},
		{"unknown type", AuthConfig{Type: "ntlm"}, []string{"auth.type"}},
		{"basic ok", AuthConfig{Type: AuthBasic, Username: "u", Password: "p"}, nil},
		{"basic missing both", AuthConfig{Type: AuthBasic}, []string{"auth.username", "auth.password"}},
		{"basic colon in user", AuthConfig{Type: AuthBasic, Username: "a:b", Password: "p"}, []string{"auth.username"}},
		{"basic newline in password", AuthConfig{Type: AuthBasic, Username: "u", Password: "p\r\nX-Evil: 1"}, []string{"auth.password"}},
		{"basic marker password", AuthConfig{Type: AuthBasic, Username: "u", Password: RedactedMarker}, []string{"auth.password"}},
		{"basic marker username", AuthConfig{Type: AuthBasic, Username: RedactedMarker, Password: "p"}, []string{"auth.username"}},
		{"bearer ok", AuthConfig{Type: AuthBearer, Token: "t"}, nil},
		{"bearer missing", AuthConfig{Type: AuthBearer}, []string{"auth.token"}},
		{"api key ok", AuthConfig{Type: AuthAPIKey, HeaderName: "X-API-Key", APIKey: "key-value-1"}, nil},
		{"api key no header", AuthConfig{Type: AuthAPIKey, APIKey: "key-value-1"}, []string{"auth.header_name"}},
		{"api key bad header", AuthConfig{Type: AuthAPIKey, HeaderName: "X API", APIKey: "key-value-1"}, []string{"auth.header_name"}},
		{"api key reserved header", AuthConfig{Type: AuthAPIKey, HeaderName: "content-length", APIKey: "key-value-1"}, []string{"auth.header_name"}},
		{"api key missing", AuthConfig{Type: AuthAPIKey, HeaderName: "X-API-Key"}, []string{"auth.api_key"}},
		{"oauth2 ok", oauth(nil), nil},
		{"oauth2 missing section", AuthConfig{Type: AuthOAuth2}, []string{"auth.oauth2"}},
		{"oauth2 bad url", oauth(func(o *OAuth2Config) { o.TokenURL = "ftp://x/token" }), []string{"auth.oauth2.token_url"}},
		{"oauth2 url with creds", oauth(func(o *OAuth2Config) { o.TokenURL = "https://u:p@x/token" }), []string{"auth.oauth2.token_url"}},
		{"oauth2 no url", oauth(func(o *OAuth2Config) { o.TokenURL = "" }), []string{"auth.oauth2.token_url"}},
		{"oauth2 no client", oauth(func(o *OAuth2Config) { o.ClientID, o.ClientSecret = "", "" }), []string{"auth.oauth2.client_id", "auth.oauth2.client_secret"}},
		{"oauth2 bad scope", oauth(func(o *OAuth2Config) { o.Scopes = []string{"a b"} }), []string{"auth.oauth2.scopes"}},
		{"oauth2 reserved param", oauth(func(o *OAuth2Config) { o.EndpointParams = map[string]string{"grant_type": "password"} }), []string{"auth.oauth2.endpoint_params"}},
		{"oauth2 bad style", oauth(func(o *OAuth2Config) { o.AuthStyle = "cookie" }), []string{"auth.oauth2.auth_style"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var fields []string
			for _, e := range tt.auth.validate("auth") {
				fields = append(fields, e.Field)
				assert.NotEmpty(t, e.Message)
				for _, s := range secretValues(tt.auth, TLSConfig{}, nil) {
					assert.NotContains(t, e.Message, s)
				}
			}
			assert.Equal(t, tt.fields, fields)
		})
	}
}

func TestAuthRedactAndKeep(t *testing.T) {
	t.Parallel()
	saved := AuthConfig{Type: AuthBasic, Username: "u", Password: "pw", Token: "tk", HeaderName: "X-Key", APIKey: "ak",
		OAuth2: &OAuth2Config{TokenURL: "https://login.example.com/token", ClientID: "id", ClientSecret: "cs", Scopes: []string{"a"}}}
	red := saved.redacted()
	assert.Equal(t, RedactedMarker, red.Password)
	assert.Equal(t, RedactedMarker, red.Token)
	assert.Equal(t, RedactedMarker, red.APIKey)
	assert.Equal(t, RedactedMarker, red.OAuth2.ClientSecret)
	assert.Equal(t, "u", red.Username)
	assert.Equal(t, "cs", saved.OAuth2.ClientSecret, "redacted copies, never edits the original")
	red.OAuth2.Scopes[0] = "changed"
	assert.Equal(t, "a", saved.OAuth2.Scopes[0])
	assert.Equal(t, AuthConfig{Type: AuthBasic, Username: "u"}, AuthConfig{Type: AuthBasic, Username: "u"}.redacted(), "empty stays empty")

	b, err := json.Marshal(saved.redacted())
	require.NoError(t, err)
	for _, s := range secretValues(saved, TLSConfig{}, nil) {
		assert.NotContains(t, string(b), s)
	}

	t.Run("round trip keeps everything", func(t *testing.T) {
		edit := saved.redacted()
		edit.keepSecrets(saved)
		assert.Equal(t, saved, edit)
	})
	t.Run("blank keeps", func(t *testing.T) {
		edit := AuthConfig{Type: AuthBasic, Username: "u2"}
		edit.keepSecrets(saved)
		assert.Equal(t, "pw", edit.Password)
	})
	t.Run("new value wins", func(t *testing.T) {
		edit := AuthConfig{Type: AuthBearer, Token: "new"}
		edit.keepSecrets(saved)
		assert.Equal(t, "new", edit.Token)
	})
	t.Run("client secret does not follow a new token host", func(t *testing.T) {
		edit := saved.redacted()
		edit.Type = AuthOAuth2
		edit.OAuth2.TokenURL = "https://attacker.example.net/token"
		edit.keepSecrets(saved)
		assert.Equal(t, RedactedMarker, edit.OAuth2.ClientSecret)
		assert.NotEmpty(t, edit.validate("auth"), "validation asks for the secret again")

		edit = AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{TokenURL: "https://attacker.example.net/token", ClientID: "id"}}
		edit.keepSecrets(saved)
		assert.Equal(t, RedactedMarker, edit.OAuth2.ClientSecret)
	})
	t.Run("client secret kept on the same host", func(t *testing.T) {
		edit := AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{TokenURL: "https://LOGIN.example.com/v2/token", ClientID: "id"}}
		edit.keepSecrets(saved)
		assert.Equal(t, "cs", edit.OAuth2.ClientSecret)
	})
	t.Run("nothing saved", func(t *testing.T) {
		edit := AuthConfig{Type: AuthBasic, Username: "u", Password: RedactedMarker}
		edit.keepSecrets(AuthConfig{})
		assert.Equal(t, RedactedMarker, edit.Password)
		assert.NotEmpty(t, edit.validate("auth"))
	})
}

func TestSecretValues(t *testing.T) {
	t.Parallel()
	a := AuthConfig{Type: AuthBasic, Username: "user", Password: "pw", Token: "tok", APIKey: "key",
		OAuth2: &OAuth2Config{ClientID: "id", ClientSecret: "cs"}}
	tc := TLSConfig{ClientKeyPEM: "keypem", PFXBase64: "pfx", Passphrase: "pp", ClientCertPEM: "public"}
	got := secretValues(a, tc, map[string]string{"X-Secret": "hdr", "X-Empty": ""})
	for _, want := range []string{"pw", "tok", "key", "cs", "keypem", "pfx", "pp", "hdr",
		base64.StdEncoding.EncodeToString([]byte("user:pw")), base64.StdEncoding.EncodeToString([]byte("id:cs"))} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, "public")
	assert.NotContains(t, got, "")
	assert.NotContains(t, got, "user")
	assert.Empty(t, secretValues(AuthConfig{Password: RedactedMarker}, TLSConfig{}, nil))
}

func TestOAuth2ErrorMessages(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "httpconn: oauth2 token request: status 500", (&OAuth2Error{StatusCode: 500}).Error())
	assert.Equal(t, "httpconn: oauth2 token request: boom", (&OAuth2Error{Err: errors.New("boom")}).Error())
	assert.Equal(t, "httpconn: oauth2 token request failed", (&OAuth2Error{}).Error())
	assert.True(t, validOAuth2Code("invalid_client"))
	for _, bad := range []string{"", "has space", `quote"`, strings.Repeat("a", 65), "ünicode"} {
		assert.False(t, validOAuth2Code(bad), bad)
	}
}

func BenchmarkStaticAuthApply(b *testing.B) {
	a, err := newAuthenticator(AuthConfig{Type: AuthBasic, Username: "u", Password: "p"}, nil)
	require.NoError(b, err)
	req, _ := http.NewRequest(http.MethodGet, "http://example.com/", nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = a.apply(ctx, req)
	}
}
