package provider

import (
	"os"
	"regexp"
	"strings"
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
