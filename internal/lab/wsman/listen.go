package wsman

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// Endpoint is a handler served on an HTTP and/or an HTTPS listener that can
// be made unreachable and reachable again on the same ports.
type Endpoint struct {
	handler   http.Handler
	tlsConf   *tls.Config
	mu        sync.Mutex
	httpAddr  string // resolved host:port, "" when not served
	httpsAddr string
	servers   []*http.Server
	listeners []net.Listener
	holds     []*PortHold // the ports kept while unreachable
	reachable bool
	closed    bool
}

// Listen serves h on httpAddr (plain HTTP) and httpsAddr (TLS with tlsConf);
// either may be "" to skip it, and a port of 0 picks a free port.
func Listen(h http.Handler, httpAddr, httpsAddr string, tlsConf *tls.Config) (*Endpoint, error) {
	if httpsAddr != "" && tlsConf == nil {
		return nil, errors.New("wsman: an HTTPS listener needs a TLS configuration")
	}
	e := &Endpoint{handler: h, httpAddr: httpAddr, httpsAddr: httpsAddr}
	if tlsConf != nil {
		e.tlsConf = tlsConf.Clone()
		// NTLM authenticates a connection, so HTTP/2 is never offered.
		e.tlsConf.NextProtos = []string{"http/1.1"}
	}
	if err := e.SetReachable(true); err != nil {
		return nil, err
	}
	return e, nil
}

// HTTPURL is the plain HTTP URL of the endpoint, "" when not served.
func (e *Endpoint) HTTPURL() string { return e.url("http", e.httpAddr) }

// HTTPSURL is the HTTPS URL of the endpoint, "" when not served.
func (e *Endpoint) HTTPSURL() string { return e.url("https", e.httpsAddr) }

func (e *Endpoint) url(scheme, addr string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if addr == "" {
		return ""
	}
	return scheme + "://" + addr + "/wsman"
}

// SetReachable(false) closes the listeners and every open connection and
// holds the ports, so clients get "connection refused" and no other server
// takes them meanwhile; SetReachable(true) listens again on the same ports.
func (e *Endpoint) SetReachable(reachable bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errors.New("wsman: endpoint closed")
	}
	if reachable == e.reachable {
		return nil
	}
	if !reachable {
		e.stop()
		return nil
	}
	e.release()
	var lns []net.Listener
	listen := func(addr *string) error {
		if *addr == "" {
			return nil
		}
		var ln net.Listener
		var err error
		// A port just released may take a moment to be free again.
		for try := 0; try < 50; try++ {
			if ln, err = net.Listen("tcp", *addr); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			return err
		}
		*addr = ln.Addr().String()
		lns = append(lns, ln)
		return nil
	}
	if err := listen(&e.httpAddr); err != nil {
		return err
	}
	if err := listen(&e.httpsAddr); err != nil {
		for _, ln := range lns {
			_ = ln.Close()
		}
		return err
	}
	for i, ln := range lns {
		srv := e.newServer()
		if i == len(lns)-1 && e.httpsAddr != "" {
			ln = tls.NewListener(ln, e.tlsConf)
		}
		e.servers = append(e.servers, srv)
		e.listeners = append(e.listeners, ln)
		go func() { _ = srv.Serve(ln) }()
	}
	e.reachable = true
	return nil
}

func (e *Endpoint) newServer() *http.Server {
	srv := &http.Server{
		Handler:           e.handler,
		ReadHeaderTimeout: 30 * time.Second,
		// Clients that give up mid-handshake are normal here (reachability
		// tests, dropped connections), not worth a log line.
		ErrorLog:     log.New(io.Discard, "", 0),
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	if cc, ok := e.handler.(interface{ ConnClosed(string) }); ok {
		srv.ConnState = func(c net.Conn, s http.ConnState) {
			if s == http.StateClosed || s == http.StateHijacked {
				cc.ConnClosed(c.RemoteAddr().String())
			}
		}
	}
	return srv
}

func (e *Endpoint) stop() {
	// Close the listeners here too: a server whose Serve has not started yet
	// would leave its listener open, and clients would be reset instead of
	// refused.
	for _, ln := range e.listeners {
		_ = ln.Close()
	}
	for _, srv := range e.servers {
		_ = srv.Close()
	}
	e.servers, e.listeners = nil, nil
	e.reachable = false
	if e.closed {
		return
	}
	for _, addr := range []string{e.httpAddr, e.httpsAddr} {
		if addr == "" {
			continue
		}
		// A port that cannot be held is only unguarded, still refused.
		if h, err := HoldPort(addr); err == nil {
			e.holds = append(e.holds, h)
		}
	}
}

func (e *Endpoint) release() {
	for _, h := range e.holds {
		_ = h.Close()
	}
	e.holds = nil
}

// Close stops serving for good.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	e.stop()
	e.release()
	return nil
}
