package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Every configuration a user may copy from README.md, docs/ and examples/ is
// valid as it stands: `terraform validate` with the provider built from this
// tree accepts it. A block without a provider block (a resource's example) is
// a fragment by design and is checked inside a wrapper that configures the
// provider; a block that builds on another file says so with a marker on the
// line before it, `<!-- validate-with: examples/.../resource.tf -->`, and is
// checked together with that file. A block that configures the provider must
// also say where the provider comes from (terraform { required_providers }),
// or Terraform looks for hashicorp/mscs.
func TestDocsConfigurationsValidate(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("runs terraform: set TF_ACC=1 (make test does)")
	}
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		tf = "terraform"
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "terraform-provider-mscs"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
	rc := filepath.Join(t.TempDir(), "terraformrc")
	writeFile(t, rc, "provider_installation {\n  dev_overrides {\n    \"mscs-ops/mscs\" = \""+bin+"\"\n  }\n  direct {}\n}\n")
	ca := testCA(t)

	blocks := markdownBlocks(t, "README.md")
	docs, err := filepath.Glob("docs/*/*.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append([]string{"docs/index.md"}, docs...) {
		blocks = append(blocks, markdownBlocks(t, f)...)
	}
	blocks = append(blocks, exampleModules(t)...)
	if len(blocks) < 10 {
		t.Fatalf("found only %d configurations to check", len(blocks))
	}
	for _, b := range blocks {
		t.Run(b.where, func(t *testing.T) {
			t.Parallel() // a folder of its own; -parallel bounds how many terraforms run at once
			dir := t.TempDir()
			main := b.text
			if !strings.Contains(b.text, `provider "mscs"`) {
				main = fragmentWrapper + b.with + "\n" + b.text
			} else if !strings.Contains(b.text, "required_providers") && !b.module {
				t.Fatalf("configures the provider but does not say where it comes from: add\n%s", requiredProviders)
			}
			for name, text := range b.files {
				writeFile(t, filepath.Join(dir, name), text)
			}
			writeFile(t, filepath.Join(dir, "main.tf"), main)
			writeFile(t, filepath.Join(dir, "lab-ca.pem"), ca)
			cmd := exec.Command(tf, "validate", "-no-color")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("terraform validate: %v\n%s\n--- main.tf:\n%s", err, out, main)
			}
		})
	}
}

const requiredProviders = `terraform {
  required_providers {
    mscs = {
      source = "mscs-ops/mscs"
    }
  }
}
`

// fragmentWrapper configures the provider for a fragment.
const fragmentWrapper = requiredProviders + `
provider "mscs" {
  nodes = {
    NODE1 = { endpoint = "https://node1.lab.example:5986/wsman" }
    NODE2 = { endpoint = "https://node2.lab.example:5986/wsman" }
  }
  username = "LAB\\Administrator"
}
`

// block is one configuration to validate.
type block struct {
	where string
	text  string
	with  string // another file's configuration the block builds on
	// module: a folder of .tf files, main.tf among files, checked as a whole.
	module bool
	files  map[string]string
}

var (
	fenceRe  = regexp.MustCompile("(?ms)^(?:<!-- validate-with: (\\S+) -->\\n)?```(?:hcl|terraform)\\n(.*?)^```")
	markerRe = regexp.MustCompile(`<!-- validate-with: (\S+) -->`)
)

func markdownBlocks(t *testing.T, file string) []block {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []block
	for i, m := range fenceRe.FindAllStringSubmatch(string(data), -1) {
		b := block{where: strings.ReplaceAll(file, "/", "_") + "#" + string(rune('1'+i)), text: m[2]}
		if m[1] != "" {
			with, err := os.ReadFile(m[1])
			if err != nil {
				t.Fatalf("%s: validate-with %s: %v", file, m[1], err)
			}
			b.with = string(with)
		}
		out = append(out, b)
	}
	if n := len(markerRe.FindAllString(string(data), -1)); n > 0 && n > countWith(out) {
		t.Fatalf("%s: a validate-with marker is not on the line right before a block", file)
	}
	return out
}

func countWith(bs []block) int {
	n := 0
	for _, b := range bs {
		if b.with != "" {
			n++
		}
	}
	return n
}

// exampleModules are the folders of examples/: each a configuration of its
// own (a resource's example is a fragment; examples/recovery a module).
func exampleModules(t *testing.T) []block {
	t.Helper()
	var out []block
	err := filepath.WalkDir("examples", func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		tfs, _ := filepath.Glob(filepath.Join(path, "*.tf"))
		if len(tfs) == 0 {
			return nil
		}
		b := block{where: strings.ReplaceAll(path, "/", "_"), files: map[string]string{}}
		for _, f := range tfs {
			data, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if filepath.Base(f) == "main.tf" || len(tfs) == 1 {
				b.text = string(data)
				continue
			}
			b.files[filepath.Base(f)] = string(data)
		}
		b.module = len(b.files) > 0
		out = append(out, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// testCA is a self-signed certificate for the snippets that read lab-ca.pem.
func testCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "docs test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
