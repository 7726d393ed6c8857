//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package wsman

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bindExclusive binds a socket without SO_REUSEADDR to addr, as a server
// that wants the port to itself does: it fails while anything holds it.
func bindExclusive(t *testing.T, addr string) error {
	t.Helper()
	ap := netip.MustParseAddrPort(addr)
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Close(fd) }()
	return syscall.Bind(fd, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()})
}

func TestHoldPort(t *testing.T) {
	h, err := HoldPort("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h.Addr(), "127.0.0.1:") || strings.HasSuffix(h.Addr(), ":0") {
		t.Fatalf("Addr() = %q, want 127.0.0.1 and the port bound", h.Addr())
	}
	if _, err := net.DialTimeout("tcp", h.Addr(), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial a held port: %v, want connection refused", err)
	}
	if err := bindExclusive(t, h.Addr()); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("bind a held port: %v, want address in use", err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := bindExclusive(t, h.Addr()); err != nil {
		t.Fatalf("bind a port let go: %v", err)
	}
	if _, err := HoldPort("NODE2:5986"); err == nil {
		t.Fatal("HoldPort of a host name: no error")
	}
}

// An unreachable endpoint holds both its ports and lets them go when it
// listens again or closes.
func TestReachabilityHoldsPorts(t *testing.T) {
	l := newLab(t, nil)
	if err := l.ep.SetReachable(false); err != nil {
		t.Fatal(err)
	}
	held := map[string]bool{}
	for _, h := range l.ep.holds {
		held[h.Addr()] = true
	}
	for _, u := range []string{l.ep.HTTPURL(), l.ep.HTTPSURL()} {
		addr := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://"), "/wsman")
		if !held[addr] {
			t.Errorf("%s not held while unreachable (held: %v)", addr, held)
		}
	}
	if err := l.ep.SetReachable(true); err != nil {
		t.Fatal(err)
	}
	if len(l.ep.holds) != 0 {
		t.Fatalf("%d ports still held while reachable", len(l.ep.holds))
	}
	_ = l.ep.SetReachable(false)
	_ = l.ep.Close()
	if len(l.ep.holds) != 0 {
		t.Fatalf("%d ports still held after Close", len(l.ep.holds))
	}
}
