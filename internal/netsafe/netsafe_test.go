package netsafe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		want Class
	}{
		{"8.8.8.8", Public},
		{"1.1.1.1", Public},
		{"2606:4700:4700::1111", Public},
		{"10.0.0.1", Private},
		{"10.255.255.255", Private},
		{"172.16.0.1", Private},
		{"172.31.255.255", Private},
		{"172.32.0.1", Public},
		{"192.168.1.1", Private},
		{"100.64.0.1", Private},
		{"100.127.255.255", Private},
		{"100.128.0.1", Public},
		{"fc00::1", Private},
		{"fd12:3456::1", Private},
		{"127.0.0.1", Loopback},
		{"127.1.2.3", Loopback},
		{"::1", Loopback},
		{"::ffff:127.0.0.1", Loopback},
		{"169.254.1.1", LinkLocal},
		{"fe80::1", LinkLocal},
		{"fe80::1%eth0", LinkLocal},
		{"169.254.169.254", Metadata},
		{"::ffff:169.254.169.254", Metadata},
		{"::ffff:a9fe:a9fe", Metadata},
		{"64:ff9b::a9fe:a9fe", Metadata},
		{"64:ff9b::7f00:1", Loopback},
		{"64:ff9b::808:808", Public},
		{"64:ff9b:1::a9fe:a9fe", Metadata},
		{"fd00:ec2::254", Metadata},
		{"100.100.100.200", Metadata},
		{"169.254.170.2", Metadata},
		{"168.63.129.16", Metadata},
		{"0.0.0.0", Unspecified},
		{"::", Unspecified},
		{"0.1.2.3", Reserved},
		{"255.255.255.255", Reserved},
		{"240.0.0.1", Reserved},
		{"192.0.2.1", Reserved},
		{"::127.0.0.1", Reserved}, // IPv4-compatible
		{"2001:db8::1", Reserved},
		{"224.0.0.1", Multicast},
		{"239.1.2.3", Multicast},
		{"ff02::1", Multicast},
		{"ff0e::1", Multicast},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.addr)
			assert.Equal(t, tt.want, Classify(ip), "Classify(%s) = %s", tt.addr, Classify(ip))
		})
	}
	assert.Equal(t, Invalid, Classify(netip.Addr{}))
}

func TestClassString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "cloud metadata", Metadata.String())
	assert.Equal(t, "link-local", LinkLocal.String())
	assert.Equal(t, "class(200)", Class(200).String())
}

func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy Policy
		addr   string
		ok     bool
	}{
		{"public default", Policy{}, "8.8.8.8", true},
		{"private default", Policy{}, "10.1.2.3", false},
		{"private allowed", Policy{AllowPrivate: true}, "10.1.2.3", true},
		{"loopback default", Policy{}, "127.0.0.1", false},
		{"loopback with private only", Policy{AllowPrivate: true}, "127.0.0.1", false},
		{"loopback allowed", Policy{AllowLoopback: true}, "::1", true},
		{"private with loopback only", Policy{AllowLoopback: true}, "192.168.0.1", false},
		{"metadata always", Policy{AllowPrivate: true, AllowLoopback: true}, "169.254.169.254", false},
		{"mapped metadata always", Policy{AllowPrivate: true, AllowLoopback: true}, "::ffff:169.254.169.254", false},
		{"aws v6 metadata always", Policy{AllowPrivate: true, AllowLoopback: true}, "fd00:ec2::254", false},
		{"alibaba always", Policy{AllowPrivate: true, AllowLoopback: true}, "100.100.100.200", false},
		{"link-local always", Policy{AllowPrivate: true, AllowLoopback: true}, "fe80::1", false},
		{"unspecified always", Policy{AllowPrivate: true, AllowLoopback: true}, "0.0.0.0", false},
		{"multicast always", Policy{AllowPrivate: true, AllowLoopback: true}, "224.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check("", netip.MustParseAddr(tt.addr))
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrBlocked)
			var be *BlockedError
			require.ErrorAs(t, err, &be)
			assert.Contains(t, err.Error(), be.Addr.String())
		})
	}
}

// mapResolver answers from a map and counts lookups.
type mapResolver struct {
	m     map[string][]string
	calls atomic.Int32
}

func (r *mapResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	r.calls.Add(1)
	v, ok := r.m[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, s := range v {
		ip := netip.MustParseAddr(s)
		if network == "ip4" && !ip.Is4() || network == "ip6" && !ip.Is6() {
			continue
		}
		out = append(out, ip)
	}
	return out, nil
}

// listener starts a loopback TCP listener counting accepted connections.
func listener(t *testing.T) (port string, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	accepted = new(atomic.Int32)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = c.Close()
		}
	}()
	_, port, err = net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)
	return port, accepted
}

func TestDialer(t *testing.T) {
	t.Parallel()
	port, _ := listener(t)
	res := &mapResolver{m: map[string][]string{
		"metadata.test": {"169.254.169.254"},
		"local.test":    {"127.0.0.1"},
		"mixed.test":    {"169.254.169.254", "127.0.0.1"},
		"private.test":  {"10.0.0.1"},
		"mapped.test":   {"::ffff:169.254.169.254"},
		"empty.test":    {},
	}}
	tests := []struct {
		name    string
		policy  Policy
		addr    string
		wantErr error // nil: connects
		class   Class
	}{
		{"metadata literal", Policy{AllowPrivate: true, AllowLoopback: true}, "169.254.169.254:80", ErrBlocked, Metadata},
		{"metadata by name", Policy{AllowPrivate: true, AllowLoopback: true}, "metadata.test:80", ErrBlocked, Metadata},
		{"mapped metadata by name", Policy{AllowPrivate: true, AllowLoopback: true}, "mapped.test:80", ErrBlocked, Metadata},
		{"mapped metadata literal", Policy{AllowPrivate: true, AllowLoopback: true}, "[::ffff:169.254.169.254]:80", ErrBlocked, Metadata},
		{"loopback refused", Policy{}, "127.0.0.1:" + port, ErrBlocked, Loopback},
		{"loopback by name refused", Policy{AllowPrivate: true}, "local.test:" + port, ErrBlocked, Loopback},
		{"private by name refused", Policy{AllowLoopback: true}, "private.test:80", ErrBlocked, Private},
		{"unspecified refused", Policy{AllowPrivate: true, AllowLoopback: true}, "0.0.0.0:" + port, ErrBlocked, Unspecified},
		{"loopback allowed", Policy{AllowLoopback: true}, "127.0.0.1:" + port, nil, 0},
		{"loopback by name allowed", Policy{AllowLoopback: true}, "local.test:" + port, nil, 0},
		{"trailing dot", Policy{AllowLoopback: true}, "local.test.:" + port, nil, 0},
		{"mixed answer skips blocked", Policy{AllowLoopback: true}, "mixed.test:" + port, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Dialer{Policy: tt.policy, Resolver: res}
			conn, err := d.DialContext(context.Background(), "tcp", tt.addr)
			if tt.wantErr == nil {
				require.NoError(t, err)
				_ = conn.Close()
				return
			}
			require.Error(t, err)
			assert.Nil(t, conn)
			assert.ErrorIs(t, err, tt.wantErr)
			var be *BlockedError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, tt.class, be.Class)
		})
	}

	t.Run("no connect attempt for a blocked address", func(t *testing.T) {
		port, accepted := listener(t)
		d := &Dialer{Policy: Policy{}, Resolver: res}
		_, err := d.DialContext(context.Background(), "tcp", "local.test:"+port)
		require.ErrorIs(t, err, ErrBlocked)
		assert.Equal(t, int32(0), accepted.Load())
	})
	t.Run("lookup failure", func(t *testing.T) {
		d := &Dialer{Resolver: res}
		_, err := d.DialContext(context.Background(), "tcp", "nowhere.test:80")
		require.Error(t, err)
		assert.NotErrorIs(t, err, ErrBlocked)
		var dnsErr *net.DNSError
		assert.ErrorAs(t, err, &dnsErr)
	})
	t.Run("empty answer", func(t *testing.T) {
		d := &Dialer{Resolver: res}
		_, err := d.DialContext(context.Background(), "tcp", "empty.test:80")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "no address")
	})
	t.Run("bad inputs", func(t *testing.T) {
		d := &Dialer{Resolver: res}
		for _, c := range []struct{ network, addr string }{
			{"udp", "127.0.0.1:53"},
			{"tcp", "no-port"},
			{"tcp", ":80"},
		} {
			_, err := d.DialContext(context.Background(), c.network, c.addr)
			assert.Error(t, err, "%s %s", c.network, c.addr)
		}
	})
	t.Run("tcp4 filters v6", func(t *testing.T) {
		r := &mapResolver{m: map[string][]string{"dual.test": {"::1", "127.0.0.1"}}}
		d := &Dialer{Policy: Policy{AllowLoopback: true}, Resolver: r}
		conn, err := d.DialContext(context.Background(), "tcp4", "dual.test:"+port)
		require.NoError(t, err)
		_ = conn.Close()
	})
}

func TestControlRechecks(t *testing.T) {
	t.Parallel()
	d := &Dialer{Policy: Policy{}}
	assert.ErrorIs(t, d.control("tcp4", "169.254.169.254:80", nil), ErrBlocked)
	assert.ErrorIs(t, d.control("tcp4", "127.0.0.1:80", nil), ErrBlocked)
	assert.NoError(t, d.control("tcp4", "8.8.8.8:443", nil))
	assert.Error(t, d.control("tcp4", "garbage", nil))
	var _ func(string, string, syscall.RawConn) error = d.control
}

func TestBlockedErrorMessage(t *testing.T) {
	t.Parallel()
	e := &BlockedError{Host: "metadata.test", Addr: netip.MustParseAddr("169.254.169.254"), Class: Metadata}
	assert.Equal(t, "netsafe: metadata.test resolves to cloud metadata address 169.254.169.254, which is not allowed", e.Error())
	e.Host = ""
	assert.Equal(t, "netsafe: cloud metadata address 169.254.169.254 is not allowed", e.Error())
	assert.True(t, errors.Is(e, ErrBlocked))
}

// TestCheckNamesIPv4Plainly: an IPv4 address reached as IPv4-mapped IPv6
// (how the dialer sees a name resolving to 127.0.0.1) is named as IPv4.
func TestCheckNamesIPv4Plainly(t *testing.T) {
	t.Parallel()
	err := Policy{}.Check("vm", netip.MustParseAddr("::ffff:127.0.0.1"))
	var be *BlockedError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, "127.0.0.1", be.Addr.String())
	assert.Equal(t, "netsafe: vm resolves to loopback address 127.0.0.1, which is not allowed", err.Error())
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "fd00:ec2::254", "fe80::1%eth0", "10.0.0.1", "8.8.8.8", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return
		}
		c := Classify(ip)
		// The mapped and unmapped forms agree.
		if ip.Is4() {
			mapped := netip.AddrFrom16(ip.As16())
			if Classify(mapped) != c {
				t.Fatalf("%s: %s vs mapped %s", s, c, Classify(mapped))
			}
		}
		// Always-refused classes stay refused under the most open policy.
		open := Policy{AllowPrivate: true, AllowLoopback: true}
		err = open.Check("", ip)
		switch c {
		case Public, Private, Loopback:
			if err != nil {
				t.Fatalf("%s (%s) refused by open policy: %v", s, c, err)
			}
		default:
			if err == nil {
				t.Fatalf("%s (%s) allowed", s, c)
			}
		}
		// Link-local IPv4 is never public.
		if ip.Unmap().Is4() && netip.MustParsePrefix("169.254.0.0/16").Contains(ip.Unmap()) && c != LinkLocal && c != Metadata {
			t.Fatalf("%s classified %s", s, c)
		}
	})
}

func ExampleClassify() {
	for _, s := range []string{"169.254.169.254", "::ffff:10.0.0.1", "8.8.8.8"} {
		fmt.Println(s, Classify(netip.MustParseAddr(s)))
	}
	// Output:
	// 169.254.169.254 cloud metadata
	// ::ffff:10.0.0.1 private
	// 8.8.8.8 public
}

func BenchmarkClassify(b *testing.B) {
	addrs := []netip.Addr{
		netip.MustParseAddr("8.8.8.8"),
		netip.MustParseAddr("::ffff:169.254.169.254"),
		netip.MustParseAddr("2606:4700:4700::1111"),
		netip.MustParseAddr("10.1.2.3"),
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = Classify(addrs[i%len(addrs)])
		i++
	}
}
