package callback

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// Standard Webhooks header names (https://www.standardwebhooks.com), and
// Svix's "svix-" spellings, accepted as a fallback when the webhook-*
// header is absent. The handler reads the delivery id from either
// spelling too.
const (
	HeaderWebhookID        = "Webhook-Id"
	HeaderWebhookTimestamp = "Webhook-Timestamp"
	HeaderWebhookSignature = "Webhook-Signature"
	HeaderSvixID           = "Svix-Id"
	HeaderSvixTimestamp    = "Svix-Timestamp"
	HeaderSvixSignature    = "Svix-Signature"
)

// StandardWebhooksSecretPrefix starts a Standard Webhooks secret; the rest is
// the base64 of the key.
const StandardWebhooksSecretPrefix = "whsec_"

// StandardWebhooksConfig configures a [StandardWebhooksVerifier]. The zero
// value of each optional field means its default. The clock that checks
// timestamps is an option of [NewStandardWebhooksVerifier].
type StandardWebhooksConfig struct {
	// Secrets are the accepted secrets, each "whsec_<base64 key>" (the
	// prefix may be omitted). Several are accepted so a secret can be
	// rotated; Sign uses the first. At least one is required.
	Secrets []string `json:"-"`
	// Tolerance is the replay window: 0 means [DefaultTolerance] (±5 min).
	// It cannot be turned off (a negative value is invalid).
	Tolerance time.Duration `json:"tolerance,omitempty"`
}

// Validate reports every problem of the configuration at once: an error
// holding an *itsm.ValidationError (errors.As) that matches
// itsm.ErrInvalidConfig. A secret that is not valid base64 is named by its
// index, never by its value.
func (c StandardWebhooksConfig) Validate() error {
	_, err := c.keys()
	return err
}

// keys decodes the secrets, validating the configuration.
func (c StandardWebhooksConfig) keys() ([][]byte, error) {
	var p fieldErrors
	if len(c.Secrets) == 0 {
		p.add("secrets", "at least one is required")
	}
	keys := make([][]byte, 0, len(c.Secrets))
	for i, s := range c.Secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, StandardWebhooksSecretPrefix))
		if err != nil || len(key) == 0 {
			p.add(fmt.Sprintf("secrets[%d]", i), "is not a %s<base64> secret", StandardWebhooksSecretPrefix)
			continue
		}
		keys = append(keys, key)
	}
	if c.Tolerance < 0 {
		p.add("tolerance", "cannot be turned off")
	}
	if err := p.err("Standard Webhooks verifier configuration", false); err != nil {
		return nil, err
	}
	return keys, nil
}

// StandardWebhooksVerifier verifies Standard Webhooks deliveries: the
// webhook-signature header holds space-separated "v1,<base64 HMAC-SHA256>"
// entries over "<webhook-id>.<webhook-timestamp>.<body>", keyed with the
// base64-decoded secret; webhook-timestamp (Unix seconds) must be within
// Tolerance of now, in both directions. Entries of other versions (such as
// the asymmetric "v1a") are ignored. It is immutable and safe for concurrent
// use.
type StandardWebhooksVerifier struct {
	keys      [][]byte
	pools     []sync.Pool // per key: keyed HMAC-SHA256 values
	tolerance time.Duration
	clock     itsm.Clock
}

// NewStandardWebhooksVerifier validates cfg (see
// [StandardWebhooksConfig.Validate]) and returns its verifier. Of opts it
// uses the clock only, to check timestamps.
func NewStandardWebhooksVerifier(cfg StandardWebhooksConfig, opts ...itsm.Option) (*StandardWebhooksVerifier, error) {
	keys, err := cfg.keys()
	if err != nil {
		return nil, err
	}
	v := &StandardWebhooksVerifier{keys: keys, tolerance: cfg.Tolerance, clock: itsm.NewOptions(opts...).Clock}
	if v.tolerance == 0 {
		v.tolerance = DefaultTolerance
	}
	v.pools = make([]sync.Pool, len(v.keys))
	for i := range v.pools {
		key := v.keys[i]
		v.pools[i].New = func() any { return hmac.New(sha256.New, key) }
	}
	return v, nil
}

func headerOrFallback(r *http.Request, name, fallback string) string {
	if v := r.Header.Get(name); v != "" {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(r.Header.Get(fallback))
}

// Verify implements [Verifier]. It returns nil, or an error wrapping
// [ErrMissingSignature] (no webhook-id or webhook-signature),
// [ErrMissingTimestamp], [ErrInvalidTimestamp], [ErrMalformedSignature] (no
// decodable v1 entry, or more than [MaxSignatureEntries] entries),
// [ErrInvalidSignature], or [ErrTimestampOutOfRange] (checked after the
// signature). Every entry of the header is tried. A verifier not made by
// NewStandardWebhooksVerifier (the zero value) fails with the validation
// error of an empty StandardWebhooksConfig.
func (v *StandardWebhooksVerifier) Verify(r *http.Request, body []byte) error {
	_, err := v.VerifyDelivery(r, body)
	return err
}

// VerifyDelivery implements [DeliveryVerifier]: it verifies as Verify does
// and reports the signed message id (webhook-id, or svix-id when the
// svix-* spellings carried the delivery) and timestamp. The handler
// deduplicates by that id, whichever spelling it came in.
func (v *StandardWebhooksVerifier) VerifyDelivery(r *http.Request, body []byte) (VerifiedDelivery, error) {
	if v == nil || len(v.keys) == 0 {
		return VerifiedDelivery{}, StandardWebhooksConfig{}.Validate()
	}
	if r == nil {
		return VerifiedDelivery{}, ErrMissingSignature
	}
	id := headerOrFallback(r, HeaderWebhookID, HeaderSvixID)
	ts := headerOrFallback(r, HeaderWebhookTimestamp, HeaderSvixTimestamp)
	raw := headerOrFallback(r, HeaderWebhookSignature, HeaderSvixSignature)
	if id == "" {
		return VerifiedDelivery{}, fmt.Errorf("%w: no webhook-id header", ErrMissingSignature)
	}
	if raw == "" {
		return VerifiedDelivery{}, fmt.Errorf("%w: no webhook-signature header", ErrMissingSignature)
	}
	if ts == "" {
		return VerifiedDelivery{}, fmt.Errorf("%w: no webhook-timestamp header", ErrMissingTimestamp)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return VerifiedDelivery{}, ErrInvalidTimestamp
	}
	var sigs [][]byte
	n := 0
	for entry := range strings.FieldsSeq(raw) {
		if n++; n > MaxSignatureEntries {
			return VerifiedDelivery{}, fmt.Errorf("%w: more than %d signature entries", ErrMalformedSignature, MaxSignatureEntries)
		}
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(b) != sha256.Size {
			continue
		}
		sigs = append(sigs, b)
	}
	if len(sigs) == 0 {
		return VerifiedDelivery{}, fmt.Errorf("%w: no v1 signature", ErrMalformedSignature)
	}
	ok := false
	var buf [sha256.Size]byte
	for i := range v.keys {
		want := v.mac(buf[:0], i, id, ts, body)
		for _, sig := range sigs {
			if hmac.Equal(want, sig) {
				ok = true
			}
		}
	}
	if !ok {
		return VerifiedDelivery{}, ErrInvalidSignature
	}
	at := time.Unix(sec, 0)
	if err := checkTimestamp(v.clock.Now(), at, v.tolerance); err != nil {
		return VerifiedDelivery{}, err
	}
	return VerifiedDelivery{ID: id, Timestamp: at}, nil
}

// mac appends to dst the MAC of "<id>.<ts>.<body>" under the i-th key.
func (v *StandardWebhooksVerifier) mac(dst []byte, i int, id, ts string, body []byte) []byte {
	m := v.pools[i].Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	dst = m.Sum(dst)
	v.pools[i].Put(m)
	return dst
}

// Sign returns the webhook-signature value ("v1,<base64>") for a delivery
// with msgID at time at, signed with the first secret.
func (v *StandardWebhooksVerifier) Sign(msgID string, at time.Time, body []byte) string {
	if v == nil || len(v.keys) == 0 {
		return ""
	}
	mac := v.mac(nil, 0, msgID, strconv.FormatInt(at.Unix(), 10), body)
	return "v1," + base64.StdEncoding.EncodeToString(mac)
}

// SignHeaders returns the three Standard Webhooks headers for a delivery, so
// a host can test its endpoint.
func (v *StandardWebhooksVerifier) SignHeaders(msgID string, at time.Time, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderWebhookID, msgID)
	h.Set(HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(HeaderWebhookSignature, v.Sign(msgID, at, body))
	return h
}

var (
	_ Verifier         = (*StandardWebhooksVerifier)(nil)
	_ DeliveryVerifier = (*StandardWebhooksVerifier)(nil)
)
