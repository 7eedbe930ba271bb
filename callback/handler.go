package callback

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
)

// HandlerConfig configures a [Handler]: the applier's settings (embedded)
// plus how deliveries are authenticated, read and parsed. The zero value of
// every optional field is its default.
type HandlerConfig struct {
	ApplierConfig
	// Verifier authenticates deliveries before their body is parsed.
	// Required.
	Verifier Verifier `json:"-"`
	// Parser turns a verified body into events. Required.
	Parser Parser `json:"-"`
	// DeliveryIDHeader names the header holding the delivery's id (Jira:
	// "X-Atlassian-Webhook-Identifier"; Standard Webhooks: "webhook-id",
	// read from "svix-id" too). It is passed on to the updater
	// (TicketChange.DeliveryID) and the audit record. It is not what
	// deliveries are deduplicated by unless the Verifier authenticated it
	// (see [DeliveryVerifier]): an id the signature does not cover can be
	// changed by whoever replays a captured delivery, so deliveries are
	// then deduplicated by a digest of their authenticated body.
	DeliveryIDHeader string `json:"delivery_id_header,omitempty"`
	// ReadTimeout bounds the time spent reading a delivery's body, from
	// the moment the handler starts on it (a read deadline on the
	// connection, set through the ResponseWriter's SetReadDeadline as
	// http.ResponseController does): a body that has not arrived by then
	// is answered 408. 0 means [DefaultReadTimeout]; a negative value
	// (itsm.Off) leaves reading to the http.Server's own timeouts, which
	// the host should set anyway (see the package documentation). The
	// deadline is lifted once the body is read, so it never cuts the
	// processing short.
	ReadTimeout time.Duration `json:"read_timeout,omitempty"`
	// MaxBodyBytes caps the body; a larger one is answered 413 (0 means
	// [DefaultMaxBodyBytes]; negative is invalid).
	MaxBodyBytes int64 `json:"max_body_bytes,omitempty"`
	// MaxEvents caps the events of one delivery; more are answered 413 (0
	// means [DefaultMaxEvents]; negative is invalid).
	MaxEvents int `json:"max_events,omitempty"`
}

// Validate reports every problem of the configuration (the embedded
// ApplierConfig's included) at once: an error holding an
// *itsm.ValidationError (errors.As) that matches itsm.ErrInvalidConfig.
func (c HandlerConfig) Validate() error {
	p := c.ApplierConfig.problems()
	if c.Verifier == nil {
		p.add("verifier", "is required")
	}
	if c.Parser == nil {
		p.add("parser", "is required")
	}
	if c.MaxBodyBytes < 0 {
		p.add("max_body_bytes", "must not be negative")
	}
	if c.MaxEvents < 0 {
		p.add("max_events", "must not be negative")
	}
	return p.err("handler configuration", false)
}

// Handler is the inbound http.Handler of one integration: the endpoint an
// ITSM's webhook calls. Per request:
//
//   - not POST → 405 with "Allow: POST";
//   - body over MaxBodyBytes → 413; not read within ReadTimeout → 408;
//   - the Verifier rejects the request → 401, with no detail (the audit
//     record holds the reason); the token store is down
//     ([ErrUnavailable]) → 503;
//   - the Parser finds a malformed payload → 400; an unsupported event
//     type → 200, ignored; more than MaxEvents events → 413;
//   - otherwise the events go through the [Applier] (dedup, link lookup,
//     ordering, status map, echo suppression, the host's updater): 200 with
//     a JSON summary such as {"applied":1,"duplicate":0,"stale":0,
//     "ignored":0}. Duplicates, stale events, unlinked tickets and
//     unmapped statuses are acknowledged (2xx) so the sender does not retry
//     them forever;
//   - the updater failed → 500, the store failed → 503, and the failed
//     event's claim is released: the sender retries, and the retry is
//     applied once. An event that was not applied is never acknowledged.
//
// Every delivery is audited (one record per event, or one per rejected
// delivery), without body, secret or signature. The body is read into a
// buffer reused across requests: the Verifier and the Parser see it only
// for the duration of their call and must not keep it. A Handler is safe
// for concurrent use.
type Handler struct {
	cfg     HandlerConfig
	applier *Applier
	dv      DeliveryVerifier // cfg.Verifier, when it tells what it authenticated
	svixID  bool             // DeliveryIDHeader is webhook-id: read svix-id too
}

// NewHandler validates cfg, fills in defaults and returns the handler. Its
// [Applier] is built from cfg.ApplierConfig with the same opts, so the
// clock, the logger and the audit sink of opts serve both: the audit sink
// receives one itsm.AuditEvent (Operation "inbound") per event, and one per
// rejected delivery.
func NewHandler(cfg HandlerConfig, opts ...itsm.Option) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a, err := NewApplier(cfg.ApplierConfig, opts...)
	if err != nil {
		return nil, err
	}
	cfg.ApplierConfig = a.cfg
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxEvents == 0 {
		cfg.MaxEvents = DefaultMaxEvents
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	h := &Handler{cfg: cfg, applier: a}
	h.dv, _ = cfg.Verifier.(DeliveryVerifier)
	h.svixID = http.CanonicalHeaderKey(cfg.DeliveryIDHeader) == HeaderWebhookID
	return h, nil
}

// Applier returns the handler's applier, for a reconciler that must follow
// the same dedup, ordering and echo rules (and share the per-ticket locks).
func (h *Handler) Applier() *Applier { return h.applier }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.applier.env.Clock.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(r.Context(), w, start, "", http.StatusMethodNotAllowed, "method not allowed", nil)
		return
	}
	// The body lives in a pooled buffer until ServeHTTP returns: the
	// Verifier and Parser must not keep it (see [Parser]).
	bb := bodyPool.Get().(*bodyBuf)
	defer bb.release()
	body, err := h.readBody(w, r, bb)
	if err != nil {
		switch {
		case errors.Is(err, errTooLarge):
			h.reject(r.Context(), w, start, "", http.StatusRequestEntityTooLarge, "body too large", nil)
		case isTimeout(err):
			h.reject(r.Context(), w, start, "", http.StatusRequestTimeout, "body read timed out", nil)
		default:
			h.reject(r.Context(), w, start, "", http.StatusBadRequest, "body unreadable", nil)
		}
		return
	}
	var vd VerifiedDelivery
	if h.dv != nil {
		vd, err = h.dv.VerifyDelivery(r, body)
	} else {
		err = h.cfg.Verifier.Verify(r, body)
	}
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			h.reject(r.Context(), w, start, "", http.StatusServiceUnavailable, "verification unavailable", err)
			return
		}
		h.reject(r.Context(), w, start, "", http.StatusUnauthorized, verifyReason(err), nil)
		return
	}
	deliveryID := vd.ID
	if deliveryID == "" && h.cfg.DeliveryIDHeader != "" {
		deliveryID = r.Header.Get(h.cfg.DeliveryIDHeader)
		if deliveryID == "" && h.svixID {
			deliveryID = r.Header.Get(HeaderSvixID)
		}
	}
	deliveryID = clip.Bytes(deliveryID, 200)
	events, err := h.cfg.Parser.Parse(r, body)
	switch {
	case errors.Is(err, ErrUnsupportedEvent):
		h.record(r.Context(), start, deliveryID, http.StatusOK, itsm.OutcomeIgnored, reasonOf(err), nil)
		writeSummary(w, http.StatusOK, Report{Ignored: 1})
		return
	case err != nil:
		h.reject(r.Context(), w, start, deliveryID, http.StatusBadRequest, reasonOf(errMalformed(err)), nil)
		return
	case len(events) > h.cfg.MaxEvents:
		h.reject(r.Context(), w, start, deliveryID, http.StatusRequestEntityTooLarge, "too many events", nil)
		return
	}
	for i := range events {
		if err := events[i].Validate(); err != nil {
			h.reject(r.Context(), w, start, deliveryID, http.StatusBadRequest, reasonOf(err), nil)
			return
		}
	}
	if len(events) == 0 {
		h.record(r.Context(), start, deliveryID, http.StatusOK, itsm.OutcomeIgnored, "no events", nil)
		writeSummary(w, http.StatusOK, Report{})
		return
	}
	rep, err := h.applier.apply(r.Context(), claimBase(vd, body), deliveryID, events)
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, itsm.ErrStore) {
			code = http.StatusServiceUnavailable
		}
		http.Error(w, http.StatusText(code), code)
		return
	}
	writeSummary(w, http.StatusOK, rep)
}

// readBody reads the body into bb within ReadTimeout: the read deadline is
// set before, and lifted once the body is read (a deadline left in place
// would cancel the request's context once it passed, while the events are
// being applied). After a failed read it stays, so the server's own
// draining of an unread body is bounded too. A ResponseWriter without
// deadlines (a test recorder) is read without.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, bb *bodyBuf) ([]byte, error) {
	d := readDeadliner(w)
	if h.cfg.ReadTimeout < 0 || d == nil || d.SetReadDeadline(time.Now().Add(h.cfg.ReadTimeout)) != nil {
		return bb.read(r, h.cfg.MaxBodyBytes)
	}
	body, err := bb.read(r, h.cfg.MaxBodyBytes)
	if err == nil {
		_ = d.SetReadDeadline(time.Time{})
	}
	return body, err
}

type deadliner interface {
	SetReadDeadline(deadline time.Time) error
}

// readDeadliner finds read deadlines in w as http.ResponseController does
// (through Unwrap), or nil: without the error value ResponseController
// builds for a writer that has none.
func readDeadliner(w http.ResponseWriter) deadliner {
	for {
		switch t := w.(type) {
		case deadliner:
			return t
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil
		}
	}
}

// isTimeout reports whether a body read failed on its deadline.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// claimBase is the dedup key of a delivery's events: the id the verifier
// authenticated, else a digest of the authenticated body (the verifier's,
// or the SHA-256 of body). An id the signature does not cover never keys
// dedup: a replay under a fresh id would be applied again.
func claimBase(vd VerifiedDelivery, body []byte) string {
	if vd.ID != "" {
		if len(vd.ID) <= 200 {
			return "id:" + vd.ID
		}
		d := sha256.Sum256([]byte(vd.ID))
		return "id-sha256:" + base64.RawURLEncoding.EncodeToString(d[:])
	}
	d := vd.Digest
	if d == ([sha256.Size]byte{}) {
		d = sha256.Sum256(body)
	}
	const prefix = "sha256:"
	var buf [len(prefix) + 43]byte // 43: base64 (unpadded) of 32 bytes
	copy(buf[:], prefix)
	base64.RawURLEncoding.Encode(buf[len(prefix):], d[:])
	return string(buf[:])
}

// errMalformed makes sure a parse error matches ErrMalformedPayload.
func errMalformed(err error) error {
	if errors.Is(err, ErrMalformedPayload) {
		return err
	}
	return Malformed("parse failed")
}

func reasonOf(err error) string { return clip.Bytes(err.Error(), 200) }

// verifyReason is the sentinel text of a verification error: it names what
// failed without any detail a secret could hide in.
func verifyReason(err error) string {
	for _, s := range []error{
		ErrMissingToken, ErrInvalidToken, ErrTokenRevoked, ErrTokenExpired,
		ErrMissingSignature, ErrMalformedSignature, ErrInvalidSignature,
		ErrMissingTimestamp, ErrInvalidTimestamp, ErrTimestampOutOfRange,
	} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	if errors.Is(err, itsm.ErrInvalidConfig) {
		return "callback: invalid verifier configuration"
	}
	return "verification failed"
}

func (h *Handler) reject(ctx context.Context, w http.ResponseWriter, start time.Time, deliveryID string, code int, reason string, err error) {
	h.record(ctx, start, deliveryID, code, itsm.OutcomeRejected, reason, err)
	http.Error(w, http.StatusText(code), code)
}

func (h *Handler) record(ctx context.Context, start time.Time, deliveryID string, code int, o itsm.Outcome, reason string, err error) {
	env := &h.applier.env
	if l := env.Logger; l.Enabled(ctx, slog.LevelDebug) {
		l.DebugContext(ctx, "callback: inbound delivery", "integration_id", h.cfg.IntegrationID,
			"delivery_id", deliveryID, "status_code", code, "outcome", string(o), "reason", reason)
	}
	if env.Audit == nil {
		return
	}
	e := itsm.AuditEvent{
		Time: start, IntegrationID: h.cfg.IntegrationID, DeliveryID: deliveryID, Operation: "inbound",
		Outcome: o, StatusCode: code, Reason: reason, Duration: env.Clock.Now().Sub(start),
	}
	if err != nil {
		e.Error = safeErrorText(err)
	}
	env.Audit.Record(ctx, e)
}

func writeSummary(w http.ResponseWriter, code int, rep Report) {
	b := make([]byte, 0, 64)
	b = append(b, `{"applied":`...)
	b = strconv.AppendInt(b, int64(rep.Applied), 10)
	b = append(b, `,"duplicate":`...)
	b = strconv.AppendInt(b, int64(rep.Duplicate), 10)
	b = append(b, `,"stale":`...)
	b = strconv.AppendInt(b, int64(rep.Stale), 10)
	b = append(b, `,"ignored":`...)
	b = strconv.AppendInt(b, int64(rep.Ignored), 10)
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

var errTooLarge = errors.New("callback: body too large")

// bodyBuf is a request body buffer, reused across requests (bodyPool).
type bodyBuf struct{ b []byte }

var bodyPool = sync.Pool{New: func() any { return new(bodyBuf) }}

// maxPooledBody is the largest buffer kept for reuse: a rare large body
// does not pin its memory in the pool.
const maxPooledBody = 256 << 10

// release returns bb to the pool; its bytes must no longer be used.
func (bb *bodyBuf) release() {
	if cap(bb.b) > maxPooledBody {
		bb.b = nil
	}
	bodyPool.Put(bb)
}

// read reads at most limit bytes of the body into bb, sized from
// Content-Length when the sender gave one; errTooLarge when there is more.
// The result is valid until bb is released.
func (bb *bodyBuf) read(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	size := int64(512)
	if r.ContentLength > 0 {
		size = r.ContentLength + 1 // +1: reach EOF without growing
	}
	buf := bb.b[:0]
	if int64(cap(buf)) < size {
		buf = make([]byte, 0, size)
	}
	lr := io.LimitedReader{R: r.Body, N: limit + 1}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			bb.b = buf
			return nil, err
		}
	}
	bb.b = buf
	if int64(len(buf)) > limit {
		return nil, errTooLarge
	}
	return buf, nil
}
