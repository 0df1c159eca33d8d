package fetch

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// Allow is what EAAPL_HTTP_ALLOW lets through the guard although it is not public: host names (matched
// exactly, case aside, as the URL names them) and addresses or CIDR ranges (matched on the address dialled).
type Allow struct {
	hosts    map[string]bool
	prefixes []netip.Prefix
}

// ParseAllow reads a comma-separated list of host names, IP addresses and CIDR ranges, e.g.
// "status.example.test, 127.0.0.1, 10.1.0.0/16". Empty entries are ignored; a malformed one is an error
// naming it.
func ParseAllow(list string) (Allow, error) {
	a := Allow{hosts: map[string]bool{}}
	for _, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		switch {
		case entry == "":
		case strings.Contains(entry, "/"):
			p, err := netip.ParsePrefix(entry)
			if err != nil {
				return Allow{}, fmt.Errorf("EAAPL_HTTP_ALLOW entry %q: not a CIDR range such as 10.0.0.0/8", entry)
			}
			a.prefixes = append(a.prefixes, p.Masked())
		default:
			if ip, err := netip.ParseAddr(strings.Trim(entry, "[]")); err == nil {
				a.prefixes = append(a.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
				continue
			}
			if !validHost(entry) {
				return Allow{}, fmt.Errorf("EAAPL_HTTP_ALLOW entry %q: not a host name, address or CIDR range", entry)
			}
			a.hosts[normalHost(entry)] = true
		}
	}
	return a, nil
}

func normalHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

func validHost(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func (a Allow) host(h string) bool { return a.hosts[normalHost(h)] }

func (a Allow) addr(ip netip.Addr) bool {
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// BlockedError is a request the guard refused because the address it would reach is not public. Nothing
// was sent to it. Retrying cannot fix it; EAAPL_HTTP_ALLOW can.
type BlockedError struct {
	Host   string     // as the URL names it
	Addr   netip.Addr // the address it resolved to
	Reason string     // "a loopback address", ...
}

func (e *BlockedError) Error() string {
	what := e.Addr.String()
	if e.Host != "" && e.Host != what {
		what = fmt.Sprintf("%s (%s)", e.Host, e.Addr)
	}
	return fmt.Sprintf("refused to connect to %s: it is %s; add it to EAAPL_HTTP_ALLOW if this is meant", what, e.Reason)
}

// metadata are the addresses where clouds serve instance credentials.
var metadata = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack, ...
	netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	netip.MustParseAddr("169.254.170.2"),   // AWS ECS task credentials
}

// special are ranges that are not public besides those netip names.
var special = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `a "this network" address`},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// blockedReason says why ip is not a public address, or "" when it is.
func blockedReason(ip netip.Addr) string {
	ip = ip.Unmap()
	if nat64.Contains(ip) { // an IPv4 address reached through NAT64: judge the address inside
		b := ip.As16()
		return blockedReason(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	for _, m := range metadata {
		if ip == m {
			return "a cloud metadata address"
		}
	}
	switch {
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address"
	case ip.IsUnspecified():
		return "an unspecified address"
	case ip.IsMulticast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	for _, s := range special {
		if s.prefix.Contains(ip) {
			return s.reason
		}
	}
	return ""
}

// guardedDialer dials through net.Dialer with a Control function that sees each address after DNS, just
// before connect(2): every address tried, on the first request and on every redirect, is judged, so a
// name that resolves to 127.0.0.1 is refused like the literal address.
type guardedDialer struct {
	allow  Allow
	dialer net.Dialer
}

// DialContext is http.Transport's DialContext: addr is the URL's host:port, before DNS.
func (g *guardedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	d := g.dialer
	d.Control = g.control(host)
	return d.DialContext(ctx, network, addr)
}

// control returns the Control function for a dial of host (as the URL names it).
func (g *guardedDialer) control(host string) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if g.allow.host(host) {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("dial %s: unexpected address %q", host, address)
		}
		return g.allow.judge(host, ap.Addr().Unmap())
	}
}

// judge refuses ip, the address host (as the URL names it) resolved to, unless it is public or allowed:
// the one rule of the dialer and of CheckURL.
func (a Allow) judge(host string, ip netip.Addr) error {
	if a.host(host) || a.addr(ip) {
		return nil
	}
	if reason := blockedReason(ip); reason != "" {
		return &BlockedError{Host: host, Addr: ip, Reason: reason}
	}
	return nil
}
