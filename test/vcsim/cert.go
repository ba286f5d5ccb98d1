package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// serverCert is the harness's self-signed TLS certificate. Like a fresh vCenter, it is signed by
// nobody a client trusts, so clients must pin it by thumbprint: the same thumbprint goes into
// every NFC deviceUrl's sslThumbprint.
type serverCert struct {
	cert             tls.Certificate
	thumbprintSHA1   string // "AA:BB:..." as govc and vSphere print it
	thumbprintSHA256 string
}

func newSelfSignedCert() (*serverCert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "127.0.0.1", Organization: []string{"HyperExport vcsim harness"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	s1 := sha1.Sum(der)
	s256 := sha256.Sum256(der)
	return &serverCert{
		cert:             tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		thumbprintSHA1:   colonHex(s1[:]),
		thumbprintSHA256: colonHex(s256[:]),
	}, nil
}

func (c *serverCert) tlsConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.cert}, MinVersion: tls.VersionTLS12}
}

// colonHex formats a digest as upper-case hex pairs joined by colons.
func colonHex(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02X", x)
	}
	return strings.Join(parts, ":")
}
