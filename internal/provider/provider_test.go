package provider

import (
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// testProvider is the provider as the tests run it, reading its environment
// through getenv. Its transport retries a failed read as often as a user's
// does, without the waits in between: a lab's faults end after a count of
// requests, not after a time, and a test of an unreachable node would
// otherwise wait 3.5 s per read.
func testProvider(getenv func(string) string) *mscsProvider {
	return &mscsProvider{version: "test", getenv: getenv, retryBackoff: time.Millisecond}
}

// testAccProtoV6ProviderFactories runs the provider in the test process, so
// terraform talks to it over a reattached plugin connection.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"mscs": providerserver.NewProtocol6WithError(testProvider(os.Getenv)),
}

// wrapped compiles an expected error pattern whose spaces also match the line
// breaks terraform puts into long diagnostics.
func wrapped(pattern string) *regexp.Regexp {
	return regexp.MustCompile("(?s)" + strings.ReplaceAll(pattern, " ", `\s+`))
}

// perCommandFactories serve the provider as Terraform runs it: a process per
// terraform command, whose shells on the nodes are deleted when it ends
// (main's Shutdown). plugin-testing calls a factory once per command, one
// command after another within a test case, so each call first closes the
// clusters the previous commands configured. testAccProtoV6ProviderFactories
// leaves them open, which a test of more steps than the nodes'
// MaxShellsPerUser (30) allows for would meet as the quota's fault.
func perCommandFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	var (
		mu         sync.Mutex
		configured []*cluster
	)
	p := testProvider(os.Getenv)
	p.onConfigure = func(c *cluster) {
		mu.Lock()
		configured = append(configured, c)
		mu.Unlock()
	}
	serve := providerserver.NewProtocol6WithError(p)
	return map[string]func() (tfprotov6.ProviderServer, error){"mscs": func() (tfprotov6.ProviderServer, error) {
		mu.Lock()
		ended := configured
		configured = nil
		mu.Unlock()
		for _, c := range ended {
			c.close(context.Background())
		}
		return serve()
	}}
}
