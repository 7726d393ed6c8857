package lab

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

// The cluster's web sites: one HTTP listener on loopback per virtual
// server address (the groups' IP addresses that have a W3SVC IIS Server
// Instance), answering as the world says (world.ServeWeb): from whichever
// node owns the group, only while the site's resource is online.

type siteServer struct {
	address string
	url     string
	srv     *http.Server
}

// startSites listens for each web address, on the ports after the control
// API's when PortBase is set.
func (l *Lab) startSites() error {
	for i, addr := range l.world.WebAddresses() {
		ln, err := net.Listen("tcp", l.addr(2*len(l.nodes)+1+i))
		if err != nil {
			return fmt.Errorf("lab: site %s: %w", addr, err)
		}
		s := &siteServer{address: addr, url: "http://" + ln.Addr().String()}
		s.srv = &http.Server{Handler: siteHandler{world: l.world, address: addr}, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = s.srv.Serve(ln) }()
		l.sites = append(l.sites, s)
	}
	return nil
}

// Sites maps each virtual server address to the URL the lab answers it on.
func (l *Lab) Sites() map[string]string {
	out := map[string]string{}
	for _, s := range l.sites {
		out[s.address] = s.url
	}
	return out
}

func (l *Lab) closeSites() {
	for _, s := range l.sites {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if s.srv.Shutdown(ctx) != nil {
			_ = s.srv.Close()
		}
		cancel()
	}
}

type siteHandler struct {
	world   *world.World
	address string
}

func (h siteHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp := h.world.ServeWeb(h.address, r.URL.Path)
	if !resp.Listening {
		// No listener: the client sees the connection go, as with a
		// refused one.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Server", "Microsoft-IIS/4.0")
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.Body)))
	if resp.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "NTLM")
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}
