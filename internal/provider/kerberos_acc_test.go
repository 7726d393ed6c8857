package provider

// The whole recovery (examples/recovery, as an operator runs it) with
// auth = "kerberos" against the lab's own KDC (LAB.TEST), once per
// credential source and transport: password over HTTPS under strict
// channel binding, a user keytab over sealed plain HTTP, and the credential
// cache KRB5CCNAME names.

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/spnego"

	"github.com/mscs-ops/terraform-provider-mscs/internal/krb5test"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/krb"
	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
)

// kerberosLab is a lab started with opts, and its Kerberos as its ready
// file names it.
type kerberosLab struct {
	*testLab
	lab  *lab.Lab
	info lab.KerberosInfo
}

func startKerberosLab(t *testing.T, opts lab.Options) *kerberosLab {
	t.Helper()
	if opts.Scenario == "" {
		opts.Scenario = "rebuilt-node"
	}
	l, err := lab.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	info := l.KerberosInfo()
	if info == nil || info.Realm == "" {
		t.Fatal("the lab names no Kerberos realm")
	}
	return &kerberosLab{testLab: &testLab{labtest.Of(l)}, lab: l, info: *info}
}

// kerberosOverride is an override file for examples/recovery's provider
// block (Terraform merges it over the block's arguments): auth kerberos,
// the realm, and each node at its endpoint (HTTPS or plain HTTP, as https
// says) with its service principal by its DNS name in the realm, since the
// lab is reached on 127.0.0.1; then extra lines.
func (k *kerberosLab) kerberosOverride(https bool, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "provider \"mscs\" {\n  auth  = \"kerberos\"\n  realm = %q\n  nodes = {\n", k.info.Realm)
	for _, n := range k.lab.Nodes() {
		ep := n.HTTPS
		if !https {
			ep = n.HTTP
		}
		fmt.Fprintf(&b, "    %s = { endpoint = %q, spn = %q }\n", n.Name, ep, "HTTP/"+n.Host)
	}
	b.WriteString("  }\n")
	b.WriteString(extra)
	b.WriteString("}\n")
	return b.String()
}

// recoverExample applies examples/recovery, with extra files (override
// files) beside it, its variables changed by mutate and the provider's
// environment read through getenv (nil: the process's), and checks the
// lab's world after it: the KB's steps once each in order on the rebuilt
// node, MSDTC, the metabase sync, the grants and the failover test, then
// extra checks, no incident, and an empty plan after.
func recoverExample(t *testing.T, l *testLab, files map[string]string, mutate func(config.Variables), getenv func(string) string, extra ...statecheck.StateCheck) {
	t.Helper()
	if getenv == nil {
		getenv = os.Getenv
	}
	example, vars := recoveryExample(t, l, files)
	if mutate != nil {
		mutate(vars)
	}
	from := 0
	checks := []statecheck.StateCheck{
		l.ExpectKBSteps("NODE2", &from, "stop ClusSvc", "setup", "reboot", "SP", "reboot", "start ClusSvc"),
		l.msdtcOrder(&from, manualOrder...),
		l.iissyncRuns(&from),
		l.expectGrants(),
		l.expectAfterFailover(),
		l.stepsActedOn(),
	}
	var pending []plancheck.PlanCheck
	for _, addr := range actedOnAddrs {
		pending = append(pending, plancheck.ExpectUnknownValue(addr, tfjsonpath.New("steps")))
	}
	runTestCaseOf(t, testProvider(getenv), resource.TestCase{Steps: []resource.TestStep{{
		ConfigDirectory: example,
		ConfigVariables: vars,
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply:             pending, // each waits for an earlier phase: its steps are listed by the apply
			PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
		},
		ConfigStateChecks: append(append(checks, extra...), l.ExpectNoIncidents()),
	}}})
}

// actedOnAddrs are examples/recovery's phases whose steps the plan cannot
// list (their triggers wait for earlier phases), so apply lists them.
var actedOnAddrs = []string{"mscs_iis_metabase_sync.rebuilt", "mscs_iis_cluster_accounts.rebuilt", "mscs_failover_test.rebuilt"}

// stepsActedOn checks that the steps apply listed for actedOnAddrs are those
// of what each phase acted on, as the lab's log shows it: every grant the
// accounts list ran on NODE2, as listed, and no other grant ran; the sync's
// IISSYNC of NODE2 from NODE1; each move of the failover test's groups to
// NODE2.
func (l *testLab) stepsActedOn() statecheck.StateCheck { return stepsActedOnCheck{l} }

type stepsActedOnCheck struct{ l *testLab }

func (c stepsActedOnCheck) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if c.l.Control == nil {
		return // a real lab: no log to compare with
	}
	steps := map[string][]string{}
	if req.State != nil && req.State.Values != nil && req.State.Values.RootModule != nil {
		for _, r := range req.State.Values.RootModule.Resources {
			list, _ := r.AttributeValues["steps"].([]any)
			for _, v := range list {
				steps[r.Address] = append(steps[r.Address], fmt.Sprint(v))
			}
		}
	}
	if err := c.check(steps); err != nil {
		resp.Error = fmt.Errorf("the steps apply listed are not what it ran: %w", err)
	}
}

func (c stepsActedOnCheck) check(steps map[string][]string) error {
	cmds, err := c.l.CommandsSince(0)
	if err != nil {
		return err
	}
	ran := map[string]bool{}
	grants := 0
	for _, cmd := range cmds {
		ran[cmd.Node+": "+cmd.Program+" "+cmd.Args] = true
		if cmd.Node == "NODE2" && (cmd.Program == "ntrights" && strings.HasPrefix(cmd.Args, "+r ") ||
			cmd.Program == "net" && strings.HasPrefix(cmd.Args, "localgroup ") && strings.HasSuffix(cmd.Args, " /add") ||
			cmd.Program == "dcomperm" && strings.Contains(cmd.Args, " set ")) {
			grants++
		}
	}
	accounts := steps[actedOnAddrs[1]]
	if len(accounts) < 2 || accounts[len(accounts)-1] != "NODE2: list every grant again and compare" {
		return fmt.Errorf("accounts: %q", accounts)
	}
	for _, step := range accounts[:len(accounts)-1] {
		if line, _, _ := strings.Cut(step, " ("); !ran[line] {
			return fmt.Errorf("accounts: %q did not run", line)
		}
	}
	if grants != len(accounts)-1 {
		return fmt.Errorf("accounts: %d grants ran on NODE2, the steps list %d: %q", grants, len(accounts)-1, accounts)
	}
	if sync := strings.Join(steps[actedOnAddrs[0]], "\n"); !strings.Contains(sync, "NODE1: iissync NODE2 from ") || !ran["NODE1: iissync NODE2"] {
		return fmt.Errorf("sync: %q", steps[actedOnAddrs[0]])
	}
	failover := strings.Join(steps[actedOnAddrs[2]], "\n")
	if !strings.Contains(failover, "move group Web Group from NODE1 to NODE2") || !ran[`NODE2: cluster group "Web Group" /move:NODE2`] {
		return fmt.Errorf("failover: %q", steps[actedOnAddrs[2]])
	}
	return nil
}

// recoverWithKerberos is recoverExample with the Kerberos override and the
// environment getenv gives (nil: the process's), also checking that every command ran as LAB\Administrator (the lab's mapping
// of Administrator@<realm> into its domain).
func (k *kerberosLab) recoverWithKerberos(t *testing.T, override string, mutate func(config.Variables), getenv func(string) string) {
	t.Helper()
	recoverExample(t, k.testLab, map[string]string{"kerberos_override.tf": override}, mutate, getenv,
		k.Check("every command ran as LAB\\Administrator", func() error {
			cmds, err := k.CommandsSince(0)
			if err != nil {
				return err
			}
			if len(cmds) == 0 {
				return fmt.Errorf("the command log is empty")
			}
			for _, c := range cmds {
				if c.User != `LAB\Administrator` {
					return fmt.Errorf("%s ran %s %s as %q", c.Node, c.Program, c.Args, c.User)
				}
			}
			return nil
		}))
}

// The administrator's password, over HTTPS to nodes whose WinRM requires
// channel binding (CbtHardeningLevel=Strict): each AP-REQ carries the
// binding of the node's certificate, or the lab would refuse it.
func TestAccRecoveryKerberos_passwordHTTPSStrictBinding(t *testing.T) {
	t.Parallel()
	k := startKerberosLab(t, lab.Options{CBTHardening: "strict", DisableBasic: true})
	k.recoverWithKerberos(t, k.kerberosOverride(true, fmt.Sprintf("  kdc = [%q]\n", k.info.KDC)), nil, nil)
}

// A keytab of the administrator's (the keys its password makes, as
// `ktutil addent -password` or kadmin's ktadd -norandkey write them), over
// plain HTTP to nodes that refuse unencrypted messages: every message is
// sealed with the Kerberos session key. krb5_conf is the lab's own.
func TestAccRecoveryKerberos_keytabSealedHTTP(t *testing.T) {
	t.Parallel()
	k := startKerberosLab(t, lab.Options{AllowUnencrypted: false, DisableBasic: true})
	ktFile := writeKeytab(t, k.adminKeys(t))
	k.recoverWithKerberos(t, k.kerberosOverride(false, fmt.Sprintf("  keytab    = %q\n  krb5_conf = %q\n", ktFile, k.info.Krb5Conf)),
		func(v config.Variables) { delete(v, "password") }, nil)
}

// The credential cache KRB5CCNAME names, holding the administrator's TGT
// (written here as kinit writes one: krb5test), over HTTPS under strict
// binding: neither username nor password is configured, the cache says who.
func TestAccRecoveryKerberos_ccacheFromKRB5CCNAME(t *testing.T) {
	t.Parallel()
	k := startKerberosLab(t, lab.Options{CBTHardening: "strict", DisableBasic: true})
	conf, err := krbconfig.Load(k.info.Krb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	cl := client.NewWithPassword(lab.AdminUser, k.info.Realm, k.Password, conf, client.DisablePAFXFAST(true))
	cache := filepath.Join(t.TempDir(), "ccache")
	if err := krb5test.WriteTGTCache(cl, k.info.Realm, cache); err != nil {
		t.Fatal(err)
	}
	k.recoverWithKerberos(t, k.kerberosOverride(true, fmt.Sprintf("  kdc = [%q]\n", k.info.KDC)),
		func(v config.Variables) { delete(v, "password"); delete(v, "username") }, ccacheEnv(cache))
}

// ccacheEnv is the environment of an operator who ran kinit into cache and
// exported KRB5CCNAME, with no MSCS_USERNAME or MSCS_PASSWORD: the
// provider's own (injected, so that tests with other caches run in
// parallel).
func ccacheEnv(cache string) func(string) string {
	return func(name string) string {
		switch name {
		case envCCache:
			return "FILE:" + cache
		case envUsername, envPassword:
			return ""
		}
		return os.Getenv(name)
	}
}

// adminKeys is a keytab of the keys the administrator's password makes, one
// per encryption type the lab offers (as `ktutil addent -password` or
// kadmin's ktadd -norandkey write them).
func (k *kerberosLab) adminKeys(t *testing.T) *keytab.Keytab {
	t.Helper()
	kt := keytab.New()
	for _, et := range krb.ETypes {
		if err := kt.AddEntry(lab.AdminUser, k.info.Realm, k.Password, time.Now(), 1, et); err != nil {
			t.Fatal(err)
		}
	}
	return kt
}

func writeKeytab(t *testing.T, kt *keytab.Keytab) string {
	t.Helper()
	data, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "user.keytab")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// gssTokenRe is a Kerberos token in base64, as an Authorization or
// WWW-Authenticate header carries one: DER with a long length, tagged as a
// GSS-API token (0x60: YI), a raw AP-REQ or AP-REP (0x6e, 0x6f: bo, b4), or
// a SPNEGO NegTokenInit or NegTokenResp (0xa0, 0xa1: oI, oY).
var gssTokenRe = regexp.MustCompile(`\b(YI|bo|b4|oI|oY)[E-L][A-Za-z0-9+/]{40,}`)

// expectTokensMatched fails unless gssTokenRe finds the tokens a client
// sends the lab's NODE1: a GSS-API AP-REQ and a SPNEGO NegTokenInit made
// with a real ticket from the lab's KDC.
func (k *kerberosLab) expectTokensMatched(t *testing.T) {
	t.Helper()
	conf, err := krbconfig.Load(k.info.Krb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	cl := client.NewWithPassword(lab.AdminUser, k.info.Realm, k.Password, conf, client.DisablePAFXFAST(true))
	defer cl.Destroy()
	tkt, key, err := cl.GetServiceTicket("HTTP/" + k.lab.Nodes()[0].Host)
	if err != nil {
		t.Fatal(err)
	}
	apReq, err := spnego.NewKRB5TokenAPREQ(cl, tkt, key, []int{gssapi.ContextFlagMutual}, nil)
	if err != nil {
		t.Fatal(err)
	}
	init, err := spnego.NewNegTokenInitKRB5(cl, tkt, key)
	if err != nil {
		t.Fatal(err)
	}
	for what, tok := range map[string]interface{ Marshal() ([]byte, error) }{"AP-REQ": &apReq, "NegTokenInit": &init} {
		data, err := tok.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if b64 := base64.StdEncoding.EncodeToString(data); !gssTokenRe.MatchString("Kerberos " + b64) {
			t.Fatalf("gssTokenRe does not find a %s: %.20s...", what, b64)
		}
	}
}

// With TF_LOG=TRACE, a whole recovery under auth = "kerberos" from the
// password, sealed over plain HTTP, leaves the provider's log with its
// commands but without the password, any key the password makes, or any
// token (ticket, authenticator, AP-REP) that went over the wire. In a
// process of its own: TF_LOG is the process's environment.
func TestAccRecoveryKerberos_traceLogHoldsNoSecret(t *testing.T) {
	if ownProcess(t) {
		return
	}
	k := startKerberosLab(t, lab.Options{AllowUnencrypted: false, DisableBasic: true})
	k.expectTokensMatched(t)
	logFile := filepath.Join(t.TempDir(), "provider.log")
	setProcessEnv(t, "TF_LOG", "TRACE", "TF_LOG_PATH", logFile)
	k.recoverWithKerberos(t, k.kerberosOverride(false, fmt.Sprintf("  kdc = [%q]\n", k.info.KDC)), nil, nil)
	logs := warningsLogged(t, logFile)
	if !strings.Contains(logs, "node=NODE2") || !strings.Contains(logs, "msdtc") {
		t.Fatalf("the provider's TRACE log %s does not show the recovery's commands", logFile)
	}
	secrets := map[string]string{"the password": k.Password}
	for _, e := range k.adminKeys(t).Entries {
		name := fmt.Sprintf("the key of etype %d", e.Key.KeyType)
		secrets[name+" (hex)"] = hex.EncodeToString(e.Key.KeyValue)
		secrets[name+" (base64)"] = base64.StdEncoding.EncodeToString(e.Key.KeyValue)
	}
	for what, s := range secrets {
		if strings.Contains(strings.ToLower(logs), strings.ToLower(s)) {
			t.Errorf("%s appears in the provider's TRACE log %s", what, logFile)
		}
	}
	if m := gssTokenRe.FindString(logs); m != "" {
		t.Errorf("a Kerberos token appears in the provider's TRACE log %s: %.40s...", logFile, m)
	}
}
