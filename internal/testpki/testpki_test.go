package testpki

import (
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"
)

func TestIssuedCertificatesVerify(t *testing.T) {
	t.Parallel()
	ca := NewCA(t, "root")
	inter := ca.NewIntermediate(t, "inter")
	tests := []struct {
		name  string
		leaf  *Leaf
		usage x509.ExtKeyUsage
		dns   string
	}{
		{"server", ca.Server(t, Options{}, "localhost", "127.0.0.1"), x509.ExtKeyUsageServerAuth, "localhost"},
		{"server via intermediate", inter.Server(t, Options{}, "itsm.test"), x509.ExtKeyUsageServerAuth, "itsm.test"},
		{"client rsa", ca.Client(t, Options{RSA: true}, "c"), x509.ExtKeyUsageClientAuth, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := x509.NewCertPool()
			pool.AddCert(inter.Cert)
			_, err := tt.leaf.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), Intermediates: pool, DNSName: tt.dns, KeyUsages: []x509.ExtKeyUsage{tt.usage}})
			assert.NoError(t, err)
			tc := tt.leaf.TLSCertificate()
			assert.NotEmpty(t, tc.Certificate)
		})
	}
}

func TestPFXAndEncryptedKey(t *testing.T) {
	t.Parallel()
	ca := NewCA(t, "root")
	leaf := ca.Client(t, Options{}, "client")
	for _, enc := range []*pkcs12.Encoder{pkcs12.Modern, pkcs12.LegacyDES, nil} {
		key, cert, cas, err := pkcs12.DecodeChain(leaf.PFX(t, enc, "pw"), "pw")
		require.NoError(t, err)
		assert.Equal(t, leaf.Cert.Raw, cert.Raw)
		assert.NotNil(t, key)
		require.Len(t, cas, 1)
		assert.Equal(t, ca.Cert.Raw, cas[0].Raw)
	}
	block, _ := pem.Decode([]byte(leaf.EncryptedKeyPEM(t, "pp")))
	require.NotNil(t, block)
	//lint:ignore SA1019 checking the legacy format on purpose
	assert.True(t, x509.IsEncryptedPEMBlock(block))
	expired := ca.Server(t, Options{NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: time.Now().Add(-time.Hour)}, "x")
	_, err := expired.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool()})
	assert.Error(t, err)
}
