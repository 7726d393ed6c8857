package provider

import (
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// testAccProtoV6ProviderFactories runs the provider in the test process, so
// terraform talks to it over a reattached plugin connection.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"mscs": providerserver.NewProtocol6WithError(&mscsProvider{version: "test", getenv: os.Getenv, poll: labPoll()}),
}

// labPoll is how often the provider's waits poll in the acceptance tests:
// the in-process lab's reboots take about half a second (scenario time scale
// 0.005 of 100 emulated seconds), so the 2 s that suit a real node would only
// idle. A real lab (MSCS_LAB_NODES) keeps the default.
func labPoll() time.Duration {
	if os.Getenv("MSCS_LAB_NODES") != "" {
		return 0
	}
	return 50 * time.Millisecond
}

// wrapped compiles an expected error pattern whose spaces also match the line
// breaks terraform puts into long diagnostics.
func wrapped(pattern string) *regexp.Regexp {
	return regexp.MustCompile("(?s)" + strings.ReplaceAll(pattern, " ", `\s+`))
}
