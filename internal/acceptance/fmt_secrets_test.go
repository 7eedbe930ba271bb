package acceptance

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/providers/servicenow"
	"github.com/itsmsync/itsmsync/providers/sysaid"
	"github.com/itsmsync/itsmsync/providers/webhook"
)

// Distinct secret values, one per slot, so a leak names its field.
const (
	fmtPassword   = "Fmt-Password-Secret-1"
	fmtToken      = "Fmt-Bearer-Secret-2"
	fmtAPIKey     = "Fmt-APIKey-Secret-3"
	fmtClient     = "Fmt-Client-Secret-4"
	fmtKeyPEM     = "Fmt-KeyPEM-Secret-5"
	fmtPFX        = "Fmt-PFX-Secret-6"
	fmtPassphrase = "Fmt-Passphrase-Secret-7"
	fmtProxyPW    = "Fmt-ProxyPW-Secret-8"
	fmtHeader     = "Fmt-Header-Secret-9"
	fmtHMAC       = "Fmt-HMAC-Secret-10"
	fmtSubSecret  = "Fmt-Subscription-Secret-11"
	// fmtManaged is the managed webhook secret generated from a reader of
	// 0xab bytes (secretHolders), and fmtSealKey the key it is sealed with.
	fmtManaged = "itsm_whs_abababababababababababababababababababababababababababababababab"
	fmtSealKey = "Fmt-Seal-Key-32-bytes-long-12345"
)

var fmtSecrets = []string{fmtManaged, fmtSealKey, fmtPassword, fmtToken, fmtAPIKey, fmtClient, fmtKeyPEM, fmtPFX, fmtPassphrase,
	fmtProxyPW, fmtHeader, fmtHMAC, fmtSubSecret, "RnV0LVBhc3N3b3JkLVNlY3JldC0x" /* base64 prefix of the password */}

func fmtAuth(typ httpconn.AuthType) httpconn.AuthConfig {
	return httpconn.AuthConfig{Type: typ, Username: "bot", Password: fmtPassword, Token: fmtToken, HeaderName: "X-Key",
		APIKey: fmtAPIKey, OAuth2: &httpconn.OAuth2Config{TokenURL: "https://login.example.com/token", ClientID: "id", ClientSecret: fmtClient}}
}

var (
	fmtTLS     = httpconn.TLSConfig{ClientKeyPEM: fmtKeyPEM, PFXBase64: fmtPFX, Passphrase: fmtPassphrase}
	fmtNetwork = httpconn.NetworkConfig{ProxyURL: "http://proxy-user:" + fmtProxyPW + "@proxy.example.com:3128", AllowLoopback: true}
)

// secretHolders returns one value of every type that holds a secret, keyed
// by its "pkg.Type" name, built with every secret slot filled.
func secretHolders(t *testing.T) map[string]any {
	t.Helper()
	cfg := httpconn.Config{Name: "fmt", ID: "fmt-1", TicketIDPath: "id",
		Create:        httpconn.EndpointConfig{URL: "https://itsm.example.com/api/tickets", Payload: `{"t":"$case_name"}`},
		Update:        httpconn.EndpointConfig{URL: "https://itsm.example.com/api/tickets/$ticket_id", Payload: `{"t":"$case_name"}`},
		SecretHeaders: map[string]string{"X-Secret": fmtHeader},
		Auth:          fmtAuth(httpconn.AuthBasic), Network: httpconn.NetworkConfig{AllowLoopback: true}}
	conn, err := httpconn.New(cfg)
	require.NoError(t, err)
	fullCfg := cfg
	fullCfg.TLS, fullCfg.Network = fmtTLS, fmtNetwork

	jcfg, err := jira.Preset(jira.Options{BaseURL: "https://acme.atlassian.net", ProjectKey: "SEC",
		Auth: httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: "bot@example.com", Password: fmtPassword}})
	require.NoError(t, err)
	jc, err := jira.NewConnector(jcfg)
	require.NoError(t, err)
	scfg, err := servicenow.Preset(servicenow.Options{InstanceURL: "https://dev1.service-now.com",
		Auth: httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: "bot", Password: fmtPassword}})
	require.NoError(t, err)
	sc, err := servicenow.NewConnector(scfg, servicenow.ConnectorConfig{})
	require.NoError(t, err)
	saOpts := sysaid.Options{BaseURL: "https://acme.sysaidit.com", Username: "bot", Password: fmtPassword}
	sacfg, err := sysaid.Preset(saOpts)
	require.NoError(t, err)
	sa, err := sysaid.NewConnector(sacfg, sysaid.ConnectorConfig{})
	require.NoError(t, err)
	hv, err := callback.NewHMACVerifier(callback.JiraHMAC(fmtHMAC))
	require.NoError(t, err)
	swSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte(fmtHMAC))
	sw, err := callback.NewStandardWebhooksVerifier(callback.StandardWebhooksConfig{Secrets: []string{swSecret}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(); _ = jc.Close(); _ = sc.Close(); _ = sa.Close() })
	sealer, err := callback.NewAESGCMSealer([]byte(fmtSealKey))
	require.NoError(t, err)
	managed, err := callback.NewSecrets(memstore.New(), sealer, callback.SecretsConfig{Random: bytes.NewReader(bytes.Repeat([]byte{0xab}, 4096))})
	require.NoError(t, err)
	issued, err := managed.Generate(context.Background(), "fmt-1")
	require.NoError(t, err)
	require.Equal(t, fmtManaged, issued.Secret.Reveal())

	return map[string]any{
		"httpconn.Config":                   fullCfg,
		"httpconn.AuthConfig":               fmtAuth(httpconn.AuthOAuth2),
		"httpconn.OAuth2Config":             *fmtAuth(httpconn.AuthOAuth2).OAuth2,
		"httpconn.TLSConfig":                fmtTLS,
		"httpconn.NetworkConfig":            fmtNetwork,
		"httpconn.Connector":                conn,
		"jira.Options":                      jira.Options{BaseURL: "https://acme.atlassian.net", Auth: fmtAuth(httpconn.AuthBasic), TLS: fmtTLS, Network: fmtNetwork},
		"jira.Connector":                    jc,
		"servicenow.Options":                servicenow.Options{InstanceURL: "https://dev1.service-now.com", Auth: fmtAuth(httpconn.AuthOAuth2)},
		"servicenow.Connector":              sc,
		"sysaid.Options":                    saOpts,
		"sysaid.Connector":                  sa,
		"sysaid.AppKey":                     sysaid.AppKey{ClientID: "client-1", ClientSecret: fmtPassword},
		"sysaid.Subscription":               sysaid.Subscription{ID: "12", Secret: fmtSubSecret, Raw: []byte(`{"secret":"` + fmtSubSecret + `"}`)},
		"webhook.Options":                   webhook.Options{BaseURL: "https://itsm.example.com", Auth: fmtAuth(httpconn.AuthAPIKey), TLS: fmtTLS, Network: fmtNetwork},
		"webhook.Integration":               webhook.Integration{Outbound: fullCfg},
		"callback.HMACConfig":               callback.JiraHMAC(fmtHMAC),
		"callback.StandardWebhooksConfig":   callback.StandardWebhooksConfig{Secrets: []string{swSecret, fmtHMAC}},
		"callback.HMACVerifier":             hv,
		"callback.StandardWebhooksVerifier": sw,
		"callback.IssuedSecret":             issued,
		"callback.Secret":                   issued.Secret,
		"callback.Secrets":                  managed,
		"callback.AESGCMSealer":             sealer,
	}
}

// TestSecretHoldersPrintRedacted: every type that holds a secret prints it
// redacted under %v %+v %#v %s %q, alone, behind a pointer and inside a
// host's own struct, and through slog's text and JSON handlers.
func TestSecretHoldersPrintRedacted(t *testing.T) {
	t.Parallel()
	for name, v := range secretHolders(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			type hostStruct struct {
				Name   string
				Holder any
			}
			forms := []any{v, hostStruct{"host", v}}
			if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer {
				p := reflect.New(rv.Type())
				p.Elem().Set(rv)
				forms = append(forms, p.Interface())
			} else {
				forms = append(forms, rv.Elem().Interface()) // the struct itself, copied
			}
			var outs []string
			for i, f := range forms {
				for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
					outs = append(outs, verb+" "+fmt.Sprintf(verb, f))
				}
				for j, h := range []func(*bytes.Buffer) slog.Handler{
					func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
					func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
				} {
					if i == 1 && j == 1 {
						// Inside a host's own struct the JSON handler uses
						// encoding/json, not LogValue: only types whose JSON
						// form is redacted are safe there (see the report).
						continue
					}
					var b bytes.Buffer
					slog.New(h(&b)).Info("x", "holder", f, slog.Any("any", f), slog.Group("g", "v", f))
					outs = append(outs, "slog "+b.String())
				}
			}
			for _, out := range outs {
				for _, s := range fmtSecrets {
					if strings.Contains(out, s) || strings.Contains(out, fmt.Sprintf("%x", s)) {
						t.Errorf("%s leaks %q: %s", name, s, out)
					}
				}
			}
		})
	}
}

// secretField names fields that hold a secret (or a whole configuration or
// key set that does).
var secretField = regexp.MustCompile(`(?i)^(password|passphrase|.*secret.*|token|apikey|clientkeypem|pfxbase64|proxyurl|keys|auth|tls|network|cfg|state|outbound)$`)

// secretHolderExempt lists exported types with a matching field that do not
// need redacted printing, and why.
var secretHolderExempt = map[string]string{
	"callback.IssuedToken":   "its Token is the plaintext shown to the user once, on purpose",
	"callback.TokenVerifier": "holds a *Tokens (hashes only)",
	"callback.Tokens":        "holds a store of token hashes only",
	"callback.Handler":       "its cfg holds verifiers, parsers and stores behind pointers and interfaces: printed as addresses",
	"callback.Applier":       "its cfg holds stores and the connector behind interfaces: printed as addresses",
	"callback.Reconciler":    "its cfg holds stores and the connector behind interfaces: printed as addresses",
	"callback.JSONParser":    "its cfg (JSONParserConfig) holds field paths, no secret",
	"callback.SecretInfo":    "metadata of a managed secret (its State is the lifecycle state), never the secret",
}

// TestSecretHoldersListed walks the exported struct types of the packages
// that hold credentials and fails when one has a secret-looking field (by
// name) but is missing from secretHolders, so a new type cannot skip the
// fmt and slog redaction check.
func TestSecretHoldersListed(t *testing.T) {
	t.Parallel()
	covered := secretHolders(t)
	dirs := map[string]string{
		"httpconn": "../../itsm/httpconn", "callback": "../../callback", "jira": "../../providers/jira",
		"servicenow": "../../providers/servicenow", "sysaid": "../../providers/sysaid", "webhook": "../../providers/webhook",
	}
	for pkg, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		fset := token.NewFileSet()
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
			require.NoError(t, err)
			ast.Inspect(f, func(n ast.Node) bool {
				ts, ok := n.(*ast.TypeSpec)
				if !ok || !ts.Name.IsExported() {
					return true
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					return true
				}
				name := pkg + "." + ts.Name.Name
				for _, fld := range st.Fields.List {
					for _, id := range fld.Names {
						if !secretField.MatchString(id.Name) {
							continue
						}
						_, listed := covered[name]
						_, exempt := secretHolderExempt[name]
						assert.True(t, listed || exempt, "%s has the secret-looking field %s: add it to secretHolders (and give it redacted fmt/slog methods) or to secretHolderExempt", name, id.Name)
					}
				}
				return true
			})
		}
	}
}
