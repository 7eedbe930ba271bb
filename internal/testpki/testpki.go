// Package testpki makes throwaway certificate authorities, server and client
// certificates and PKCS#12 (PFX) files at test time, so TLS tests run
// against real handshakes without key material checked into the repository.
//
// Keys are ECDSA P-256 (fast) unless RSA is asked for. Everything here is
// for tests: failures go to t.Fatal.
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// CA is a certificate authority that issues test certificates.
type CA struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM string
}

// Leaf is an issued certificate with its key.
type Leaf struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM string // the leaf certificate only
	KeyPEM  string // PKCS#8
	// ChainPEM is the leaf followed by the issuing CA (an intermediate
	// scenario is built with NewIntermediate).
	ChainPEM string
	issuer   *CA
}

// Options tune an issued certificate.
type Options struct {
	// RSA uses a 2048-bit RSA key instead of ECDSA P-256.
	RSA bool
	// NotBefore and NotAfter default to an hour ago and a day ahead.
	NotBefore, NotAfter time.Time
}

var serial atomic.Int64

func init() { serial.Store(time.Now().UnixNano()) }

func nextSerial() *big.Int { return big.NewInt(serial.Add(1)) }

func newKey(t testing.TB, useRSA bool) crypto.Signer {
	t.Helper()
	if useRSA {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatalf("testpki: rsa key: %v", err)
		}
		return k
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("testpki: ecdsa key: %v", err)
	}
	return k
}

// NewCA makes a self-signed root CA named name.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	key := newKey(t, false)
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"itsmsync test"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("testpki: ca: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testpki: ca parse: %v", err)
	}
	return &CA{Cert: cert, Key: key, CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// Pool returns a pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Server issues a server certificate for names (host names and IP
// addresses).
func (ca *CA) Server(t testing.TB, opts Options, names ...string) *Leaf {
	t.Helper()
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: first(names, "server")},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	return ca.issue(t, tmpl, opts)
}

// Client issues a client certificate with common name cn.
func (ca *CA) Client(t testing.TB, opts Options, cn string) *Leaf {
	t.Helper()
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return ca.issue(t, tmpl, opts)
}

// NewIntermediate issues an intermediate CA under ca.
func (ca *CA) NewIntermediate(t testing.TB, name string) *CA {
	t.Helper()
	key := newKey(t, false)
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatalf("testpki: intermediate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testpki: intermediate parse: %v", err)
	}
	return &CA{Cert: cert, Key: key, CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

func (ca *CA) issue(t testing.TB, tmpl *x509.Certificate, opts Options) *Leaf {
	t.Helper()
	key := newKey(t, opts.RSA)
	tmpl.SerialNumber = nextSerial()
	tmpl.NotBefore, tmpl.NotAfter = opts.NotBefore, opts.NotAfter
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatalf("testpki: issue: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testpki: parse: %v", err)
	}
	pk8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("testpki: marshal key: %v", err)
	}
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return &Leaf{
		Cert:     cert,
		Key:      key,
		CertPEM:  certPEM,
		KeyPEM:   string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk8})),
		ChainPEM: certPEM + ca.CertPEM,
		issuer:   ca,
	}
}

// TLSCertificate returns the leaf (and its issuer) as a tls.Certificate for
// a server.
func (l *Leaf) TLSCertificate() tls.Certificate {
	chain := [][]byte{l.Cert.Raw}
	if l.issuer != nil && l.issuer.Cert.Subject.String() != l.issuer.Cert.Issuer.String() {
		chain = append(chain, l.issuer.Cert.Raw) // send intermediates, not roots
	}
	return tls.Certificate{Certificate: chain, PrivateKey: l.Key, Leaf: l.Cert}
}

// PFX encodes the leaf, its key and its issuer as PKCS#12 with password,
// using enc (pkcs12.Modern, pkcs12.LegacyRC2, ...; nil means Modern).
func (l *Leaf) PFX(t testing.TB, enc *pkcs12.Encoder, password string) []byte {
	t.Helper()
	if enc == nil {
		enc = pkcs12.Modern
	}
	var cas []*x509.Certificate
	if l.issuer != nil {
		cas = append(cas, l.issuer.Cert)
	}
	data, err := enc.Encode(l.Key, l.Cert, cas, password)
	if err != nil {
		t.Fatalf("testpki: pfx: %v", err)
	}
	return data
}

// PFXBase64 is PFX in standard base64, as a configuration carries it.
func (l *Leaf) PFXBase64(t testing.TB, enc *pkcs12.Encoder, password string) string {
	t.Helper()
	return base64.StdEncoding.EncodeToString(l.PFX(t, enc, password))
}

// EncryptedKeyPEM returns the key as a legacy encrypted PEM block (RFC 1423,
// "Proc-Type: 4,ENCRYPTED"), which many exports still produce. The key must
// be RSA or ECDSA.
func (l *Leaf) EncryptedKeyPEM(t testing.TB, passphrase string) string {
	t.Helper()
	var typ string
	var der []byte
	var err error
	switch k := l.Key.(type) {
	case *rsa.PrivateKey:
		typ, der = "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)
	case *ecdsa.PrivateKey:
		typ = "EC PRIVATE KEY"
		der, err = x509.MarshalECPrivateKey(k)
	}
	if err != nil || der == nil {
		t.Fatalf("testpki: marshal key for encryption: %v", err)
	}
	//lint:ignore SA1019 producing the legacy format on purpose
	block, err := x509.EncryptPEMBlock(rand.Reader, typ, der, []byte(passphrase), x509.PEMCipherAES256)
	if err != nil {
		t.Fatalf("testpki: encrypt key: %v", err)
	}
	return string(pem.EncodeToMemory(block))
}

func first(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
