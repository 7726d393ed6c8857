package provider

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// hostileValues are what an operator's typo, a copied snippet or a hostile
// tfvars file may put into an attribute: cmd.exe metacharacters and
// expansions, switches, paths that leave the node, control characters,
// look-alike Unicode, the empty string and a very long value.
func hostileValues() []string {
	v := []string{
		"", " ", "NODE2 ", " NODE2", "-ZQ", "/?", "--help", "NODE2&calc", "NODE2|calc", "NODE2^", "NODE2>x", "NODE2<x",
		"NODE2&&calc", "NODE2||calc", `NODE2"&calc&"`, `NODE2" "x`, "%COMPUTERNAME%", "!PATH!", "%%", "^&", "NODE2\r\ncalc",
		"NODE2\ncalc", "NODE2\rcalc", "NODE2\x00", "NODE2\t", "NODE2\x1b[2J", "NODE\u202e2", "ＮＯＤＥ２", "NODE2\u00a0", "$(calc)",
		"`calc`", "NODE2;calc", "NODE2,calc", "NODE2=x", "(NODE2)", "@NODE2", `C:\x.exe & calc`, `C:\x.exe" & "calc`,
		`\\evil\share\setup.exe`, `..\..\setup.exe`, `C:\..\..\x.exe`, `C:/WINNT/x.exe`, `C:\WINNT\x.exe %TEMP%`, "CON", "NUL",
		`C:\CON\setup.exe`, `C:\a\b\setup.exe:stream`, `C:\x.bat`, `C:\x.cmd`, "C:", `C:\`, `\setup.exe`, `setup.exe`,
		"4 & calc", "6a;", "custom|x", "iis_www & calc", "IIS_WWW", "iis-www", "20m & calc", "-1s", "1e9h", "0s",
		"ClusSvc & del *", `ClusSvc\x`, "Clus/Svc", "-ClusSvc", "ClusSvc\" \"x", "running & calc", "stopped\n",
		strings.Repeat("A", 10002), strings.Repeat("é", 300),
	}
	return v
}

// sweepCase is one attribute of one resource or data source the sweep
// puts every hostile value into, over a base configuration that plans.
type sweepCase struct {
	kind  string // "resource" or "data"
	typ   string // e.g. mscs_optionpack_install
	attr  string
	inSet bool // the value is one element of a set attribute
}

var sweepCases = []sweepCase{
	{"resource", "mscs_optionpack_install", "node", false},
	{"resource", "mscs_optionpack_install", "working_node", false},
	{"resource", "mscs_optionpack_install", "install_method", false},
	{"resource", "mscs_optionpack_install", "components", true},
	{"resource", "mscs_optionpack_install", "service_pack", false},
	{"resource", "mscs_optionpack_install", "setup_path", false},
	{"resource", "mscs_optionpack_install", "service_pack_path", false},
	{"resource", "mscs_optionpack_install", "reboot_timeout", false},
	{"resource", "mscs_cluster_node_service", "node", false},
	{"resource", "mscs_cluster_node_service", "service_name", false},
	{"resource", "mscs_cluster_node_service", "state", false},
	{"resource", "mscs_cluster_node_service", "startup_type", false},
	{"data", "mscs_node", "node", false},
	{"data", "mscs_cluster", "node", false},
}

// sweepBase is each type's configuration that plans cleanly against the
// corrupted-iis lab.
func sweepBase(typ string) map[string]tftypes.Value {
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	switch typ {
	case "mscs_optionpack_install":
		var comps []tftypes.Value
		for _, c := range node1Components {
			comps = append(comps, str(c))
		}
		return map[string]tftypes.Value{
			"node": str("NODE2"), "install_method": str("custom"), "service_pack": str("4"),
			"components":        tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, comps),
			"service_pack_path": str(`C:\SP4\I386\UPDATE\update.exe`),
		}
	case "mscs_cluster_node_service":
		return map[string]tftypes.Value{"node": str("NODE2"), "state": str("running"), "startup_type": str("automatic")}
	case "mscs_node":
		return map[string]tftypes.Value{"node": str("NODE1")}
	}
	return map[string]tftypes.Value{}
}

// objectValue is a value of schema type typ: the given attributes, all
// others null (computed ones as Terraform proposes them for a create).
func objectValue(typ tftypes.Object, set map[string]tftypes.Value) tftypes.Value {
	values := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		values[name] = tftypes.NewValue(at, nil)
		if v, ok := set[name]; ok {
			values[name] = v
		}
	}
	return tftypes.NewValue(typ, values)
}

// The hostile-input sweep: every hostile value in every attribute that can
// reach a command line, through the provider's own protocol server as
// terraform plan drives it: validation, then (when validation lets the value
// through) the plan or the data source read against a lab. It asserts that
// no value reaches a node's command line, and that every refusal names the
// attribute. Run it with -v for the figures:
//
//	TF_ACC=1 go test ./internal/provider -run TestAccHostileInputSweep -v
func TestAccHostileInputSweep(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "corrupted-iis")
	if l.Control == nil {
		t.Skip("counts what reaches a node through the lab's command log")
	}
	ctx := context.Background()
	srv, err := providerserver.NewProtocol6WithError(testProvider(os.Getenv))()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) > 0 {
		t.Fatalf("schema: %v %v", err, schemas.Diagnostics)
	}
	configure(t, srv, schemas.Provider, l)

	values := hostileValues()
	var cases, refusedNamed, refusedUnnamed, passed, reached int
	unnamed := map[string]bool{}
	for _, sc := range sweepCases {
		schema := schemas.ResourceSchemas[sc.typ]
		if sc.kind == "data" {
			schema = schemas.DataSourceSchemas[sc.typ]
		}
		typ, ok := schema.ValueType().(tftypes.Object)
		if !ok {
			t.Fatalf("%s: schema type %T", sc.typ, schema.ValueType())
		}
		for _, hostile := range values {
			cases++
			set := sweepBase(sc.typ)
			v := tftypes.NewValue(tftypes.String, hostile)
			if sc.inSet {
				v = tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, []tftypes.Value{v})
			}
			set[sc.attr] = v
			config, err := tfprotov6.NewDynamicValue(typ, objectValue(typ, set))
			if err != nil {
				t.Fatal(err)
			}
			mark := l.CommandCount(t)
			diags := sweepOne(ctx, t, srv, sc, &config)
			if cmds, err := l.CommandsSince(mark); err == nil {
				for _, c := range cmds {
					if len(strings.TrimSpace(hostile)) > 2 && strings.Contains(c.Program+" "+c.Args, hostile) {
						reached++
						t.Errorf("%s.%s = %q reached %s: %s %s", sc.typ, sc.attr, hostile, c.Node, c.Program, c.Args)
						break
					}
				}
			}
			var errs []*tfprotov6.Diagnostic
			for _, d := range diags {
				if d.Severity == tfprotov6.DiagnosticSeverityError {
					errs = append(errs, d)
				}
			}
			if len(errs) == 0 {
				passed++
				t.Logf("let through: %s.%s = %.40q (%d warnings)", sc.typ, sc.attr, hostile, len(diags))
				continue
			}
			named := false
			for _, d := range errs {
				if d.Attribute != nil && len(d.Attribute.Steps()) > 0 && d.Attribute.Steps()[0] == tftypes.AttributeName(sc.attr) {
					named = true
				}
			}
			if named {
				refusedNamed++
				continue
			}
			refusedUnnamed++
			key := fmt.Sprintf("%s.%s: %s", sc.typ, sc.attr, errs[0].Summary)
			if !unnamed[key] {
				unnamed[key] = true
				t.Errorf("%s.%s = %.40q refused without naming the attribute: %s: %s", sc.typ, sc.attr, hostile, errs[0].Summary, errs[0].Detail)
			}
		}
	}
	keys := make([]string, 0, len(unnamed))
	for k := range unnamed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("hostile-input sweep: %d values x %d attributes = %d cases; refused naming the attribute %d, refused without "+
		"naming it %d, let through (harmless, quoted) %d; reached a node's command line %d",
		len(values), len(sweepCases), cases, refusedNamed, refusedUnnamed, passed, reached)
}

// sweepOne runs a configuration as terraform plan would: validation, then
// the plan of a create (resource) or the read (data source).
func sweepOne(ctx context.Context, t *testing.T, srv tfprotov6.ProviderServer, sc sweepCase, config *tfprotov6.DynamicValue) []*tfprotov6.Diagnostic {
	t.Helper()
	if sc.kind == "data" {
		v, err := srv.ValidateDataResourceConfig(ctx, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: sc.typ, Config: config})
		if err != nil {
			t.Fatal(err)
		}
		if hasError(v.Diagnostics) {
			return v.Diagnostics
		}
		r, err := srv.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: sc.typ, Config: config})
		if err != nil {
			t.Fatal(err)
		}
		return r.Diagnostics
	}
	v, err := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: sc.typ, Config: config})
	if err != nil {
		t.Fatal(err)
	}
	if hasError(v.Diagnostics) {
		return v.Diagnostics
	}
	schemas, _ := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	typ := schemas.ResourceSchemas[sc.typ].ValueType()
	prior, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, nil))
	if err != nil {
		t.Fatal(err)
	}
	p, err := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: sc.typ, PriorState: &prior,
		ProposedNewState: config, Config: config})
	if err != nil {
		t.Fatal(err)
	}
	return p.Diagnostics
}

func hasError(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

// configure configures srv's provider for the lab's nodes.
func configure(t *testing.T, srv tfprotov6.ProviderServer, schema *tfprotov6.Schema, l *testLab) {
	t.Helper()
	typ, ok := schema.ValueType().(tftypes.Object)
	nodes, ok2 := typ.AttributeTypes["nodes"].(tftypes.Map)
	nodeType, ok3 := nodes.ElementType.(tftypes.Object)
	if !ok || !ok2 || !ok3 {
		t.Fatalf("provider schema type %v", schema.ValueType())
	}
	nodeValues := map[string]tftypes.Value{}
	for _, n := range l.Names() {
		nodeValues[n] = objectValue(nodeType, map[string]tftypes.Value{"endpoint": tftypes.NewValue(tftypes.String, l.Nodes[n])})
	}
	config, err := tfprotov6.NewDynamicValue(typ, objectValue(typ, map[string]tftypes.Value{
		"nodes":    tftypes.NewValue(nodes, nodeValues),
		"username": tftypes.NewValue(tftypes.String, l.Username),
		"password": tftypes.NewValue(tftypes.String, l.Password),
		"ca_cert":  tftypes.NewValue(tftypes.String, string(l.CAPEM)),
	}))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.ConfigureProvider(context.Background(), &tfprotov6.ConfigureProviderRequest{Config: &config})
	if err != nil || hasError(resp.Diagnostics) {
		t.Fatalf("configure: %v %v", err, resp.Diagnostics)
	}
}
