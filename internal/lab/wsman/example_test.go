package wsman_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/wsman"
)

type echoExecutor struct{}

func (echoExecutor) Run(_ context.Context, cmd wsman.Command) int {
	_, _ = io.WriteString(cmd.Stdout, cmd.Line+"\r\n")
	return 0
}

type oneAccount struct{}

func (oneAccount) Password(user, domain string) (string, bool) {
	return "secret", user == "Administrator"
}

// One lab node: a CA written to a PEM file for clients, an HTTPS and an
// HTTP listener on loopback, and the WS-Management handler behind them.
func Example() {
	ca, err := wsman.NewCA("MSCS lab CA")
	if err != nil {
		log.Fatal(err)
	}
	dir, _ := os.MkdirTemp("", "lab")
	defer func() { _ = os.RemoveAll(dir) }()
	if err := ca.WriteFile(filepath.Join(dir, "ca.pem")); err != nil {
		log.Fatal(err)
	}
	tlsConf, err := ca.ServerTLSConfig("127.0.0.1", "localhost", "NODE1")
	if err != nil {
		log.Fatal(err)
	}
	h := wsman.NewHandler(wsman.Config{
		NodeName: "NODE1", Domain: "LAB",
		Executor: echoExecutor{}, Accounts: oneAccount{},
	})
	defer h.Close()
	ep, err := wsman.Listen(h, "127.0.0.1:0", "127.0.0.1:0", tlsConf)
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = ep.Close() }()
	fmt.Println(ep.HTTPSURL() != "", ep.HTTPURL() != "")

	// A reboot: clients are refused until the node is back, on the same URL.
	_ = ep.SetReachable(false)
	_ = ep.SetReachable(true)
	// Output: true true
}
