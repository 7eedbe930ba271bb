package memstore

import (
	"container/list"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// DefaultMaxDeliveries is how many delivery claims a Store remembers at most
// when no [WithMaxDeliveries] option is given: DeliveryCap(0.38, 72h), that
// is a sustained 0.38 deliveries per second (about 33,000 a day) kept for
// the 72-hour default dedup TTL of callback.Applier. A claim takes about
// 220 bytes with a 36-character delivery id (BenchmarkDeliveryClaimBytes),
// so the default bounds claims near 22 MB.
const DefaultMaxDeliveries = 100_000

// DeliveryCap is the [WithMaxDeliveries] bound that keeps every claim for
// its whole ttl at a sustained rate of perSecond deliveries per second
// (rounded up; at least 1). Size it from the peak rate the ITSM can send
// over one ttl, e.g. DeliveryCap(5, 72*time.Hour) = 1,296,000 claims, about
// 290 MB.
func DeliveryCap(perSecond float64, ttl time.Duration) int {
	n := math.Ceil(perSecond * ttl.Seconds())
	switch {
	case n < 1 || math.IsNaN(n):
		return 1
	case n > math.MaxInt32:
		return math.MaxInt32
	}
	return int(n)
}

// Overflow says what [Store.ClaimDelivery] does when the store already
// remembers [WithMaxDeliveries] claims and the oldest has not expired.
type Overflow int

const (
	// RefuseNew (the default) keeps every live claim and refuses the new
	// delivery with an error wrapping [ErrDeliveriesFull] (and itsm.ErrStore):
	// nothing is applied twice, and the sender retries the refused delivery
	// later, when expired claims have made room.
	RefuseNew Overflow = iota
	// EvictOldest forgets the oldest claim although it has not expired and
	// accepts the new delivery: inbound never stalls, but a duplicate of the
	// forgotten delivery arriving within its ttl is accepted again.
	// [Store.LiveEvictions] counts the claims forgotten this way: export it
	// as a metric and alert on it.
	EvictOldest
)

// ErrDeliveriesFull is the error of a delivery refused by [RefuseNew]: the
// store remembers its maximum of live claims. Raise [WithMaxDeliveries]
// (see [DeliveryCap]).
var ErrDeliveriesFull = errors.New("memstore: delivery claims full")

// Option configures a [Store].
type Option func(*Store)

// WithMaxDeliveries bounds how many delivery claims ([Store.ClaimDelivery])
// the store remembers; size it with [DeliveryCap]. When a new claim would
// exceed n and the oldest claim has not expired, the store applies the
// [WithDeliveryOverflow] policy (default [RefuseNew]: the delivery is
// refused with an error, which the callback Applier audits and logs). n of
// zero or less means [DefaultMaxDeliveries].
func WithMaxDeliveries(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.maxDeliveries = n
		}
	}
}

// WithDeliveryOverflow sets what happens when the delivery claims are full
// of live claims (default [RefuseNew]).
func WithDeliveryOverflow(o Overflow) Option {
	return func(s *Store) { s.overflow = o }
}

// Store is an in-memory implementation of every store interface of the SDK
// ([itsm.SyncStore], [itsm.IntegrationStore], callback.InboundStore,
// callback.TokenStore, callback.SecretStore) and of [itsm.Cooldown] and
// [itsm.SyncSessionStore]. It is safe for
// concurrent use by any number of goroutines of one process. Values are
// copied in and out: mutating a value passed to or returned by a Store never
// changes what it holds. The zero value is not usable; call [New].
type Store struct {
	maxDeliveries int
	overflow      Overflow
	liveEvictions atomic.Uint64

	// linkMu guards links and pending together: CompletePending changes
	// both atomically.
	linkMu  sync.RWMutex
	links   map[string]*integrationLinks // by integration id
	pending map[caseKey]itsm.PendingCreate
	retired map[caseKey][]itsm.RetiredLink // made on first use; see targets.go

	noteMu sync.RWMutex
	notes  map[caseKey]map[string]itsm.PostedNote

	leaseMu sync.RWMutex
	leases  map[string]itsm.Lease

	integMu      sync.RWMutex
	integrations map[string]itsm.Integration
	byWorkspace  map[string]string // workspace -> integration id

	tokenMu     sync.RWMutex
	tokens      map[string]itsm.CallbackToken
	tokenByHash map[string]string // string(hash) -> token id

	inboundMu  sync.Mutex
	deliveries map[deliveryKey]*list.Element // values are *delivery
	claimOrder *list.List                    // oldest claim at the front
	// sweepAfter is no later than the earliest expiry of a remembered
	// claim: a full store sweeps (an O(n) walk) only once it is reached.
	sweepAfter time.Time
	states     map[ticketKey]itsm.InboundState

	coolMu      sync.Mutex
	cooldowns   map[string]time.Time
	coolSweepAt int // sweep expired cooldowns when the map reaches this size

	secretMu sync.RWMutex
	secrets  map[string][]itsm.WebhookSecret // by integration id, by Seq ascending; made on first use

	orphans orphanTable // see orphans.go
}

// Compile-time checks.
var (
	_ itsm.SyncStore        = (*Store)(nil)
	_ itsm.IntegrationStore = (*Store)(nil)
	_ itsm.Cooldown         = (*Store)(nil)
	_ itsm.TargetStore      = (*Store)(nil)
)

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{
		maxDeliveries: DefaultMaxDeliveries,
		links:         make(map[string]*integrationLinks),
		pending:       make(map[caseKey]itsm.PendingCreate),
		notes:         make(map[caseKey]map[string]itsm.PostedNote),
		leases:        make(map[string]itsm.Lease),
		integrations:  make(map[string]itsm.Integration),
		byWorkspace:   make(map[string]string),
		tokens:        make(map[string]itsm.CallbackToken),
		tokenByHash:   make(map[string]string),
		deliveries:    make(map[deliveryKey]*list.Element),
		claimOrder:    list.New(),
		states:        make(map[ticketKey]itsm.InboundState),
		cooldowns:     make(map[string]time.Time),
		coolSweepAt:   minCoolSweep,
	}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	return s
}

// caseKey identifies a case within an integration.
type caseKey struct{ integrationID, caseID string }

// ticketKey identifies a ticket within an integration.
type ticketKey struct{ integrationID, ticketID string }

// MaxDeliveries returns the most delivery claims the store remembers.
func (s *Store) MaxDeliveries() int { return s.maxDeliveries }

// Deliveries returns how many delivery claims the store remembers now,
// expired claims not yet dropped included; never more than MaxDeliveries.
func (s *Store) Deliveries() int {
	s.inboundMu.Lock()
	defer s.inboundMu.Unlock()
	return s.claimOrder.Len()
}

// Cooldowns returns how many cooldowns the store holds now, ended ones not
// yet swept included.
func (s *Store) Cooldowns() int {
	s.coolMu.Lock()
	defer s.coolMu.Unlock()
	return len(s.cooldowns)
}
