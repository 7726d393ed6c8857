#!/usr/bin/env bash
# make docs TF_CLIENT=tofu: the provider's schema, as `tofu providers schema
# -json` prints it, into the file named by $1, for tfplugindocs
# --providers-schema. tfplugindocs asks only the terraform on PATH for it, and
# looks it up under registry.terraform.io/hashicorp/mscs; OpenTofu names the
# same provider registry.opentofu.org/hashicorp/mscs, so the key is renamed.
# Nothing is downloaded: init takes the provider built here from -plugin-dir.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
TERRAFORM=${TERRAFORM:-terraform}
host=${TF_ACC_PROVIDER_HOST:-registry.terraform.io}
schema=$1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
plugin="$work/plugins/$host/hashicorp/mscs/0.0.1/$(go env GOOS)_$(go env GOARCH)"
(cd "$root" && go build -o "$plugin/terraform-provider-mscs" .)
printf 'provider "mscs" {}\n' >"$work/provider.tf"
cd "$work"
export TF_IN_AUTOMATION=1 TF_CLI_CONFIG_FILE="$work/none.tfrc"
: >"$TF_CLI_CONFIG_FILE"
if ! log=$("$TERRAFORM" init -input=false -backend=false -plugin-dir=./plugins 2>&1); then
  echo "$log" >&2
  exit 1
fi
"$TERRAFORM" providers schema -json >schema.json
key="\"$host/hashicorp/mscs\":"
grep -qF "$key" schema.json || { echo "$TERRAFORM providers schema -json: no $key in its output" >&2; exit 1; }
sed "s#$key#\"registry.terraform.io/hashicorp/mscs\":#" schema.json >"$schema"
