package callback

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
)

// DefaultTolerance is the replay window of timestamped schemes: a timestamp
// more than this far from now, in either direction, is rejected. It is
// what a zero Tolerance means in [HMACConfig] and [StandardWebhooksConfig].
const DefaultTolerance = 5 * time.Minute

// Algorithm is an HMAC hash function.
type Algorithm string

// HMAC algorithms.
const (
	SHA256 Algorithm = "sha256" // the default
	SHA1   Algorithm = "sha1"   // legacy senders only
	SHA512 Algorithm = "sha512"
)

func (a Algorithm) new() func() hash.Hash {
	switch a {
	case "", SHA256:
		return sha256.New
	case SHA1:
		return sha1.New
	case SHA512:
		return sha512.New
	}
	return nil
}

// Encoding is how a signature is written in its header.
type Encoding string

// Signature encodings.
const (
	// Hex is lowercase hexadecimal (uppercase is accepted too). The default.
	Hex Encoding = "hex"
	// Base64 is standard base64; URL-safe and unpadded forms are accepted.
	Base64 Encoding = "base64"
)

// Scheme is the layout of the signature header.
type Scheme string

// Signature header schemes.
const (
	// SchemePlain: the header holds Prefix followed by the encoded MAC.
	// The MAC is over the body, or over "<timestamp>.<body>" when
	// TimestampHeader is set. The default.
	SchemePlain Scheme = "plain"
	// SchemeStripe: the header holds "t=<unix seconds>,v1=<hex MAC>" (several
	// v1 entries allowed, other keys ignored); the MAC is over
	// "<t>.<body>". Stripe's scheme.
	SchemeStripe Scheme = "stripe"
)

// HMACConfig configures an [HMACVerifier]. It is plain data; the zero value
// of each field means its default. The clock that checks timestamps is an
// option of [NewHMACVerifier]. The presets [JiraHMAC], [GitHubHMAC],
// [SysAidHMAC] and [StripeHMAC] fill it for known senders.
type HMACConfig struct {
	// Header carries the signature, e.g. "X-Hub-Signature-256". Required.
	Header string `json:"header"`
	// Algorithm is the hash: "sha256" (default), "sha1" (legacy) or
	// "sha512".
	Algorithm Algorithm `json:"algorithm,omitempty"`
	// Encoding of the signature: "hex" (default) or "base64".
	Encoding Encoding `json:"encoding,omitempty"`
	// Prefix precedes the encoded signature, e.g. "sha256=" (plain scheme
	// only). It is matched case-insensitively.
	Prefix string `json:"prefix,omitempty"`
	// PrefixOptional accepts the signature with or without Prefix (for a
	// sender whose exact format is not documented).
	PrefixOptional bool `json:"prefix_optional,omitempty"`
	// Scheme is the header layout: "plain" (default) or "stripe".
	Scheme Scheme `json:"scheme,omitempty"`
	// TimestampHeader, with the plain scheme, names a header holding the
	// Unix time in seconds; the MAC is then over "<timestamp>.<body>" and the
	// timestamp must be within Tolerance of now.
	TimestampHeader string `json:"timestamp_header,omitempty"`
	// Tolerance is the replay window of timestamped schemes: 0 means
	// [DefaultTolerance]. It cannot be turned off (a negative value is
	// invalid): without it a captured delivery could be replayed forever.
	Tolerance time.Duration `json:"tolerance,omitempty"`
	// Secrets are the accepted keys, used as raw bytes (never decoded).
	// Several are accepted at once so a secret can be rotated; Sign uses
	// the first. At least one non-empty secret is required.
	Secrets []string `json:"-"`
	// Source, instead of Secrets, supplies the keys at each verification
	// (e.g. [Secrets.Source]: managed secrets that rotate without a
	// restart). Set Secrets or Source, not both.
	Source SecretSource `json:"-"`
}

// JiraHMAC is the scheme of Jira webhooks with a secret:
// "X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>".
func JiraHMAC(secrets ...string) HMACConfig {
	return HMACConfig{Header: "X-Hub-Signature", Algorithm: SHA256, Encoding: Hex, Prefix: "sha256=", Secrets: secrets}
}

// GitHubHMAC is the GitHub-style scheme:
// "X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>".
func GitHubHMAC(secrets ...string) HMACConfig {
	return HMACConfig{Header: "X-Hub-Signature-256", Algorithm: SHA256, Encoding: Hex, Prefix: "sha256=", Secrets: secrets}
}

// SysAidHMAC is a best guess for SysAid webhooks: SysAid documents that every
// delivery carries an X-Sysaid-Signature header but does not publish how it
// is computed. The preset assumes the most common scheme — hex HMAC-SHA256 of
// the raw body keyed with the subscription secret — and also accepts a
// "sha256=" prefix. Change Algorithm, Encoding or Prefix if your instance
// signs differently.
func SysAidHMAC(secrets ...string) HMACConfig {
	return HMACConfig{Header: "X-Sysaid-Signature", Algorithm: SHA256, Encoding: Hex, Prefix: "sha256=", PrefixOptional: true, Secrets: secrets}
}

// StripeHMAC is Stripe's scheme: "Stripe-Signature: t=<ts>,v1=<hex>", the
// HMAC-SHA256 of "<ts>.<body>" keyed with the secret string as is, within
// [DefaultTolerance].
func StripeHMAC(secrets ...string) HMACConfig {
	return HMACConfig{Header: "Stripe-Signature", Algorithm: SHA256, Encoding: Hex, Scheme: SchemeStripe, Secrets: secrets}
}

// Validate reports every problem of the configuration at once: an error
// holding an *itsm.ValidationError (errors.As) that matches
// itsm.ErrInvalidConfig. It never includes a secret.
func (c HMACConfig) Validate() error {
	var p fieldErrors
	if strings.TrimSpace(c.Header) == "" {
		p.add("header", "is required")
	}
	if c.Algorithm.new() == nil {
		p.add("algorithm", "unknown %q (want sha256, sha1 or sha512)", clip.Bytes(string(c.Algorithm), 32))
	}
	switch c.Encoding {
	case "", Hex, Base64:
	default:
		p.add("encoding", "unknown %q (want hex or base64)", clip.Bytes(string(c.Encoding), 32))
	}
	switch c.Scheme {
	case "", SchemePlain:
	case SchemeStripe:
		if c.Prefix != "" {
			p.add("prefix", "not used by the stripe scheme")
		}
		if c.TimestampHeader != "" {
			p.add("timestamp_header", "not used by the stripe scheme")
		}
	default:
		p.add("scheme", "unknown %q (want plain or stripe)", clip.Bytes(string(c.Scheme), 32))
	}
	if c.Tolerance < 0 {
		p.add("tolerance", "cannot be turned off")
	}
	for i, s := range c.Secrets {
		if s == "" {
			p.add(fmt.Sprintf("secrets[%d]", i), "is empty")
		}
	}
	if len(c.Secrets) == 0 && c.Source == nil {
		p.add("secrets", "at least one is required")
	}
	if len(c.Secrets) > 0 && c.Source != nil {
		p.add("source", "not used with secrets (set one of them)")
	}
	return p.err("HMAC verifier configuration", false)
}

// HMACVerifier checks an HMAC signature over the raw body (optionally with a
// timestamp). It compares MACs with hmac.Equal, accepts any of its secrets,
// and checks a timestamp only after the signature matched. It is immutable
// and safe for concurrent use.
type HMACVerifier struct {
	cfg     HMACConfig
	newHash func() hash.Hash
	size    int // the MAC's length in bytes
	keys    [][]byte
	pools   []sync.Pool // per key: *macState values, reset before use
	clock   itsm.Clock
	src     SecretSource // instead of keys, when set
}

// NewHMACVerifier validates cfg and returns its verifier. The secrets are
// copied. Of opts it uses the clock only, to check timestamps.
func NewHMACVerifier(cfg HMACConfig, opts ...itsm.Option) (*HMACVerifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v := &HMACVerifier{cfg: cfg, newHash: cfg.Algorithm.new(), clock: itsm.NewOptions(opts...).Clock, src: cfg.Source}
	v.size = v.newHash().Size()
	if v.cfg.Tolerance == 0 {
		v.cfg.Tolerance = DefaultTolerance
	}
	if v.cfg.Encoding == "" {
		v.cfg.Encoding = Hex
	}
	if v.cfg.Scheme == "" {
		v.cfg.Scheme = SchemePlain
	}
	for _, s := range cfg.Secrets {
		v.keys = append(v.keys, []byte(s))
	}
	v.pools = make([]sync.Pool, len(v.keys))
	for i := range v.pools {
		key := v.keys[i]
		v.pools[i].New = func() any { return &macState{h: hmac.New(v.newHash, key)} }
	}
	v.cfg.Secrets = nil
	return v, nil
}

func (v *HMACVerifier) timestamped() bool {
	return v.cfg.Scheme == SchemeStripe || v.cfg.TimestampHeader != ""
}

// macState is a keyed HMAC (its inner and outer pads computed once) and
// room for its sum, reused across requests through the verifier's pools.
type macState struct {
	h   hash.Hash
	sum [sha512.Size]byte
}

// compute returns the MAC of [ts "."] body, in st.sum.
func (st *macState) compute(timestamped bool, ts string, body []byte) []byte {
	st.h.Reset()
	if timestamped {
		st.h.Write([]byte(ts))
		st.h.Write([]byte{'.'})
	}
	st.h.Write(body)
	return st.h.Sum(st.sum[:0])
}

// mac appends to dst the MAC of [ts "."] body under the i-th key.
func (v *HMACVerifier) mac(dst []byte, i int, ts string, body []byte) []byte {
	st := v.pools[i].Get().(*macState)
	dst = append(dst, st.compute(v.timestamped(), ts, body)...)
	v.pools[i].Put(st)
	return dst
}

// Verify implements [Verifier]. It returns nil, or an error wrapping
// [ErrMissingSignature], [ErrMalformedSignature], [ErrInvalidSignature],
// [ErrMissingTimestamp], [ErrInvalidTimestamp] or [ErrTimestampOutOfRange]
// (only for a genuine signature). A verifier not made by NewHMACVerifier
// (the zero value) fails with the validation error of an empty HMACConfig.
func (v *HMACVerifier) Verify(r *http.Request, body []byte) error {
	_, err := v.VerifyDelivery(r, body)
	return err
}

// VerifyDelivery implements [DeliveryVerifier]: it verifies as Verify does
// and reports what the signature covers. No HMAC scheme signs a delivery
// id, so ID is always "" (a delivery-id header such as Jira's
// X-Atlassian-Webhook-Identifier is not authenticated, and the handler
// does not deduplicate by it). Timestamp is the signed timestamp of a
// timestamped scheme. Digest, for a scheme without a timestamp (the MAC
// then covers the body alone), is the SHA-256 of the matching MAC: it
// identifies the body without the cost of hashing it again, cannot be
// turned back into the signature, and depends on the secret that verified
// it.
func (v *HMACVerifier) VerifyDelivery(r *http.Request, body []byte) (VerifiedDelivery, error) {
	var vd VerifiedDelivery
	if v == nil || v.newHash == nil {
		return vd, HMACConfig{}.Validate()
	}
	if r == nil {
		return vd, ErrMissingSignature
	}
	raw := strings.TrimSpace(r.Header.Get(v.cfg.Header))
	if raw == "" {
		return vd, fmt.Errorf("%w: no %s header", ErrMissingSignature, v.cfg.Header)
	}
	var ts string
	var sigs [][]byte
	var one [1][]byte            // the plain scheme's signature, without allocating
	var sigBuf [sha512.Size]byte // its decoded bytes
	switch v.cfg.Scheme {
	case SchemeStripe:
		var err error
		ts, sigs, err = v.parseStripe(raw)
		if err != nil {
			return vd, err
		}
	default:
		sig, err := v.decodeTo(sigBuf[:0], v.stripPrefix(raw))
		if err != nil {
			return vd, err
		}
		one[0] = sig
		sigs = one[:]
		if v.cfg.TimestampHeader != "" {
			ts = strings.TrimSpace(r.Header.Get(v.cfg.TimestampHeader))
			if ts == "" {
				return vd, fmt.Errorf("%w: no %s header", ErrMissingTimestamp, v.cfg.TimestampHeader)
			}
		}
	}
	var at time.Time
	if v.timestamped() {
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return vd, ErrInvalidTimestamp
		}
		at = time.Unix(sec, 0)
	}
	if v.src != nil {
		// Secrets from a source change with rotation: the claim digest is
		// left zero, so the handler keys the claim on the body itself.
		if err := v.matchesSource(r.Context(), ts, body, sigs); err != nil {
			return VerifiedDelivery{}, err
		}
	} else {
		var digest *[sha256.Size]byte
		if !v.timestamped() {
			digest = &vd.Digest
		}
		if !v.matches(ts, body, sigs, digest) {
			return VerifiedDelivery{}, ErrInvalidSignature
		}
	}
	if v.timestamped() {
		if err := checkTimestamp(v.clock.Now(), at, v.cfg.Tolerance); err != nil {
			return VerifiedDelivery{}, err
		}
		vd.Timestamp = at
	}
	return vd, nil
}

// claimDomain separates the digest of a MAC (a delivery claim) from any
// other use of SHA-256 over the same bytes.
const claimDomain = "itsmsync callback claim v1\x00"

// matches reports whether any signature equals the MAC under any key. Every
// pair is compared, so the time taken does not depend on which one matched.
// When digest is not nil and a signature matched, it receives the
// SHA-256 of the first matching MAC (prefixed by claimDomain).
func (v *HMACVerifier) matches(ts string, body []byte, sigs [][]byte, digest *[sha256.Size]byte) bool {
	ok := false
	for i := range v.keys {
		st := v.pools[i].Get().(*macState)
		want := st.compute(v.timestamped(), ts, body)
		for _, sig := range sigs {
			if hmac.Equal(want, sig) {
				if !ok && digest != nil {
					var buf [len(claimDomain) + sha512.Size]byte
					n := copy(buf[:], claimDomain)
					n += copy(buf[n:], want)
					*digest = sha256.Sum256(buf[:n])
				}
				ok = true
			}
		}
		v.pools[i].Put(st)
	}
	return ok
}

func (v *HMACVerifier) stripPrefix(raw string) string {
	p := v.cfg.Prefix
	if p == "" {
		return raw
	}
	if len(raw) >= len(p) && strings.EqualFold(raw[:len(p)], p) {
		return raw[len(p):]
	}
	if v.cfg.PrefixOptional {
		return raw
	}
	return "\x00" // fails decoding: the prefix is required
}

func (v *HMACVerifier) decode(s string) ([]byte, error) { return v.decodeTo(nil, s) }

// decodeTo appends the decoded signature s to dst: with a dst of room
// enough, a hex signature is decoded without allocating.
func (v *HMACVerifier) decodeTo(dst []byte, s string) ([]byte, error) {
	var b []byte
	var err error
	switch v.cfg.Encoding {
	case Base64:
		b, err = decodeBase64(s)
	default:
		b, err = appendHex(dst, s)
	}
	if err != nil || len(b)-len(dst) != v.size {
		return nil, fmt.Errorf("%w: not a %s-encoded %s signature", ErrMalformedSignature, v.cfg.Encoding, v.algorithm())
	}
	return b[len(dst):], nil
}

// appendHex appends the bytes of the hex string s (either case) to dst, as
// hex.DecodeString would decode them.
func appendHex(dst []byte, s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return dst, hex.ErrLength
	}
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := fromHex(s[i])
		lo, ok2 := fromHex(s[i+1])
		if !ok1 || !ok2 {
			return dst, hex.InvalidByteError(s[i])
		}
		dst = append(dst, hi<<4|lo)
	}
	return dst, nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (v *HMACVerifier) algorithm() Algorithm {
	if v.cfg.Algorithm == "" {
		return SHA256
	}
	return v.cfg.Algorithm
}

// decodeBase64 accepts standard or URL-safe base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// MaxSignatureEntries caps the entries of one signature header: the
// space-separated "<version>,<signature>" entries of Standard Webhooks, the
// comma-separated key=value pairs (t= included) of the Stripe scheme. Every
// entry up to the cap is tried (a sender lists one per secret it signs
// with, during a rotation); a header with more entries is rejected as
// malformed ([ErrMalformedSignature]) rather than partly read.
const MaxSignatureEntries = 64

// parseStripe splits "t=...,v1=...,v1=..." into the timestamp and the
// decoded v1 signatures (all of them: at most MaxSignatureEntries entries).
func (v *HMACVerifier) parseStripe(raw string) (string, [][]byte, error) {
	var ts string
	var sigs [][]byte
	n := 0
	for part := range strings.SplitSeq(raw, ",") {
		if n++; n > MaxSignatureEntries {
			return "", nil, fmt.Errorf("%w: more than %d entries in %s", ErrMalformedSignature, MaxSignatureEntries, v.cfg.Header)
		}
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = val
		case "v1":
			if b, err := v.decode(val); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	if ts == "" {
		return "", nil, fmt.Errorf("%w: no t= in %s", ErrMissingTimestamp, v.cfg.Header)
	}
	if len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: no valid v1= in %s", ErrMalformedSignature, v.cfg.Header)
	}
	return ts, sigs, nil
}

// checkTimestamp rejects at when it is more than tolerance before or after
// now.
func checkTimestamp(now, at time.Time, tolerance time.Duration) error {
	d := now.Sub(at)
	if d > tolerance {
		return fmt.Errorf("%w: %s old (tolerance %s)", ErrTimestampOutOfRange, d.Round(time.Second), tolerance)
	}
	if -d > tolerance {
		return fmt.Errorf("%w: %s in the future (tolerance %s)", ErrTimestampOutOfRange, (-d).Round(time.Second), tolerance)
	}
	return nil
}

// Sign returns the headers that make body verify, signed with the first
// secret at time at (used only by timestamped schemes), so a host can test
// its endpoint: add them to the request (for k, vs := range h { r.Header[k]
// = vs }).
func (v *HMACVerifier) Sign(body []byte, at time.Time) http.Header {
	h := http.Header{}
	if v != nil && v.src != nil {
		return v.signSource(body, at)
	}
	if v == nil || len(v.keys) == 0 {
		return h
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := v.mac(nil, 0, ts, body)
	return v.signHeader(ts, mac)
}

// signHeader returns the signature headers of mac, made at ts.
func (v *HMACVerifier) signHeader(ts string, mac []byte) http.Header {
	h := http.Header{}
	var enc string
	if v.cfg.Encoding == Base64 {
		enc = base64.StdEncoding.EncodeToString(mac)
	} else {
		enc = hex.EncodeToString(mac)
	}
	switch v.cfg.Scheme {
	case SchemeStripe:
		h.Set(v.cfg.Header, "t="+ts+",v1="+enc)
	default:
		h.Set(v.cfg.Header, v.cfg.Prefix+enc)
		if v.cfg.TimestampHeader != "" {
			h.Set(v.cfg.TimestampHeader, ts)
		}
	}
	return h
}

var (
	_ Verifier         = (*HMACVerifier)(nil)
	_ DeliveryVerifier = (*HMACVerifier)(nil)
)
