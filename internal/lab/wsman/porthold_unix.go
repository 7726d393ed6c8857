//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package wsman

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// PortHold is a TCP socket bound to a port without listening on it:
// connections to the port are refused, as to a port nobody uses, but the
// kernel never hands the port to another socket that asks for any free port
// (a test's listener, a client's source port). Without it, a port let go for
// "unreachable" can be taken by a parallel test's server, and a client that
// expects "connection refused" reaches that server instead.
type PortHold struct {
	fd   int
	addr string
}

// HoldPort binds addr (an IP literal and a port; port 0 picks a free one).
func HoldPort(addr string) (*PortHold, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("wsman: hold port %s: %w", addr, err)
	}
	var sa syscall.Sockaddr
	domain := syscall.AF_INET
	if ap.Addr().Is4() {
		sa = &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	} else {
		domain = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	syscall.ForkLock.RLock()
	fd, err := syscall.Socket(domain, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("wsman: hold port %s: %w", addr, err)
	}
	// SO_REUSEADDR as Go's listeners set it: the port's connections may
	// still be in TIME_WAIT, and the endpoint listens on it again later.
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("wsman: hold port %s: %w", addr, err)
	}
	if err := syscall.Bind(fd, sa); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("wsman: hold port %s: %w", addr, err)
	}
	bound, err := syscall.Getsockname(fd)
	if err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("wsman: hold port %s: %w", addr, err)
	}
	port := 0
	switch s := bound.(type) {
	case *syscall.SockaddrInet4:
		port = s.Port
	case *syscall.SockaddrInet6:
		port = s.Port
	}
	return &PortHold{fd: fd, addr: net.JoinHostPort(ap.Addr().String(), fmt.Sprint(port))}, nil
}

// Addr is the held host:port.
func (h *PortHold) Addr() string { return h.addr }

// Close lets the port go.
func (h *PortHold) Close() error { return syscall.Close(h.fd) }
