package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
)

// serve's Kerberos and channel binding flags reach the lab and its ready
// file; bad combinations are usage errors.
func TestServeKerberosFlags(t *testing.T) {
	kdcLab, err := lab.Start(context.Background(), lab.Options{Scenario: "healthy", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer kdcLab.Close()
	keytab := kdcLab.KerberosInfo().Keytab

	ready := filepath.Join(t.TempDir(), "lab.json")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var errOut bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--ready-file", ready, "--cbt-hardening", "strict", "--krb5-keytab", keytab, "--krb5-realm", "LAB.TEST"}, &bytes.Buffer{}, &errOut)
	}()
	var info lab.ReadyInfo
	for {
		if _, err := os.Stat(ready); err == nil {
			if info, err = lab.ReadReadyFile(ready); err == nil {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if info.CBTHardening != "strict" || info.Kerberos == nil || info.Kerberos.Keytab != keytab || info.Kerberos.Realm != "LAB.TEST" || info.Kerberos.KDC != "" || info.Nodes[0].Host != "node1.lab.test" {
		t.Fatalf("ready file: %+v %+v", info, info.Kerberos)
	}

	for _, args := range [][]string{
		{"serve", "--cbt-hardening", "loose"},
		{"serve", "--krb5-keytab", keytab},
		{"serve", "--krb5-realm", "LAB.TEST"},
	} {
		if err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{}); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}
