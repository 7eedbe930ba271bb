// Package netsafe keeps outbound connections away from addresses an ITSM
// URL must never reach: cloud metadata endpoints (where instance
// credentials live), link-local, unspecified, multicast and reserved
// addresses — always — and loopback and private networks unless the policy
// allows them (on-prem ITSMs live on private networks; tests on loopback).
//
// The check is made on the resolved address at dial time: [Dialer] resolves
// the host itself, checks every address with [Policy.Check], and connects to
// the allowed addresses as IP literals, so a DNS answer that changes between
// a check and the connect (DNS rebinding) cannot bypass it. A socket Control
// hook checks once more just before connect.
//
// [Classify] maps an address to its [Class]; IPv4-mapped IPv6
// (::ffff:169.254.169.254) and NAT64 (64:ff9b::a9fe:a9fe) addresses are
// classified by the IPv4 address they reach.
//
// Host-name rules (allow-lists) are the caller's: a dial only sees the
// address, and through a proxy it only sees the proxy.
package netsafe
