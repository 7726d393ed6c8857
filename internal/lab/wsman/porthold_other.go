//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package wsman

import "net"

// PortHold, where a socket cannot be bound without listening, only names a
// port that was free: another socket may take it.
type PortHold struct{ addr string }

// HoldPort finds addr's port free (port 0 picks one) and lets it go.
func HoldPort(addr string) (*PortHold, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	return &PortHold{addr: ln.Addr().String()}, nil
}

// Addr is the port's host:port.
func (h *PortHold) Addr() string { return h.addr }

// Close does nothing.
func (h *PortHold) Close() error { return nil }
