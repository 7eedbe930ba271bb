package httpconn

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/itsmsync/itsmsync/itsm"
	"software.sslmate.com/src/go-pkcs12"
)

// TLSVerification says how the ITSM's server certificate is checked. The
// zero value ("") means [TLSVerifyFull].
type TLSVerification string

// The verification modes (Kibana's Full / Certificate / None).
const (
	// TLSVerifyFull checks the validity dates, the chain up to a trusted CA
	// and that the certificate names the host (or IP) connected to.
	TLSVerifyFull TLSVerification = "full"
	// TLSVerifyCertificate checks the validity dates and the chain, but not
	// the host name: for servers reached by a name their certificate does
	// not carry.
	TLSVerifyCertificate TLSVerification = "certificate"
	// TLSVerifyNone skips every check. The connection is encrypted but
	// anyone on the path can read and change it; for tests and broken
	// installations only.
	TLSVerifyNone TLSVerification = "none"
)

// TLSClientCert says where the client certificate for mutual TLS comes
// from.
type TLSClientCert string

// The client certificate sources.
const (
	// TLSClientCertAuto ("" too) uses whichever of the PEM pair or the PFX
	// is set (none when neither is; setting both is an error).
	TLSClientCertAuto TLSClientCert = "auto"
	// TLSClientCertNone sends no client certificate, whatever else is set;
	// choosing it on edit removes a saved certificate.
	TLSClientCertNone TLSClientCert = "none"
	// TLSClientCertPEM uses ClientCertPEM and ClientKeyPEM.
	TLSClientCertPEM TLSClientCert = "pem"
	// TLSClientCertPFX uses PFXBase64 and Passphrase.
	TLSClientCertPFX TLSClientCert = "pfx"
)

// TLSConfig is the TLS side of an integration: which server certificates to
// trust and how strictly, and an optional client certificate (mutual TLS,
// Kibana's "SSL" authentication, combinable with any [AuthType]). Plain data,
// JSON serializable; the zero value verifies fully against the system roots
// and sends no client certificate. ClientKeyPEM, PFXBase64 and Passphrase are
// secrets.
//
// The settings apply to every TLS connection of the integration: the ITSM,
// the OAuth2 token endpoint and an https proxy.
type TLSConfig struct {
	// CACertPEM holds one or more PEM "CERTIFICATE" blocks to trust. When
	// set, they REPLACE the system roots (as Kibana's and Node's "ca"
	// option does): the integration then trusts its own CA only, the
	// stricter choice for a private ITSM. Empty means the system roots.
	CACertPEM string `json:"ca_cert_pem,omitempty"`
	// Verification is full (the default), certificate or none.
	Verification TLSVerification `json:"verification,omitempty"`
	// ClientCertificate selects the client certificate source; "" means
	// [TLSClientCertAuto].
	ClientCertificate TLSClientCert `json:"client_certificate,omitempty"`
	// ClientCertPEM is the client certificate in PEM, optionally followed by
	// its intermediates.
	ClientCertPEM string `json:"client_cert_pem,omitempty"`
	// ClientKeyPEM is the client's private key in PEM (PKCS#1, PKCS#8 or
	// SEC 1; a legacy encrypted PEM key is decrypted with Passphrase).
	// Secret.
	ClientKeyPEM string `json:"client_key_pem,omitempty"`
	// PFXBase64 is a PKCS#12 (PFX/P12) file holding the client certificate,
	// its key and optionally its chain, base64 encoded (standard encoding;
	// line breaks allowed). Secret.
	PFXBase64 string `json:"pfx_base64,omitempty"`
	// Passphrase decrypts the PFX or an encrypted PEM key. Secret.
	Passphrase string `json:"passphrase,omitempty"`
	// ServerName, when set, is the name the server certificate must carry
	// under full verification, instead of the host connected to (SNI still
	// names the host). For an ITSM reached by IP whose certificate names it
	// by host name.
	ServerName string `json:"server_name,omitempty"`
	// MinVersion is the lowest TLS version accepted: "1.2" (the default),
	// "1.3", or for legacy servers "1.0" or "1.1".
	MinVersion string `json:"min_version,omitempty"`
}

func (t TLSConfig) verification() TLSVerification {
	if t.Verification == "" {
		return TLSVerifyFull
	}
	return t.Verification
}

// clientCertSource resolves Auto into pem, pfx or none ("" when both are
// set, an error).
func (t TLSConfig) clientCertSource() TLSClientCert {
	switch t.ClientCertificate {
	case "", TLSClientCertAuto:
		hasPEM := t.ClientCertPEM != "" || t.ClientKeyPEM != ""
		hasPFX := t.PFXBase64 != ""
		switch {
		case hasPEM && hasPFX:
			return ""
		case hasPEM:
			return TLSClientCertPEM
		case hasPFX:
			return TLSClientCertPFX
		}
		return TLSClientCertNone
	}
	return t.ClientCertificate
}

var tlsVersions = map[string]uint16{
	"":    tls.VersionTLS12,
	"1.0": tls.VersionTLS10,
	"1.1": tls.VersionTLS11,
	"1.2": tls.VersionTLS12,
	"1.3": tls.VersionTLS13,
}

// validate parses everything (CA, certificate, key, PFX) and returns every
// problem. Messages never echo a key, a PFX or a passphrase.
func (t TLSConfig) validate(prefix string) []itsm.FieldError {
	_, errs := t.parse(prefix)
	return errs
}

// parsedTLS is a TLSConfig parsed into what crypto/tls wants.
type parsedTLS struct {
	roots      *x509.CertPool // nil: system roots
	clientCert *tls.Certificate
	minVersion uint16
}

func (t TLSConfig) parse(prefix string) (parsedTLS, []itsm.FieldError) {
	var p parsedTLS
	var errs []itsm.FieldError
	add := func(field, msg string) {
		errs = append(errs, itsm.FieldError{Field: joinField(prefix, field), Message: msg})
	}
	switch t.Verification {
	case "", TLSVerifyFull, TLSVerifyCertificate, TLSVerifyNone:
	default:
		add("verification", fmt.Sprintf("unknown verification mode %q (want full, certificate or none)", t.Verification))
	}
	if v, ok := tlsVersions[t.MinVersion]; ok {
		p.minVersion = v
	} else {
		add("min_version", fmt.Sprintf("unknown TLS version %q (want 1.2 or 1.3)", t.MinVersion))
	}
	if t.ServerName != "" && !validServerName(t.ServerName) {
		add("server_name", "server name is not a valid host name")
	}
	if t.CACertPEM != "" {
		roots, err := parseCAPEM(t.CACertPEM)
		if err != nil {
			add("ca_cert_pem", err.Error())
		}
		p.roots = roots
	}
	for field, v := range map[string]string{"client_key_pem": t.ClientKeyPEM, "pfx_base64": t.PFXBase64, "passphrase": t.Passphrase} {
		if v == RedactedMarker {
			add(field, "enter the value again (the redaction marker is not a value)")
		}
	}
	if len(errs) > 0 && hasMarkerError(t) {
		return p, sortFieldErrors(errs)
	}
	switch t.clientCertSource() {
	case TLSClientCertNone:
	case "":
		add("client_certificate", "set either a PEM certificate and key or a PFX file, not both")
	case TLSClientCertPEM:
		cert, fe := parseClientPEM(t)
		for _, e := range fe {
			add(e.Field, e.Message)
		}
		p.clientCert = cert
	case TLSClientCertPFX:
		cert, fe := parseClientPFX(t)
		for _, e := range fe {
			add(e.Field, e.Message)
		}
		p.clientCert = cert
	default:
		add("client_certificate", fmt.Sprintf("unknown client certificate source %q (want auto, none, pem or pfx)", t.ClientCertificate))
	}
	return p, sortFieldErrors(errs)
}

func hasMarkerError(t TLSConfig) bool {
	return t.ClientKeyPEM == RedactedMarker || t.PFXBase64 == RedactedMarker || t.Passphrase == RedactedMarker
}

// sortFieldErrors orders errors by field so output is deterministic (the
// marker checks range over a map).
func sortFieldErrors(errs []itsm.FieldError) []itsm.FieldError {
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && errs[j].Field < errs[j-1].Field; j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
	return errs
}

// parseCAPEM reads every CERTIFICATE block; anything else is an error.
func parseCAPEM(s string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	rest := []byte(s)
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n++
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("block %d is a %q, not a CERTIFICATE", n, block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d does not parse: %s", n, certParseReason(err))
		}
		pool.AddCert(cert)
	}
	if n == 0 {
		return nil, errors.New("no PEM CERTIFICATE block found")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, errors.New("unexpected text after the last PEM block")
	}
	return pool, nil
}

// certParseReason keeps x509's reason (which is about structure, never key
// material) short.
func certParseReason(err error) string {
	msg := strings.TrimPrefix(err.Error(), "x509: ")
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}

func parseClientPEM(t TLSConfig) (*tls.Certificate, []itsm.FieldError) {
	var errs []itsm.FieldError
	var chain [][]byte
	var leaf *x509.Certificate
	if t.ClientCertPEM == "" {
		errs = append(errs, itsm.FieldError{Field: "client_cert_pem", Message: "client certificate is required with a client key"})
	} else {
		rest := []byte(t.ClientCertPEM)
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if block.Type != "CERTIFICATE" {
				errs = append(errs, itsm.FieldError{Field: "client_cert_pem", Message: fmt.Sprintf("found a %q block; only CERTIFICATE blocks belong here (the key goes in client_key_pem)", block.Type)})
				chain = nil
				break
			}
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				errs = append(errs, itsm.FieldError{Field: "client_cert_pem", Message: "certificate does not parse: " + certParseReason(err)})
				chain = nil
				break
			}
			if leaf == nil {
				leaf = c
			}
			chain = append(chain, block.Bytes)
		}
		if len(chain) == 0 && len(errs) == 0 {
			errs = append(errs, itsm.FieldError{Field: "client_cert_pem", Message: "no PEM CERTIFICATE block found"})
		}
	}
	var key crypto.PrivateKey
	if t.ClientKeyPEM == "" {
		errs = append(errs, itsm.FieldError{Field: "client_key_pem", Message: "client key is required with a client certificate"})
	} else {
		k, msg := parsePrivateKeyPEM(t.ClientKeyPEM, t.Passphrase)
		if msg != "" {
			errs = append(errs, itsm.FieldError{Field: msg2field(msg), Message: msg})
		}
		key = k
	}
	if len(errs) > 0 {
		return nil, errs
	}
	cert := &tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}
	if !keyMatches(leaf, key) {
		return nil, []itsm.FieldError{{Field: "client_key_pem", Message: "client key does not match the client certificate"}}
	}
	return cert, nil
}

// msg2field routes a passphrase problem to the passphrase field.
func msg2field(msg string) string {
	if strings.Contains(msg, "passphrase") {
		return "passphrase"
	}
	return "client_key_pem"
}

// parsePrivateKeyPEM returns the key or a message (never containing key
// material).
func parsePrivateKeyPEM(s, passphrase string) (crypto.PrivateKey, string) {
	var block *pem.Block
	rest := []byte(s)
	for {
		block, rest = pem.Decode(rest)
		// Skip EC PARAMETERS and certificate blocks before the key.
		if block == nil || strings.HasSuffix(block.Type, "PRIVATE KEY") {
			break
		}
	}
	if block == nil {
		return nil, "no PEM PRIVATE KEY block found"
	}
	der := block.Bytes
	switch {
	case block.Type == "ENCRYPTED PRIVATE KEY":
		return nil, "encrypted PKCS#8 keys are not supported: decrypt the key (openssl pkcs8 -nocrypt) or use a PFX file"
	//lint:ignore SA1019 legacy encrypted PEM is what many exports produce; decrypting locally is not an oracle
	case x509.IsEncryptedPEMBlock(block):
		if passphrase == "" {
			return nil, "the client key is encrypted: a passphrase is required"
		}
		//lint:ignore SA1019 see above
		d, err := x509.DecryptPEMBlock(block, []byte(passphrase))
		if err != nil {
			return nil, "the passphrase does not decrypt the client key"
		}
		der = d
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, ""
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, ""
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, ""
	}
	return nil, "the client key does not parse (want PKCS#1, PKCS#8 or SEC 1 in PEM)"
}

// keyMatches checks that the key's public half is the certificate's.
func keyMatches(leaf *x509.Certificate, key crypto.PrivateKey) bool {
	signer, ok := key.(crypto.Signer)
	if !ok || leaf == nil {
		return false
	}
	pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(signer.Public())
}

func parseClientPFX(t TLSConfig) (*tls.Certificate, []itsm.FieldError) {
	if t.PFXBase64 == "" {
		return nil, []itsm.FieldError{{Field: "pfx_base64", Message: "PFX file is required"}}
	}
	data, err := decodeBase64Loose(t.PFXBase64)
	if err != nil {
		return nil, []itsm.FieldError{{Field: "pfx_base64", Message: "PFX file is not valid base64"}}
	}
	key, leaf, cas, err := pkcs12.DecodeChain(data, t.Passphrase)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return nil, []itsm.FieldError{{Field: "passphrase", Message: "the passphrase does not open the PFX file"}}
		}
		var ni pkcs12.NotImplementedError
		if errors.As(err, &ni) {
			return nil, []itsm.FieldError{{Field: "pfx_base64", Message: "PFX file uses an unsupported format: " + string(ni)}}
		}
		return nil, []itsm.FieldError{{Field: "pfx_base64", Message: "PFX file does not parse (want one certificate, its key and optional CA certificates)"}}
	}
	if !keyMatches(leaf, key) {
		return nil, []itsm.FieldError{{Field: "pfx_base64", Message: "the PFX key does not match its certificate"}}
	}
	chain := [][]byte{leaf.Raw}
	for _, c := range cas {
		chain = append(chain, c.Raw)
	}
	return &tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

// decodeBase64Loose accepts standard or URL base64, padded or not, with
// whitespace (as pasted from a file).
func decodeBase64Loose(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func validServerName(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '*' && i == 0 && len(label) == 1) {
				return false
			}
		}
	}
	return true
}

// redacted returns a copy with the key, PFX and passphrase replaced by
// [RedactedMarker] (empty stays empty). Certificates are public and kept.
func (t TLSConfig) redacted() TLSConfig {
	t.ClientKeyPEM = redactString(t.ClientKeyPEM)
	t.PFXBase64 = redactString(t.PFXBase64)
	t.Passphrase = redactString(t.Passphrase)
	return t
}

// keepSecrets fills secrets left blank (or sent back as the marker) from the
// saved configuration, where the edited configuration still uses them:
//   - with ClientCertificate "none", nothing is kept (that removes a saved
//     certificate);
//   - the PEM key is kept while a client certificate is given;
//   - the PFX is kept unless the PEM pair is used instead;
//   - the passphrase is kept when it is the marker, or when it is blank and
//     the key or PFX it opens was kept (a new file comes with its own
//     passphrase, blank for none).
func (t *TLSConfig) keepSecrets(saved TLSConfig) {
	src := t.ClientCertificate
	if src == TLSClientCertNone {
		return
	}
	keptFile := false
	if t.ClientCertPEM != "" && (src == "" || src == TLSClientCertAuto || src == TLSClientCertPEM) &&
		(t.ClientKeyPEM == "" || t.ClientKeyPEM == RedactedMarker) && saved.ClientKeyPEM != "" {
		t.ClientKeyPEM = saved.ClientKeyPEM
		keptFile = true
	}
	if (src == TLSClientCertPFX || (src == "" || src == TLSClientCertAuto) && t.ClientCertPEM == "" && t.ClientKeyPEM == "") &&
		(t.PFXBase64 == "" || t.PFXBase64 == RedactedMarker) && saved.PFXBase64 != "" {
		t.PFXBase64 = saved.PFXBase64
		keptFile = true
	}
	if t.Passphrase == RedactedMarker || t.Passphrase == "" && keptFile {
		t.Passphrase = saved.Passphrase
	}
}

// buildTLSConfig turns a TLSConfig into a *tls.Config. It returns a
// *ValidationError (fields prefixed "tls") when the config does not parse.
func buildTLSConfig(t TLSConfig) (*tls.Config, error) {
	p, errs := t.parse("tls")
	if len(errs) > 0 {
		return nil, &itsm.ValidationError{Errors: errs, Component: "httpconn"}
	}
	cfg := &tls.Config{
		MinVersion: p.minVersion,
		RootCAs:    p.roots,
		// Some on-prem servers (IIS) ask for the client certificate by a
		// renegotiation; allow that one, never a server-started loop.
		Renegotiation: tls.RenegotiateOnceAsClient,
	}
	if p.clientCert != nil {
		cert := *p.clientCert
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &cert, nil
		}
	}
	switch t.verification() {
	case TLSVerifyFull:
		if t.ServerName != "" {
			cfg.InsecureSkipVerify = true // replaced by verifyChain with the configured name
			cfg.VerifyConnection = verifyChain(p.roots, t.ServerName)
		}
	case TLSVerifyCertificate:
		cfg.InsecureSkipVerify = true // replaced by verifyChain without a name
		cfg.VerifyConnection = verifyChain(p.roots, "")
	case TLSVerifyNone:
		cfg.InsecureSkipVerify = true
	}
	return cfg, nil
}

// verifyChain checks the peer's chain against roots (nil: system roots)
// and, when name is not empty, that the leaf carries name.
func verifyChain(roots *x509.CertPool, name string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return &TLSVerifyError{Reason: "server sent no certificate"}
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
			Roots:         roots,
			Intermediates: inter,
			DNSName:       name,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return &TLSVerifyError{Reason: certParseReason(err), Err: err}
		}
		return nil
	}
}

// TLSVerifyError is a server certificate refused under certificate-only
// verification or a configured server name (full verification without one
// returns crypto/tls's own errors, e.g. *tls.CertificateVerificationError).
type TLSVerifyError struct {
	// Reason says why, e.g. "certificate signed by unknown authority".
	Reason string
	// Err is the x509 error, when there is one.
	Err error
}

// Error says why the certificate was refused.
func (e *TLSVerifyError) Error() string {
	return "httpconn: server certificate not trusted: " + e.Reason
}

// Unwrap returns the x509 error.
func (e *TLSVerifyError) Unwrap() error { return e.Err }
