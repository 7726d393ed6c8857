package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

// maxFaultBody bounds a POST /faults body; a fault is a few hundred bytes.
const maxFaultBody = 1 << 20

// controlServer serves the control API (see README.md) on its own listener.
type controlServer struct {
	world *world.World
	srv   *http.Server
	url   string
}

func startControl(w *world.World, addr string) (*controlServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lab: control API: %w", err)
	}
	c := &controlServer{world: w, url: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /state", c.state)
	mux.HandleFunc("GET /incidents", c.incidents)
	mux.HandleFunc("GET /commands", c.commands)
	mux.HandleFunc("GET /commands/count", c.commandCount)
	mux.HandleFunc("POST /faults", c.addFaults)
	mux.HandleFunc("DELETE /faults", c.clearFaults)
	mux.HandleFunc("POST /nodes/{name}/reboot", c.nodeAction(c.world.Reboot, http.StatusAccepted))
	mux.HandleFunc("POST /nodes/{name}/corrupt-iis", c.nodeAction(c.world.CorruptIIS, http.StatusNoContent))
	mux.HandleFunc("POST /sites/{address}/fault", c.siteFault)
	mux.HandleFunc("POST /nodes/{name}/rebuild", c.nodeAction(c.world.RebuildNode, http.StatusNoContent))
	c.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

func (c *controlServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c.srv.Shutdown(ctx) != nil {
		_ = c.srv.Close()
	}
}

func (c *controlServer) state(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, c.world.State())
}

func (c *controlServer) incidents(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, nonNil(c.world.Incidents()))
}

func (c *controlServer) commands(w http.ResponseWriter, r *http.Request) {
	node := r.URL.Query().Get("node")
	if node != "" {
		name, ok := c.nodeName(node)
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Errorf("no node %q in this lab", node))
			return
		}
		node = name
	}
	log := c.world.Commands(node)
	if v := r.URL.Query().Get("from"); v != "" {
		// A test's checks read what a step ran, past a mark: the log of a
		// whole recovery need not go over the wire each time.
		from, err := strconv.Atoi(v)
		if err != nil || from < 0 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("from=%q: want a count of records, 0 or more", v))
			return
		}
		log = log[min(from, len(log)):]
	}
	writeJSON(w, http.StatusOK, nonNil(log))
}

func (c *controlServer) commandCount(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, commandCount{Count: c.world.CommandCount()})
}

// commandCount answers GET /commands/count.
type commandCount struct {
	Count int `json:"count"`
}

// addFaults takes one fault object or an array of them. Faults are added in
// order; when one is rejected, the ones before it stay in force and the error
// says which one failed.
func (c *controlServer) addFaults(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFaultBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	faults, err := decodeFaults(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	for i, f := range faults {
		if err := c.world.AddFault(f); err != nil {
			if len(faults) > 1 {
				err = fmt.Errorf("fault %d (the ones before it were added): %w", i, err)
			}
			writeError(w, http.StatusBadRequest, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// decodeFaults parses a fault object or an array of fault objects, rejecting
// unknown fields so a misspelt one is an error rather than a silent default.
func decodeFaults(body []byte) ([]world.Fault, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, errors.New("empty body: want a fault object or an array of them")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	var faults []world.Fault
	if trimmed[0] == '[' {
		if err := dec.Decode(&faults); err != nil {
			return nil, fmt.Errorf("bad fault array: %w", err)
		}
	} else {
		var f world.Fault
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("bad fault object: %w", err)
		}
		faults = []world.Fault{f}
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	if len(faults) == 0 {
		return nil, errors.New("empty fault array")
	}
	return faults, nil
}

func (c *controlServer) clearFaults(w http.ResponseWriter, _ *http.Request) {
	c.world.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

// nodeAction serves POST /nodes/{name}/...: act on the node (404 for an
// unknown one, 409 when act refuses), answering ok.
func (c *controlServer) nodeAction(act func(node string) error, ok int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, found := c.nodeName(r.PathValue("name"))
		if !found {
			writeError(w, http.StatusNotFound, fmt.Errorf("no node %q in this lab", r.PathValue("name")))
			return
		}
		if err := act(name); err != nil {
			writeError(w, http.StatusConflict, err)
			return
		}
		w.WriteHeader(ok)
	}
}

// siteFault is POST /sites/{address}/fault {"mode": "stop" | "500" | ""}.
func (c *controlServer) siteFault(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Mode string `json:"mode"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if err := c.world.SetSiteFault(r.PathValue("address"), body.Mode); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// nodeName resolves a node name case-insensitively, as Windows names are.
func (c *controlServer) nodeName(name string) (string, bool) {
	for _, n := range c.world.NodeNames() {
		if strings.EqualFold(n, name) {
			return n, true
		}
	}
	return "", false
}

// nonNil makes an empty log encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, errorBody{Error: err.Error()})
}

// writeJSON answers compact JSON: the tests poll the state and the command log
// many times a run, and indenting doubled what encoding them cost (pipe an
// answer through `jq .` to read it).
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data, _ = json.Marshal(errorBody{Error: err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// Control is a client of a lab's control API, in this process or another
// (point URL at the ready file's control_url).
type Control struct {
	URL string
}

var controlHTTP = &http.Client{Timeout: 30 * time.Second}

// State returns the whole world as GET /state gives it.
func (c Control) State() (world.Snapshot, error) {
	var state world.Snapshot
	err := c.do(http.MethodGet, "/state", nil, &state)
	return state, err
}

// Incidents returns the incident log.
func (c Control) Incidents() ([]world.Incident, error) {
	var incidents []world.Incident
	err := c.do(http.MethodGet, "/incidents", nil, &incidents)
	return incidents, err
}

// Commands returns node's command log, or every node's when node is "".
func (c Control) Commands(node string) ([]world.CommandRecord, error) {
	return c.CommandsFrom(node, 0)
}

// CommandsFrom returns node's command log (every node's when node is "")
// after its first from records.
func (c Control) CommandsFrom(node string, from int) ([]world.CommandRecord, error) {
	q := url.Values{}
	if node != "" {
		q.Set("node", node)
	}
	if from > 0 {
		q.Set("from", strconv.Itoa(from))
	}
	path := "/commands"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var records []world.CommandRecord
	err := c.do(http.MethodGet, path, nil, &records)
	return records, err
}

// CommandCount returns how many commands every node has logged so far.
func (c Control) CommandCount() (int, error) {
	var n commandCount
	err := c.do(http.MethodGet, "/commands/count", nil, &n)
	return n.Count, err
}

// AddFault injects faults; they stay until ClearFaults or until their Count
// is used up.
func (c Control) AddFault(faults ...world.Fault) error {
	if len(faults) == 0 {
		return nil
	}
	return c.do(http.MethodPost, "/faults", faults, nil)
}

// ClearFaults removes every injected fault.
func (c Control) ClearFaults() error {
	return c.do(http.MethodDelete, "/faults", nil, nil)
}

// Reboot reboots a node as `shutdown /r` on it would.
func (c Control) Reboot(node string) error {
	return c.do(http.MethodPost, "/nodes/"+url.PathEscape(node)+"/reboot", nil, nil)
}

// RebuildNode reinstalls a node from scratch (a fresh NT install, rejoined),
// as POST /nodes/{name}/rebuild does; the node must own no group.
func (c Control) RebuildNode(node string) error {
	return c.do(http.MethodPost, "/nodes/"+url.PathEscape(node)+"/rebuild", nil, nil)
}

// SiteFault makes the web site at address stop answering ("stop") or answer
// 500 ("500"); "" clears it.
func (c Control) SiteFault(address, mode string) error {
	return c.do(http.MethodPost, "/sites/"+url.PathEscape(address)+"/fault", map[string]string{"mode": mode}, nil)
}

// CorruptIIS damages a node's Option Pack install out of band (its IIS
// services die), as POST /nodes/{name}/corrupt-iis does.
func (c Control) CorruptIIS(node string) error {
	return c.do(http.MethodPost, "/nodes/"+url.PathEscape(node)+"/corrupt-iis", nil, nil)
}

func (c Control) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, strings.TrimRight(c.URL, "/")+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := controlHTTP.Do(req)
	if err != nil {
		return fmt.Errorf("lab control: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("lab control: %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e errorBody
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("lab control: %s %s: %s: %s", method, path, resp.Status, e.Error)
		}
		return fmt.Errorf("lab control: %s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("lab control: %s %s: %w", method, path, err)
	}
	return nil
}
