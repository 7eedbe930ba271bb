package netsafe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// Class is the kind of an IP address, as far as outbound requests care.
type Class uint8

// The address classes. The zero value is Public.
const (
	// Public is any address not in another class.
	Public Class = iota
	// Private is a private network: 10/8, 172.16/12, 192.168/16, 100.64/10
	// (carrier-grade NAT) and fc00::/7 (unique local). On-prem ITSMs live
	// here.
	Private
	// Loopback is 127/8 and ::1.
	Loopback
	// LinkLocal is 169.254/16 and fe80::/10.
	LinkLocal
	// Metadata is a cloud instance metadata or host service address
	// (169.254.169.254, fd00:ec2::254, 100.100.100.200, ...): credentials
	// live there.
	Metadata
	// Unspecified is 0.0.0.0 and :: (which reach the local host).
	Unspecified
	// Multicast is 224/4 and ff00::/8.
	Multicast
	// Reserved is everything else no ITSM can live on: 0/8, 240/4 and the
	// broadcast address, IPv4-compatible IPv6, and the like.
	Reserved
	// Invalid is the zero netip.Addr.
	Invalid
)

var classNames = [...]string{
	Public:      "public",
	Private:     "private",
	Loopback:    "loopback",
	LinkLocal:   "link-local",
	Metadata:    "cloud metadata",
	Unspecified: "unspecified",
	Multicast:   "multicast",
	Reserved:    "reserved",
	Invalid:     "invalid",
}

// String names the class ("public", "link-local", "cloud metadata", ...).
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// metadataAddrs are the instance metadata and host service endpoints of the
// major clouds. Those inside 169.254/16 are refused as link-local anyway;
// listing them gives the error a clearer reason.
var metadataAddrs = map[netip.Addr]bool{
	netip.MustParseAddr("169.254.169.254"): true, // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
	netip.MustParseAddr("169.254.169.253"): true, // AWS VPC DNS
	netip.MustParseAddr("169.254.170.2"):   true, // AWS ECS task metadata
	netip.MustParseAddr("169.254.170.23"):  true, // AWS EKS pod identity
	netip.MustParseAddr("fd00:ec2::254"):   true, // AWS IPv6 metadata
	netip.MustParseAddr("fd00:ec2::253"):   true, // AWS IPv6 DNS
	netip.MustParseAddr("fd00:ec2::23"):    true, // AWS IPv6 EKS pod identity
	netip.MustParseAddr("100.100.100.200"): true, // Alibaba Cloud
	netip.MustParseAddr("192.0.0.192"):     true, // Oracle Cloud (legacy)
	netip.MustParseAddr("168.63.129.16"):   true, // Azure WireServer
}

var (
	private4 = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("100.64.0.0/10"),
	}
	reserved4 = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, incl. broadcast
		netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
		netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
		netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	}
	// IPv6 prefixes that embed an IPv4 address routed by a local
	// translator: classified by the embedded address.
	nat64 = []netip.Prefix{
		netip.MustParsePrefix("64:ff9b::/96"),   // RFC 6052 well-known
		netip.MustParsePrefix("64:ff9b:1::/48"), // RFC 8215 local use
	}
	compat6   = netip.MustParsePrefix("::/96")         // IPv4-compatible (deprecated)
	discard6  = netip.MustParsePrefix("100::/64")      // discard-only
	doc6      = netip.MustParsePrefix("2001:db8::/32") // documentation
	siteLocal = netip.MustParsePrefix("fec0::/10")     // deprecated site-local
)

// Classify returns the class of ip. IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d) and NAT64 addresses (64:ff9b::a.b.c.d) are classified by
// the IPv4 address they reach; a zone is ignored.
func Classify(ip netip.Addr) Class {
	if !ip.IsValid() {
		return Invalid
	}
	ip = ip.WithZone("").Unmap()
	if metadataAddrs[ip] {
		return Metadata
	}
	if ip.Is6() {
		for _, p := range nat64 {
			if p.Contains(ip) {
				b := ip.As16()
				return Classify(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
			}
		}
	}
	switch {
	case ip.IsUnspecified():
		return Unspecified
	case ip.IsLoopback():
		return Loopback
	case ip.IsLinkLocalUnicast():
		return LinkLocal
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return Multicast
	}
	if ip.Is4() {
		for _, p := range private4 {
			if p.Contains(ip) {
				return Private
			}
		}
		for _, p := range reserved4 {
			if p.Contains(ip) {
				return Reserved
			}
		}
		return Public
	}
	switch {
	case ip.IsPrivate(): // fc00::/7
		return Private
	case compat6.Contains(ip), discard6.Contains(ip), doc6.Contains(ip), siteLocal.Contains(ip):
		return Reserved
	}
	return Public
}

// Policy says which address classes a dial may reach. The zero value allows
// public addresses only. Link-local, metadata, unspecified, multicast,
// reserved and invalid addresses are always refused.
type Policy struct {
	// AllowPrivate allows private networks (RFC 1918, carrier-grade NAT,
	// IPv6 unique local).
	AllowPrivate bool
	// AllowLoopback allows 127/8 and ::1.
	AllowLoopback bool
}

// Check returns nil when ip may be dialed, a *BlockedError (wrapping
// ErrBlocked) otherwise. host, when not empty, names the host that resolved
// to ip in the error.
func (p Policy) Check(host string, ip netip.Addr) error {
	c := Classify(ip)
	switch c {
	case Public:
		return nil
	case Private:
		if p.AllowPrivate {
			return nil
		}
	case Loopback:
		if p.AllowLoopback {
			return nil
		}
	}
	return &BlockedError{Host: host, Addr: ip.Unmap().WithZone(""), Class: c}
}

// ErrBlocked is a dial to an address the policy refuses.
var ErrBlocked = errors.New("netsafe: address not allowed")

// BlockedError is a refused address. It wraps ErrBlocked.
type BlockedError struct {
	// Host is the name that was dialed, "" when it was an IP literal.
	Host string
	// Addr is the refused address.
	Addr netip.Addr
	// Class is why it was refused.
	Class Class
}

// Error names the host, the address and its class.
func (e *BlockedError) Error() string {
	if e.Host != "" && e.Host != e.Addr.String() {
		return fmt.Sprintf("netsafe: %s resolves to %s address %s, which is not allowed", e.Host, e.Class, e.Addr)
	}
	return fmt.Sprintf("netsafe: %s address %s is not allowed", e.Class, e.Addr)
}

// Unwrap returns ErrBlocked.
func (e *BlockedError) Unwrap() error { return ErrBlocked }

// Resolver looks host names up. *net.Resolver satisfies it; tests inject a
// map.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer dials TCP connections to allowed addresses only. It resolves the
// host itself, checks every resolved address against the policy, and dials
// the allowed ones as IP literals, so the address checked is the address
// connected to (a DNS answer that changes between check and dial — DNS
// rebinding — cannot slip through). A Control hook re-checks the socket
// address just before connect as a second line of defence.
//
// The zero value is usable: public addresses only, net.DefaultResolver, a
// 10 second connect timeout. A Dialer is safe for concurrent use; do not
// change its fields while it is in use.
type Dialer struct {
	// Policy says which addresses are allowed.
	Policy Policy
	// Resolver looks host names up; nil means net.DefaultResolver.
	Resolver Resolver
	// Timeout bounds each connect attempt; 0 means 10 seconds.
	Timeout time.Duration
	// KeepAlive is the TCP keep-alive period; 0 means 30 seconds, negative
	// disables keep-alives.
	KeepAlive time.Duration
}

// DefaultTimeout is the connect timeout of a zero Dialer.
const DefaultTimeout = 10 * time.Second

// DialContext connects to addr ("host:port") over network ("tcp", "tcp4"
// or "tcp6"). When the host resolves to several addresses, refused ones are
// skipped and the allowed ones tried in order; when none is allowed, the
// error is a *BlockedError for the first one (wrapping ErrBlocked), and
// nothing is connected. Every other failure is a *net.OpError with Op
// "dial", as net.Dialer returns (a failed lookup wraps a *net.DNSError), so
// callers tell "nothing was sent" the usual way; messages carry no package
// prefix of their own.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError(network)}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	ips, err := d.resolve(ctx, network, host)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	var allowed []netip.Addr
	var firstBlocked error
	for _, ip := range ips {
		if err := d.Policy.Check(host, ip); err != nil {
			if firstBlocked == nil {
				firstBlocked = err
			}
			continue
		}
		allowed = append(allowed, ip.WithZone(""))
	}
	if len(allowed) == 0 {
		if firstBlocked != nil {
			return nil, firstBlocked
		}
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no address", Name: host, IsNotFound: true}}
	}
	nd := &net.Dialer{
		Timeout:   d.Timeout,
		KeepAlive: d.KeepAlive,
		Control:   d.control,
	}
	if nd.Timeout == 0 {
		nd.Timeout = DefaultTimeout
	}
	var lastErr error
	for _, ip := range allowed {
		conn, err := nd.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// resolve returns the addresses of host: the literal itself, or a lookup.
func (d *Dialer) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	if host == "" {
		return nil, &net.DNSError{Err: "empty host name", Name: host, IsNotFound: true}
	}
	var r Resolver = net.DefaultResolver
	if d.Resolver != nil {
		r = d.Resolver
	}
	ipNet := "ip"
	switch network {
	case "tcp4":
		ipNet = "ip4"
	case "tcp6":
		ipNet = "ip6"
	}
	ips, err := r.LookupNetIP(ctx, ipNet, strings.TrimSuffix(host, "."))
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return nil, err // it names the host already
		}
		return nil, fmt.Errorf("lookup %s: %w", host, err)
	}
	return ips, nil
}

// control re-checks the address the socket is about to connect to.
func (d *Dialer) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("unexpected dial address %q: %w", address, err)
	}
	return d.Policy.Check("", ap.Addr())
}
