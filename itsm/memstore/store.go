package memstore

import (
	"container/list"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// DefaultMaxDeliveries is how many delivery claims a Store remembers at most
// when no [WithMaxDeliveries] option is given.
const DefaultMaxDeliveries = 100_000

// Option configures a [Store].
type Option func(*Store)

// WithMaxDeliveries bounds how many delivery claims ([Store.ClaimDelivery])
// the store remembers. When a claim would exceed n, the oldest claim is
// forgotten first, even if it has not expired, so a duplicate that arrives
// after more than n newer deliveries is accepted again. n of zero or less
// means [DefaultMaxDeliveries].
func WithMaxDeliveries(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.maxDeliveries = n
		}
	}
}

// Store is an in-memory implementation of every store interface of the SDK
// ([itsm.SyncStore], [itsm.IntegrationStore], callback.InboundStore,
// callback.TokenStore, callback.SecretStore) and of [itsm.Cooldown]. It is safe for
// concurrent use by any number of goroutines of one process. Values are
// copied in and out: mutating a value passed to or returned by a Store never
// changes what it holds. The zero value is not usable; call [New].
type Store struct {
	maxDeliveries int

	// linkMu guards links and pending together: CompletePending changes
	// both atomically.
	linkMu  sync.RWMutex
	links   map[string]*integrationLinks // by integration id
	pending map[caseKey]itsm.PendingCreate

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
	states     map[ticketKey]itsm.InboundState

	coolMu      sync.Mutex
	cooldowns   map[string]time.Time
	coolSweepAt int // sweep expired cooldowns when the map reaches this size

	secretMu sync.RWMutex
	secrets  map[string][]itsm.WebhookSecret // by integration id, by Seq ascending; made on first use
}

// Compile-time checks.
var (
	_ itsm.SyncStore        = (*Store)(nil)
	_ itsm.IntegrationStore = (*Store)(nil)
	_ itsm.Cooldown         = (*Store)(nil)
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
