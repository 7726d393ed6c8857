package wsman

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"
)

// shell is one open cmd shell (rsp:Shell).
type shell struct {
	id, user, owner  string // owner is the quota key: the bare account name
	workingDirectory string
	idleTimeout      time.Duration // the requested IdleTimeOut, else the server's
	env              map[string]string
	ctx              context.Context
	cancel           context.CancelFunc
	lastUsed         time.Time                // guarded by shells.mu
	operations       int                      // commands started; guarded by shells.mu
	commands         map[string]*shellCommand // guarded by shells.mu
}

// shellCommand is one running or finished rsp:Command of a shell.
type shellCommand struct {
	id     string
	cancel context.CancelFunc
	stdin  *stdinBuffer

	mu             sync.Mutex
	stdout, stderr bytes.Buffer // produced, not yet received
	done           bool
	exitCode       int
	changed        chan struct{} // closed and replaced whenever output or state changes
	// loseAnswer: the answer that carries the end is to be lost
	// (Command.LoseAnswer); cleared once it is.
	loseAnswer bool
}

func (c *shellCommand) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// streamWriter appends one output stream of a command.
type streamWriter struct {
	c      *shellCommand
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	if w.c.done {
		return 0, io.ErrClosedPipe
	}
	if w.stderr {
		w.c.stderr.Write(p)
	} else {
		w.c.stdout.Write(p)
	}
	w.c.notify()
	return len(p), nil
}

// stdinBuffer is the rsp:Send data of a command: Read blocks until data
// arrives, End="true" was sent, or the command is cancelled.
type stdinBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	closed bool
	ready  chan struct{}
	ctx    context.Context
}

func newStdin(ctx context.Context) *stdinBuffer {
	return &stdinBuffer{ready: make(chan struct{}), ctx: ctx}
}

func (s *stdinBuffer) write(p []byte, end bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.buf.Write(p)
	s.closed = end
	close(s.ready)
	s.ready = make(chan struct{})
}

func (s *stdinBuffer) Read(p []byte) (int, error) {
	for {
		s.mu.Lock()
		if s.buf.Len() > 0 {
			n, _ := s.buf.Read(p)
			s.mu.Unlock()
			return n, nil
		}
		if s.closed {
			s.mu.Unlock()
			return 0, io.EOF
		}
		ready := s.ready
		s.mu.Unlock()
		select {
		case <-ready:
		case <-s.ctx.Done():
			return 0, io.EOF
		}
	}
}

// shells is the shell table of one endpoint.
type shells struct {
	mu sync.Mutex
	m  map[string]*shell
	// idleDropped are the IDs of shells that expired idle (kept only with
	// Config.IdleDropEmpty400).
	idleDropped map[string]bool
}

func (h *Handler) createShell(req *request, user string) (*shell, *soapFault) {
	owner, _ := splitUser(user)
	owner = strings.ToLower(owner)
	h.shells.mu.Lock()
	defer h.shells.mu.Unlock()
	n := 0
	for _, s := range h.shells.m {
		if s.owner == owner {
			n++
		}
	}
	if n >= h.cfg.MaxShellsPerUser {
		return nil, faultShellQuota(h.cfg.MaxShellsPerUser)
	}
	idle := h.cfg.IdleTimeout
	if b := req.Body.Shell; b != nil && strings.TrimSpace(b.IdleTimeOut) != "" {
		// Windows keeps the IdleTimeOut asked for (and echoes it, PT60S
		// as PT60.000S); one that is not an xs:duration is refused.
		d, ok := parseDuration(b.IdleTimeOut)
		if !ok || d <= 0 {
			return nil, faultSchemaValidation()
		}
		idle = d
	}
	ctx, cancel := context.WithCancel(h.ctx)
	s := &shell{id: newID(), user: user, owner: owner, ctx: ctx, cancel: cancel, idleTimeout: idle,
		lastUsed: time.Now(), commands: map[string]*shellCommand{}}
	if b := req.Body.Shell; b != nil {
		s.workingDirectory = strings.TrimSpace(b.WorkingDirectory)
		for _, v := range b.Variables {
			if s.env == nil {
				s.env = map[string]string{}
			}
			s.env[v.Name] = v.Value
		}
	}
	h.shells.m[s.id] = s
	return s, nil
}

// lookup finds the request's shell and marks it used.
func (h *Handler) lookup(req *request) (*shell, *soapFault) {
	id := req.selector("ShellId")
	h.shells.mu.Lock()
	defer h.shells.mu.Unlock()
	s, ok := h.shells.m[strings.ToUpper(id)]
	if !ok {
		return nil, faultShellNotFound(id)
	}
	s.lastUsed = time.Now()
	return s, nil
}

func (h *Handler) lookupCommand(s *shell, id string) (*shellCommand, *soapFault) {
	h.shells.mu.Lock()
	defer h.shells.mu.Unlock()
	c, ok := s.commands[strings.ToUpper(strings.TrimSpace(id))]
	if !ok {
		return nil, faultCommandNotFound()
	}
	return c, nil
}

func (h *Handler) deleteShell(s *shell) {
	h.shells.mu.Lock()
	delete(h.shells.m, s.id)
	h.shells.mu.Unlock()
	s.cancel()
}

// DropShells deletes every shell and cancels its commands, as the WinRM
// service does when the machine restarts: later requests naming one get the
// shell-not-found fault.
func (h *Handler) DropShells() {
	h.shells.mu.Lock()
	all := make([]*shell, 0, len(h.shells.m))
	for _, s := range h.shells.m {
		all = append(all, s)
	}
	h.shells.mu.Unlock()
	for _, s := range all {
		h.deleteShell(s)
	}
}

// takeOperation counts a command against the shell's operations quota;
// false when the quota is spent (the command is refused, never started).
func (h *Handler) takeOperation(s *shell) bool {
	h.shells.mu.Lock()
	defer h.shells.mu.Unlock()
	if s.operations >= h.cfg.MaxOperationsPerShell {
		return false
	}
	s.operations++
	return true
}

// OpenShells is how many shells the node holds now.
func (h *Handler) OpenShells() int {
	h.shells.mu.Lock()
	defer h.shells.mu.Unlock()
	return len(h.shells.m)
}

// droppedIdle reports whether id named a shell that expired idle.
func (h *Handler) droppedIdle(id string) bool {
	h.shells.mu.Lock()
	defer h.shells.mu.Unlock()
	return h.shells.idleDropped[strings.ToUpper(id)]
}

// expireIdle deletes shells that saw no request for IdleTimeout.
func (h *Handler) expireIdle(now time.Time) {
	h.shells.mu.Lock()
	var idle []*shell
	for _, s := range h.shells.m {
		if now.Sub(s.lastUsed) >= s.idleTimeout {
			idle = append(idle, s)
			if h.cfg.IdleDropEmpty400 {
				h.shells.idleDropped[s.id] = true
			}
		}
	}
	h.shells.mu.Unlock()
	for _, s := range idle {
		h.deleteShell(s)
	}
}

// startCommand runs the command line in the shell's executor.
func (h *Handler) startCommand(s *shell, line string) *shellCommand {
	ctx, cancel := context.WithCancel(s.ctx)
	c := &shellCommand{id: newID(), cancel: cancel, stdin: newStdin(ctx), changed: make(chan struct{})}
	h.shells.mu.Lock()
	s.commands[c.id] = c
	h.shells.mu.Unlock()
	var env map[string]string
	if s.env != nil {
		// Each command gets its own copy: an executor may change it.
		env = maps.Clone(s.env)
	}
	cmd := Command{
		User: s.user, ShellID: s.id, Line: line,
		WorkingDirectory: s.workingDirectory, Env: env,
		Stdin: c.stdin, Stdout: streamWriter{c: c}, Stderr: streamWriter{c: c, stderr: true},
		LoseAnswer: func() {
			c.mu.Lock()
			c.loseAnswer = true
			c.mu.Unlock()
		},
	}
	go func() {
		code := h.cfg.Executor.Run(ctx, cmd)
		c.mu.Lock()
		c.done, c.exitCode = true, code
		c.notify()
		c.mu.Unlock()
	}()
	return c
}

// receive waits until the command has output or is done, or until the
// operation timeout, and renders the rsp:ReceiveResponse body; lost says
// the answer is to be lost (Command.LoseAnswer) rather than sent.
func (c *shellCommand) receive(ctx context.Context, timeout time.Duration, maxData int) (body string, lost bool, f *soapFault) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		c.mu.Lock()
		if c.done || !c.loseAnswer && (c.stdout.Len() > 0 || c.stderr.Len() > 0) {
			break
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			return "", false, faultTimedOut()
		case <-ctx.Done():
			return "", false, faultTimedOut()
		}
	}
	defer c.mu.Unlock()
	var b strings.Builder
	b.WriteString("<rsp:ReceiveResponse>")
	stream := func(name string, buf *bytes.Buffer) {
		if buf.Len() == 0 {
			return
		}
		n := min(buf.Len(), maxData)
		maxData -= n
		b.WriteString(`<rsp:Stream Name="` + name + `" CommandId="` + c.id + `">` +
			base64.StdEncoding.EncodeToString(buf.Next(n)) + `</rsp:Stream>`)
	}
	stream("stdout", &c.stdout)
	stream("stderr", &c.stderr)
	if c.done && c.stdout.Len() == 0 && c.stderr.Len() == 0 {
		// The answer that carries the end.
		lost, c.loseAnswer = c.loseAnswer, false
		b.WriteString(`<rsp:Stream Name="stdout" CommandId="` + c.id + `" End="true"></rsp:Stream>` +
			`<rsp:Stream Name="stderr" CommandId="` + c.id + `" End="true"></rsp:Stream>` +
			`<rsp:CommandState CommandId="` + c.id + `" State="` + stateDone + `"><rsp:ExitCode>` +
			exitCodeText(c.exitCode) + `</rsp:ExitCode></rsp:CommandState>`)
	} else {
		b.WriteString(`<rsp:CommandState CommandId="` + c.id + `" State="` + stateRunning + `"></rsp:CommandState>`)
	}
	b.WriteString("</rsp:ReceiveResponse>")
	return b.String(), lost, nil
}

// exitCodeText is a process exit code as Windows reports it: the DWORD, so
// a program that exits -1 reads 4294967295 (0xffffffff).
func exitCodeText(code int) string { return strconv.FormatUint(uint64(uint32(code)), 10) }
