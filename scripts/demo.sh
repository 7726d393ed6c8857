#!/usr/bin/env bash
# make demo: run examples/recovery against a freshly started lab, the way an
# operator would run it against their cluster, and show what the lab saw.
#
# Everything lives in a temporary folder: the lab's CA and ready file, a copy of
# the example, and a Terraform CLI config whose dev_overrides point at ./bin (the
# user's own ~/.terraformrc is never read or written).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$root/bin}
# The client: terraform, or tofu (make demo TF_CLIENT=tofu); the steps
# are named after it.
TERRAFORM=${TERRAFORM:-terraform}
tf=$(basename "$TERRAFORM")
SCENARIO=${SCENARIO:-rebuilt-node}

# shellcheck source=lab.sh
. "$root/scripts/lab.sh" demo

step "Starting a lab cluster (scenario: $SCENARIO)"
start_lab "$SCENARIO"
cat "$work/lab.log"

step "Pointing $tf at the local build ($BIN)"
cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "mscs-ops/mscs" = "$BIN"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc"
export TF_IN_AUTOMATION=1
mkdir -p "$work/recovery"
cp "$root"/examples/recovery/*.tf "$work/recovery/"
# Endpoints and the CA file go into tfvars; the password only into the
# environment, as an operator would pass it.
"$BIN/mscs-lab" tfvars --ready-file "$work/lab.json" >"$work/recovery/terraform.tfvars.json"
MSCS_PASSWORD=$("$BIN/mscs-lab" password --ready-file "$work/lab.json")
export MSCS_PASSWORD
cd "$work/recovery"

step "$tf plan (examples/recovery)"
"$TERRAFORM" plan -input=false

step "$tf apply"
"$TERRAFORM" apply -input=false -auto-approve

step "$tf plan again: nothing left to do"
"$TERRAFORM" plan -input=false -detailed-exitcode && echo "No changes."

step "What the lab saw"
"$BIN/mscs-lab" report --ready-file "$work/lab.json"
