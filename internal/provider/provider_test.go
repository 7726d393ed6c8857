package provider

import (
	"os"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// testAccProtoV6ProviderFactories runs the provider in the test process, so
// terraform talks to it over a reattached plugin connection.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"mscs": providerserver.NewProtocol6WithError(&mscsProvider{version: "test", getenv: os.Getenv}),
}

// wrapped compiles an expected error pattern whose spaces also match the line
// breaks terraform puts into long diagnostics.
func wrapped(pattern string) *regexp.Regexp {
	return regexp.MustCompile("(?s)" + strings.ReplaceAll(pattern, " ", `\s+`))
}
