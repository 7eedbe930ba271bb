package httpconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/itsmsync/itsmsync/internal/testpki"
	"github.com/itsmsync/itsmsync/itsm"
)

// pki is one set of test certificates shared by the TLS tests (generated
// once: key generation is the slow part).
type pki struct {
	ca, otherCA, clientCA *testpki.CA
	server                *testpki.Leaf // 127.0.0.1, localhost, by ca
	wrongHost             *testpki.Leaf // other.example only, by ca
	untrusted             *testpki.Leaf // 127.0.0.1, by otherCA
	expired               *testpki.Leaf // 127.0.0.1, by ca, expired
	viaIntermediate       *testpki.Leaf // 127.0.0.1, by an intermediate of ca
	client                *testpki.Leaf // by clientCA, ECDSA
	clientRSA             *testpki.Leaf // by clientCA, RSA (legacy PFX, encrypted PEM)
	strangerClient        *testpki.Leaf // by otherCA
}

var (
	pkiOnce sync.Once
	pkiVal  *pki
)

func testPKI(t testing.TB) *pki {
	t.Helper()
	pkiOnce.Do(func() {
		p := &pki{}
		p.ca = testpki.NewCA(t, "itsmsync test root")
		p.otherCA = testpki.NewCA(t, "someone else")
		p.clientCA = testpki.NewCA(t, "itsmsync client root")
		p.server = p.ca.Server(t, testpki.Options{}, "127.0.0.1", "localhost", "::1")
		p.wrongHost = p.ca.Server(t, testpki.Options{}, "other.example")
		p.untrusted = p.otherCA.Server(t, testpki.Options{}, "127.0.0.1")
		p.expired = p.ca.Server(t, testpki.Options{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}, "127.0.0.1")
		p.viaIntermediate = p.ca.NewIntermediate(t, "itsmsync intermediate").Server(t, testpki.Options{}, "127.0.0.1")
		p.client = p.clientCA.Client(t, testpki.Options{}, "siem-client")
		p.clientRSA = p.clientCA.Client(t, testpki.Options{RSA: true}, "siem-client-rsa")
		p.strangerClient = p.otherCA.Client(t, testpki.Options{}, "stranger")
		pkiVal = p
	})
	require.NotNil(t, pkiVal, "test PKI generation failed")
	return pkiVal
}

// tlsServer starts an HTTPS server with cert; with clientCAs set it requires
// a client certificate from them. The handler answers the client
// certificate's common name (or "anonymous") and the protocol.
func tlsServer(t *testing.T, cert *testpki.Leaf, clientCAs *x509.CertPool) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := "anonymous"
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			name = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		_, _ = io.WriteString(w, name+" "+r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLSCertificate()}, MinVersion: tls.VersionTLS12}
	if clientCAs != nil {
		srv.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		srv.TLS.ClientCAs = clientCAs
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// get sends one GET through a transport built from the configs and returns
// the body.
func get(t *testing.T, n NetworkConfig, tc TLSConfig, url string) (string, error) {
	t.Helper()
	tr, err := buildTransport(n, tc, 0)
	require.NoError(t, err)
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second, CheckRedirect: checkRedirect(n)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b), nil
}

var loopback = NetworkConfig{AllowLoopback: true}

func TestTLSVerificationModes(t *testing.T) {
	t.Parallel()
	p := testPKI(t)
	good := tlsServer(t, p.server, nil)
	wrongHost := tlsServer(t, p.wrongHost, nil)
	untrusted := tlsServer(t, p.untrusted, nil)
	expired := tlsServer(t, p.expired, nil)
	chained := tlsServer(t, p.viaIntermediate, nil)
	localhostURL := strings.Replace(good.URL, "127.0.0.1", "localhost", 1)

	tests := []struct {
		name    string
		tls     TLSConfig
		url     string
		wantErr bool
	}{
		{"full with CA", TLSConfig{CACertPEM: p.ca.CertPEM}, good.URL, false},
		{"zero mode is full", TLSConfig{CACertPEM: p.ca.CertPEM, Verification: ""}, good.URL, false},
		{"full by host name", TLSConfig{CACertPEM: p.ca.CertPEM}, localhostURL, false},
		{"full via intermediate", TLSConfig{CACertPEM: p.ca.CertPEM}, chained.URL, false},
		{"full without CA uses system roots", TLSConfig{}, good.URL, true},
		{"full wrong host", TLSConfig{CACertPEM: p.ca.CertPEM, Verification: TLSVerifyFull}, wrongHost.URL, true},
		{"full wrong host with server name", TLSConfig{CACertPEM: p.ca.CertPEM, ServerName: "other.example"}, wrongHost.URL, false},
		{"full server name mismatch", TLSConfig{CACertPEM: p.ca.CertPEM, ServerName: "third.example"}, good.URL, true},
		{"full untrusted", TLSConfig{CACertPEM: p.ca.CertPEM}, untrusted.URL, true},
		{"full expired", TLSConfig{CACertPEM: p.ca.CertPEM}, expired.URL, true},
		{"CA replaces system roots", TLSConfig{CACertPEM: p.otherCA.CertPEM}, good.URL, true},
		{"certificate wrong host passes", TLSConfig{CACertPEM: p.ca.CertPEM, Verification: TLSVerifyCertificate}, wrongHost.URL, false},
		{"certificate good", TLSConfig{CACertPEM: p.ca.CertPEM, Verification: TLSVerifyCertificate}, good.URL, false},
		{"certificate via intermediate", TLSConfig{CACertPEM: p.ca.CertPEM, Verification: TLSVerifyCertificate}, chained.URL, false},
		{"certificate untrusted fails", TLSConfig{CACertPEM: p.ca.CertPEM, Verification: TLSVerifyCertificate}, untrusted.URL, true},
		{"certificate expired fails", TLSConfig{CACertPEM: p.ca.CertPEM, Verification: TLSVerifyCertificate}, expired.URL, true},
		{"certificate without CA fails", TLSConfig{Verification: TLSVerifyCertificate}, good.URL, true},
		{"none untrusted passes", TLSConfig{Verification: TLSVerifyNone}, untrusted.URL, false},
		{"none wrong host passes", TLSConfig{Verification: TLSVerifyNone}, wrongHost.URL, false},
		{"none expired passes", TLSConfig{Verification: TLSVerifyNone}, expired.URL, false},
		{"min version 1.3", TLSConfig{CACertPEM: p.ca.CertPEM, MinVersion: "1.3"}, good.URL, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, err := get(t, loopback, tt.tls, tt.url)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "anonymous HTTP/2.0", body, "HTTP/2 is kept with the custom dialer and TLS config")
		})
	}

	t.Run("certificate-only failure is typed", func(t *testing.T) {
		t.Parallel()
		_, err := get(t, loopback, TLSConfig{CACertPEM: p.ca.CertPEM, Verification: TLSVerifyCertificate}, untrusted.URL)
		var ve *TLSVerifyError
		require.ErrorAs(t, err, &ve)
		var ua x509.UnknownAuthorityError
		assert.ErrorAs(t, err, &ua)
		assert.Contains(t, err.Error(), "server certificate not trusted")
	})
	t.Run("full wrong host is a hostname error", func(t *testing.T) {
		t.Parallel()
		_, err := get(t, loopback, TLSConfig{CACertPEM: p.ca.CertPEM}, wrongHost.URL)
		var he x509.HostnameError
		assert.ErrorAs(t, err, &he)
	})
}

func TestMutualTLS(t *testing.T) {
	t.Parallel()
	p := testPKI(t)
	srv := tlsServer(t, p.server, p.clientCA.Pool())
	ca := p.ca.CertPEM

	tests := []struct {
		name    string
		tls     TLSConfig
		want    string
		wantErr bool
	}{
		{"no client certificate", TLSConfig{CACertPEM: ca}, "", true},
		{"explicitly none", TLSConfig{CACertPEM: ca, ClientCertificate: TLSClientCertNone, ClientCertPEM: p.client.CertPEM, ClientKeyPEM: p.client.KeyPEM}, "", true},
		{"pem", TLSConfig{CACertPEM: ca, ClientCertPEM: p.client.CertPEM, ClientKeyPEM: p.client.KeyPEM}, "siem-client", false},
		{"pem with chain", TLSConfig{CACertPEM: ca, ClientCertificate: TLSClientCertPEM, ClientCertPEM: p.client.ChainPEM, ClientKeyPEM: p.client.KeyPEM}, "siem-client", false},
		{"pem rsa encrypted key", TLSConfig{CACertPEM: ca, ClientCertPEM: p.clientRSA.CertPEM, ClientKeyPEM: p.clientRSA.EncryptedKeyPEM(t, "s3cret pass"), Passphrase: "s3cret pass"}, "siem-client-rsa", false},
		{"pfx modern", TLSConfig{CACertPEM: ca, PFXBase64: p.client.PFXBase64(t, pkcs12.Modern, "pfx-pass"), Passphrase: "pfx-pass"}, "siem-client", false},
		{"pfx legacy rc2 rsa", TLSConfig{CACertPEM: ca, ClientCertificate: TLSClientCertPFX, PFXBase64: p.clientRSA.PFXBase64(t, pkcs12.LegacyRC2, "old-pass"), Passphrase: "old-pass"}, "siem-client-rsa", false},
		{"pfx without password", TLSConfig{CACertPEM: ca, PFXBase64: p.client.PFXBase64(t, pkcs12.Modern, "")}, "siem-client", false},
		{"pfx wrapped lines", TLSConfig{CACertPEM: ca, PFXBase64: wrap76(p.client.PFXBase64(t, pkcs12.Modern, "x")), Passphrase: "x"}, "siem-client", false},
		{"certificate from another CA", TLSConfig{CACertPEM: ca, ClientCertPEM: p.strangerClient.CertPEM, ClientKeyPEM: p.strangerClient.KeyPEM}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Empty(t, tt.tls.validate("tls"))
			body, err := get(t, loopback, tt.tls, srv.URL)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want+" HTTP/2.0", body)
		})
	}
}

// wrap76 breaks base64 into lines as PEM-ish tools do.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

func TestTLSValidate(t *testing.T) {
	t.Parallel()
	p := testPKI(t)
	pfx := p.client.PFXBase64(t, pkcs12.Modern, "right-passphrase")
	encKey := p.client.EncryptedKeyPEM(t, "key-passphrase")
	tests := []struct {
		name   string
		tls    TLSConfig
		fields []string // want exactly these fields, in order
		secret string   // must not appear in any message
	}{
		{"zero", TLSConfig{}, nil, ""},
		{"good pem", TLSConfig{CACertPEM: p.ca.CertPEM, ClientCertPEM: p.client.CertPEM, ClientKeyPEM: p.client.KeyPEM}, nil, ""},
		{"good pfx", TLSConfig{PFXBase64: pfx, Passphrase: "right-passphrase"}, nil, ""},
		{"two CAs", TLSConfig{CACertPEM: p.ca.CertPEM + "\n" + p.otherCA.CertPEM}, nil, ""},
		{"unknown mode", TLSConfig{Verification: "partial"}, []string{"tls.verification"}, ""},
		{"unknown min version", TLSConfig{MinVersion: "1.4"}, []string{"tls.min_version"}, ""},
		{"bad server name", TLSConfig{ServerName: "bad name!"}, []string{"tls.server_name"}, ""},
		{"CA not PEM", TLSConfig{CACertPEM: "hello"}, []string{"tls.ca_cert_pem"}, ""},
		{"CA is a key", TLSConfig{CACertPEM: p.client.KeyPEM}, []string{"tls.ca_cert_pem"}, ""},
		{"CA trailing junk", TLSConfig{CACertPEM: p.ca.CertPEM + "junk"}, []string{"tls.ca_cert_pem"}, ""},
		{"CA garbage DER", TLSConfig{CACertPEM: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, []string{"tls.ca_cert_pem"}, ""},
		{"cert without key", TLSConfig{ClientCertPEM: p.client.CertPEM}, []string{"client_key_pem"}, ""},
		{"key without cert", TLSConfig{ClientKeyPEM: p.client.KeyPEM}, []string{"client_cert_pem"}, p.client.KeyPEM},
		{"key mismatch", TLSConfig{ClientCertPEM: p.client.CertPEM, ClientKeyPEM: p.clientRSA.KeyPEM}, []string{"client_key_pem"}, p.clientRSA.KeyPEM},
		{"key in cert field", TLSConfig{ClientCertPEM: p.client.KeyPEM, ClientKeyPEM: p.client.KeyPEM}, []string{"client_cert_pem"}, p.client.KeyPEM},
		{"key not a key", TLSConfig{ClientCertPEM: p.client.CertPEM, ClientKeyPEM: "not a key"}, []string{"client_key_pem"}, "not a key"},
		{"encrypted key no passphrase", TLSConfig{ClientCertPEM: p.client.CertPEM, ClientKeyPEM: encKey}, []string{"passphrase"}, ""},
		{"encrypted key wrong passphrase", TLSConfig{ClientCertPEM: p.client.CertPEM, ClientKeyPEM: encKey, Passphrase: "wrong-passphrase-x"}, []string{"passphrase"}, "wrong-passphrase-x"},
		{"encrypted key right passphrase", TLSConfig{ClientCertPEM: p.client.CertPEM, ClientKeyPEM: encKey, Passphrase: "key-passphrase"}, nil, ""},
		{"encrypted pkcs8", TLSConfig{ClientCertPEM: p.client.CertPEM, ClientKeyPEM: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"}, []string{"client_key_pem"}, ""},
		{"pfx wrong passphrase", TLSConfig{PFXBase64: pfx, Passphrase: "wrong-passphrase-y"}, []string{"passphrase"}, "wrong-passphrase-y"},
		{"pfx not base64", TLSConfig{PFXBase64: "!!!not base64!!!"}, []string{"pfx_base64"}, "!!!not base64!!!"},
		{"pfx not pkcs12", TLSConfig{PFXBase64: base64.StdEncoding.EncodeToString([]byte("definitely not a pfx"))}, []string{"pfx_base64"}, ""},
		{"pem and pfx", TLSConfig{ClientCertPEM: p.client.CertPEM, ClientKeyPEM: p.client.KeyPEM, PFXBase64: pfx}, []string{"client_certificate"}, ""},
		{"pfx source without pfx", TLSConfig{ClientCertificate: TLSClientCertPFX}, []string{"pfx_base64"}, ""},
		{"unknown source", TLSConfig{ClientCertificate: "smartcard"}, []string{"client_certificate"}, ""},
		{"marker key", TLSConfig{ClientCertPEM: p.client.CertPEM, ClientKeyPEM: RedactedMarker}, []string{"client_key_pem"}, ""},
		{"marker passphrase", TLSConfig{PFXBase64: pfx, Passphrase: RedactedMarker}, []string{"passphrase"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			errs := tt.tls.validate("tls")
			var fields []string
			for _, e := range errs {
				fields = append(fields, strings.TrimPrefix(e.Field, "tls."))
				if tt.secret != "" {
					assert.NotContains(t, e.Message, tt.secret)
				}
				assert.NotEmpty(t, e.Message)
			}
			var want []string
			for _, f := range tt.fields {
				want = append(want, strings.TrimPrefix(f, "tls."))
			}
			assert.Equal(t, want, fields, "%+v", errs)
		})
	}
	t.Run("buildTransport rejects with a validation error", func(t *testing.T) {
		t.Parallel()
		_, err := buildTransport(NetworkConfig{}, TLSConfig{CACertPEM: "nope"}, 0)
		require.ErrorIs(t, err, itsm.ErrInvalidConfig)
		var ve *itsm.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "tls.ca_cert_pem", ve.Errors[0].Field)
	})
}

func TestTLSRedactAndKeep(t *testing.T) {
	t.Parallel()
	saved := TLSConfig{CACertPEM: "ca", ClientCertPEM: "cert", ClientKeyPEM: "key", Passphrase: "pass"}
	red := saved.redacted()
	assert.Equal(t, TLSConfig{CACertPEM: "ca", ClientCertPEM: "cert", ClientKeyPEM: RedactedMarker, Passphrase: RedactedMarker}, red)
	assert.Equal(t, "", TLSConfig{}.redacted().ClientKeyPEM, "empty stays empty")

	savedPFX := TLSConfig{PFXBase64: "pfx", Passphrase: "pfxpass"}
	tests := []struct {
		name  string
		saved TLSConfig
		edit  TLSConfig
		want  TLSConfig
	}{
		{"round trip of the redacted form", saved, red, saved},
		{"blank keeps", saved, TLSConfig{CACertPEM: "ca", ClientCertPEM: "cert"}, saved},
		{"new key, new passphrase blank", saved, TLSConfig{ClientCertPEM: "cert2", ClientKeyPEM: "key2"}, TLSConfig{ClientCertPEM: "cert2", ClientKeyPEM: "key2"}},
		{"new key, marker passphrase", saved, TLSConfig{ClientCertPEM: "cert2", ClientKeyPEM: "key2", Passphrase: RedactedMarker}, TLSConfig{ClientCertPEM: "cert2", ClientKeyPEM: "key2", Passphrase: "pass"}},
		{"cert removed drops key", saved, TLSConfig{CACertPEM: "ca"}, TLSConfig{CACertPEM: "ca"}},
		{"none removes", savedPFX, TLSConfig{ClientCertificate: TLSClientCertNone}, TLSConfig{ClientCertificate: TLSClientCertNone}},
		{"pfx kept", savedPFX, TLSConfig{PFXBase64: RedactedMarker, Passphrase: RedactedMarker}, savedPFX},
		{"pfx kept when blank", savedPFX, TLSConfig{}, savedPFX},
		{"new pfx without passphrase", savedPFX, TLSConfig{PFXBase64: "pfx2"}, TLSConfig{PFXBase64: "pfx2"}},
		{"switch to pem drops pfx", savedPFX, TLSConfig{ClientCertPEM: "c", ClientKeyPEM: "k"}, TLSConfig{ClientCertPEM: "c", ClientKeyPEM: "k"}},
		{"nothing saved", TLSConfig{}, TLSConfig{ClientCertPEM: "c"}, TLSConfig{ClientCertPEM: "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.edit
			got.keepSecrets(tt.saved)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNoSecretInTLSErrors(t *testing.T) {
	t.Parallel()
	p := testPKI(t)
	srv := tlsServer(t, p.server, p.clientCA.Pool())
	const pass = "Tls-Passphrase-123"
	pfx := p.strangerClient.PFXBase64(t, pkcs12.Modern, pass)
	tc := TLSConfig{CACertPEM: p.ca.CertPEM, PFXBase64: pfx, Passphrase: pass}
	_, err := get(t, loopback, tc, srv.URL)
	require.Error(t, err)
	for _, s := range secretValues(AuthConfig{}, tc, nil) {
		assert.NotContains(t, err.Error(), s)
	}
	assert.Contains(t, secretValues(AuthConfig{}, tc, nil), pass)
	assert.Contains(t, secretValues(AuthConfig{}, tc, nil), pfx)
	assert.False(t, errors.Is(err, ErrHostNotAllowed))
}

func FuzzTLSValidate(f *testing.F) {
	f.Add("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "MIIB", "pass")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, pemText, key, pfx, pass string) {
		pass = "zq#" + pass + "#qz" // distinct from any fixed message text
		for _, tc := range []TLSConfig{
			{CACertPEM: pemText},
			{ClientCertPEM: pemText, ClientKeyPEM: key, Passphrase: pass},
			{PFXBase64: pfx, Passphrase: pass},
		} {
			for _, e := range tc.validate("tls") {
				if strings.Contains(e.Message, pass) {
					t.Fatalf("passphrase echoed: %q", e.Message)
				}
			}
		}
	})
}
