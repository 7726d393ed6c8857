// Command terraform-provider-mscs is the Terraform provider for Microsoft
// Cluster Server node recovery (KB Q241573) over WinRM.
package main

import (
	"context"
	"flag"
	"log"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-log/tfsdklog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/provider"
)

// version is set by goreleaser at build time.
var version = "dev"

func main() {
	var debug bool
	var host string
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	// -debug prints the TF_REATTACH_PROVIDERS to export, keyed by the
	// provider's address, which the client matches exactly: OpenTofu resolves
	// mscs-ops/mscs under its own registry host.
	flag.StringVar(&host, "registry-host", "registry.terraform.io",
		"the registry host in the address -debug prints: registry.opentofu.org for OpenTofu")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address:         host + "/mscs-ops/mscs",
		Debug:           debug,
		ProtocolVersion: 6,
	})
	// Serve returns when Terraform stops the provider: delete the shells left
	// open on the nodes before the process goes.
	// Outside a request, tflog needs a logger of its own: JSON on stderr,
	// which Terraform shows under TF_LOG like the requests' logs.
	ctx := tfsdklog.NewRootProviderLogger(context.Background(), tfsdklog.WithLogName("mscs"))
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	provider.Shutdown(ctx)
	cancel()
	if err != nil {
		log.Fatal(err.Error())
	}
}
