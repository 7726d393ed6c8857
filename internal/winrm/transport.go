package winrm

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// countingTransport wraps one of masterzen/winrm's transports. It counts
// WS-Management requests (one per SOAP message: Create, Command, Receive,
// Signal, Delete; NTLM's handshake round trips are not counted) and turns a
// fault body that arrived as a success into an error.
type countingTransport struct {
	inner winrm.Transporter
	count *atomic.Int64
}

func (t *countingTransport) Transport(ep *winrm.Endpoint) error { return t.inner.Transport(ep) }

func (t *countingTransport) Post(c *winrm.Client, m *soap.SoapMessage) (string, error) {
	t.count.Add(1)
	return faultAsError(t.inner.Post(c, m))
}

func faultAsError(body string, err error) (string, error) {
	if err == nil && isFaultBody(body) {
		return "", fmt.Errorf("wsman fault: %s", body)
	}
	return body, err
}

// sealedTransport is NTLM with message sealing over plain HTTP, through
// masterzen/winrm's Encryption. That type keeps the NTLM session of the
// message in flight in its own fields and sends the handshake and the sealed
// message as separate requests on http.DefaultTransport, relying on them
// sharing a connection. So each message gets a fresh Encryption, and messages
// go one at a time per node (mu is the Client's, shared by its lanes): two in
// flight could swap connections between handshake and message.
type sealedTransport struct {
	count *atomic.Int64
	mu    *sync.Mutex
	ep    *winrm.Endpoint
}

func (t *sealedTransport) Transport(ep *winrm.Endpoint) error {
	t.ep = ep
	return nil
}

func (t *sealedTransport) Post(c *winrm.Client, m *soap.SoapMessage) (string, error) {
	enc, err := winrm.NewEncryption("ntlm")
	if err != nil {
		return "", err
	}
	if err := enc.Transport(t.ep); err != nil {
		return "", err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.count.Add(1)
	return faultAsError(enc.Post(c, m))
}
