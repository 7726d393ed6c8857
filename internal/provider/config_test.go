package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// nodesValue builds the provider's nodes attribute from node models (zero
// fields are null), with the element type taken from the schema.
func nodesValue(t *testing.T, nodes map[string]nodeModel) types.Map {
	t.Helper()
	ctx := context.Background()
	var resp provider.SchemaResponse
	(&mscsProvider{}).Schema(ctx, provider.SchemaRequest{}, &resp)
	mt, ok := resp.Schema.Attributes["nodes"].GetType().(types.MapType)
	if !ok {
		t.Fatalf("nodes is a %T, not a map", resp.Schema.Attributes["nodes"].GetType())
	}
	for name, n := range nodes {
		if n.KDC.ElementType(ctx) == nil { // a zero List has no element type
			n.KDC = types.ListNull(types.StringType)
			nodes[name] = n
		}
	}
	v, d := types.MapValueFrom(ctx, mt.ElemType, nodes)
	if d.HasError() {
		t.Fatalf("building nodes: %v", d)
	}
	return v
}

func errorsOf(d diag.Diagnostics) string {
	var parts []string
	for _, e := range d.Errors() {
		parts = append(parts, e.Summary()+": "+e.Detail())
	}
	return strings.Join(parts, "\n")
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestResolveNodes_endpointAndOverrides(t *testing.T) {
	m := providerModel{
		Nodes: nodesValue(t, map[string]nodeModel{
			"NODE1": {Endpoint: types.StringValue("https://n1.lab:15986/wsman")},
			"NODE2": {Host: types.StringValue("10.0.0.2"), HTTPS: types.BoolValue(false), Auth: types.StringValue("ntlm"),
				Username: types.StringValue(`NODE2\Admin`), Password: types.StringValue("n2pass"), OperationTimeout: types.StringValue("90s")},
		}),
		Username:         types.StringValue(`LAB\Administrator`),
		Auth:             types.StringValue("basic"),
		MaxShellsPerNode: types.Int64Value(3),
		ReuseShell:       types.BoolValue(false),
	}
	configs, d := resolveNodes(context.Background(), m, env(map[string]string{envPassword: "from-env"}))
	if d.HasError() {
		t.Fatalf("unexpected errors:\n%s", errorsOf(d))
	}
	if len(configs) != 2 {
		t.Fatalf("got %d configs, want 2", len(configs))
	}
	n1, n2 := configs[0], configs[1]
	if n1.Node != "NODE1" || n1.Host != "n1.lab" || n1.Port != 15986 || !n1.HTTPS || n1.Auth != "basic" ||
		n1.Username != `LAB\Administrator` || n1.Password != "from-env" || n1.OperationTimeout != defaultOperationTimeout ||
		n1.MaxConcurrent != 3 || n1.ReuseShell {
		t.Errorf("NODE1 = %+v", n1)
	}
	if n2.Node != "NODE2" || n2.Host != "10.0.0.2" || n2.Port != 5985 || n2.HTTPS || n2.Auth != "ntlm" ||
		n2.Username != `NODE2\Admin` || n2.Password != "n2pass" || n2.OperationTimeout != 90*time.Second {
		t.Errorf("NODE2 = %+v", n2)
	}
}

func TestResolveNodes_planTimeErrors(t *testing.T) {
	cases := []struct {
		name  string
		m     providerModel
		env   map[string]string
		final bool
		want  string // substring of the errors; "" = no error
	}{
		{
			name: "basic over http without allow_unencrypted",
			m: providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {Endpoint: types.StringValue("http://n1:5985/wsman")}}),
				Auth: types.StringValue("basic")},
			want: "Basic authentication over plain HTTP",
		},
		{
			name: "basic over http with allow_unencrypted",
			m: providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {Endpoint: types.StringValue("http://n1:5985/wsman")}}),
				Auth: types.StringValue("basic"), AllowUnencrypted: types.BoolValue(true)},
		},
		{
			name: "basic over http via the provider's https = false",
			m: providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {Host: types.StringValue("n1")}}),
				Auth: types.StringValue("basic"), HTTPS: types.BoolValue(false)},
			want: "Node NODE1 would receive the password in clear text",
		},
		{
			name: "empty password in config",
			m: providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {Host: types.StringValue("n1")}}),
				Password: types.StringValue("")},
			want: "Empty password",
		},
		{
			name: "empty node password overrides a good one",
			m: providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {Host: types.StringValue("n1"), Password: types.StringValue("")}}),
				Password: types.StringValue("good")},
			want: "The password for node NODE1 is empty",
		},
		{
			name: "missing password is not a validation error (the environment may hold it)",
			m:    providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {Host: types.StringValue("n1")}})},
		},
		{
			name:  "missing password at configure",
			m:     providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {Host: types.StringValue("n1")}}), Username: types.StringValue("u")},
			final: true,
			want:  "Missing password",
		},
		{
			name:  "empty MSCS_PASSWORD at configure",
			m:     providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {Host: types.StringValue("n1")}})},
			env:   map[string]string{envUsername: "u", envPassword: ""},
			final: true,
			want:  "export MSCS_PASSWORD",
		},
		{
			name:  "credentials from the environment",
			m:     providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {Host: types.StringValue("n1")}})},
			env:   map[string]string{envUsername: "u", envPassword: "p"},
			final: true,
		},
		{
			name: "neither endpoint nor host",
			m:    providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {Port: types.Int64Value(5986)}})},
			want: "Node NODE1 needs an endpoint",
		},
		{
			name: "both endpoint and host",
			m: providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {Host: types.StringValue("n1"),
				Endpoint: types.StringValue("https://n1/wsman")}})},
			want: "both endpoint and host",
		},
		{
			name: "https contradicting the endpoint's scheme",
			m: providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {HTTPS: types.BoolValue(false),
				Endpoint: types.StringValue("https://n1/wsman")}})},
			want: "contradicts the scheme",
		},
		{
			name: "unknown nodes only fail at configure",
			m:    providerModel{Nodes: types.MapUnknown(nodesValue(t, map[string]nodeModel{}).ElementType(context.Background()))},
		},
		{
			name:  "unknown nodes at configure",
			m:     providerModel{Nodes: types.MapUnknown(nodesValue(t, map[string]nodeModel{}).ElementType(context.Background()))},
			final: true,
			want:  "Unknown nodes",
		},
		{
			name: "unknown auth skips the basic-over-http check while validating",
			m: providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {Endpoint: types.StringValue("http://n1/wsman")}}),
				Auth: types.StringUnknown()},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var getenv func(string) string
			if tc.final {
				getenv = env(tc.env)
			}
			_, d := resolveNodes(context.Background(), tc.m, getenv)
			got := errorsOf(d)
			if tc.want == "" && got != "" {
				t.Fatalf("unexpected errors:\n%s", got)
			}
			if tc.want != "" && !strings.Contains(got, tc.want) {
				t.Fatalf("errors %q do not contain %q", got, tc.want)
			}
		})
	}
}
