package world

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// The web sites the cluster serves: each IIS Server Instance (W3SVC)
// resource that is online answers HTTP for its group's IP address, from
// whichever node owns the group, with the files of the instance's root on
// that node's metabase (the group's disk, mounted there). Anonymous access
// needs the instance's anonymous account to hold "Log on locally" and
// "Access this computer from network" on the serving node (401 otherwise).
// The lab package listens on loopback for each address (FORMATS.md, "Web
// sites").

// WebResponse is what a site answers; Listening false means no listener is
// there (the resource is not online): the connection is refused.
type WebResponse struct {
	Listening bool
	Status    int
	Body      []byte
	Node      string // the node that served it
}

// WebRequest is one request a site answered, for the request log.
type WebRequest struct {
	Seq     int       `json:"seq"`
	Address string    `json:"address"`
	Node    string    `json:"node"`
	Path    string    `json:"path"`
	Status  int       `json:"status"`
	Time    time.Time `json:"time"` // emulated clock
}

// WebAddresses are the IP addresses of the groups that have a W3SVC IIS
// Server Instance resource: the sites the lab listens for.
func (w *World) WebAddresses() []string {
	w.lock()
	defer w.unlock()
	seen := map[string]bool{}
	for _, r := range w.cluster.resources {
		if r.typ != typeIIS || !strings.EqualFold(orDefault(r.privateValue("ServiceName"), "W3SVC"), "W3SVC") {
			continue
		}
		for _, gr := range r.group.resources {
			if gr.typ == "IP Address" && gr.privateValue("Address") != "" {
				seen[gr.privateValue("Address")] = true
			}
		}
	}
	out := sortedKeys(seen)
	sort.Strings(out)
	return out
}

// SetSiteFault makes the site at address stop answering ("stop": no
// listener) or answer 500 ("500"); "" clears it.
func (w *World) SetSiteFault(address, mode string) error {
	if mode != "" && mode != "stop" && mode != "500" {
		return fmt.Errorf("site fault %q: want stop, 500 or empty", mode)
	}
	w.lock()
	defer w.unlock()
	if w.siteFaults == nil {
		w.siteFaults = map[string]string{}
	}
	if mode == "" {
		delete(w.siteFaults, address)
	} else {
		w.siteFaults[address] = mode
	}
	return nil
}

// ServeWeb answers GET urlPath on the site at address.
func (w *World) ServeWeb(address, urlPath string) WebResponse {
	w.lock()
	defer w.unlock()
	var ip *resource
	for _, r := range w.cluster.resources {
		if r.typ == "IP Address" && r.privateValue("Address") == address {
			ip = r
		}
	}
	if ip == nil || ip.state != resOnline || w.siteFaults[address] == "stop" {
		return WebResponse{}
	}
	var site *resource
	for _, r := range ip.group.resources {
		if r.typ == typeIIS && r.state == resOnline && strings.EqualFold(orDefault(r.privateValue("ServiceName"), "W3SVC"), "W3SVC") {
			site = r
		}
	}
	if site == nil {
		return WebResponse{}
	}
	n := ip.group.owner
	resp := w.serve(n, site, urlPath)
	resp.Listening, resp.Node = true, n.name
	if w.siteFaults[address] == "500" {
		resp.Status, resp.Body = 500, []byte("<html><body>500 Internal Server Error</body></html>")
	}
	w.seq++
	w.webLog = append(w.webLog, WebRequest{Seq: w.seq, Address: address, Node: n.name, Path: urlPath, Status: resp.Status, Time: w.now()})
	return resp
}

func (w *World) serve(n *node, site *resource, urlPath string) WebResponse {
	id := orDefault(site.privateValue("InstanceId"), "1")
	var in *mbInstance
	for _, x := range n.mb.instances {
		if x.service == "W3SVC" && fmt.Sprint(x.id) == id {
			in = x
		}
	}
	if in == nil {
		return WebResponse{Status: 404, Body: []byte("<html><body>404 Object Not Found</body></html>")}
	}
	anon := orDefault(in.anonUser, n.mb.w3AnonUser)
	if !w.anonymousAllowed(n, anon) {
		return WebResponse{Status: 401, Body: []byte("<html><body>401 Access Denied</body></html>")}
	}
	p := path.Clean("/" + urlPath)
	if p == "/" {
		p = "/default.htm"
	}
	data, err := n.fs.ReadFile(strings.TrimRight(in.root, `\`) + strings.ReplaceAll(p, "/", `\`))
	if err != nil {
		return WebResponse{Status: 404, Body: []byte("<html><body>404 Object Not Found</body></html>")}
	}
	return WebResponse{Status: 200, Body: data}
}

// anonymousAllowed reports whether acct can log on anonymously on n: it
// resolves there and holds both logon rights.
func (w *World) anonymousAllowed(n *node, acct string) bool {
	name, ok := w.resolveAccount(n, acct)
	if !ok {
		return false
	}
	return containsFold(n.acct.rights[rightInteractive], name) && containsFold(n.acct.rights[rightNetwork], name)
}
