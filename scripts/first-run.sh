#!/usr/bin/env bash
# make first-run: README.md's "Use it on your cluster", step by step, in a
# fresh folder, against a lab cluster instead of yours: make install, a folder
# with examples/recovery, terraform.tfvars for the nodes, MSCS_PASSWORD,
# terraform init, plan, apply (or tofu's: TF_CLIENT=tofu). HOME is a temporary
# folder, so the install lands in its ~/.terraform.d/plugins and no CLI
# configuration of yours is read.
# Fails unless the apply recovers the node with zero safety incidents, a
# second plan is empty, and so is the plan after importing every resource of
# examples/recovery into a fresh state.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$root/bin}
# The client: terraform, or tofu (make first-run TF_CLIENT=tofu); the steps
# are named after it.
TERRAFORM=${TERRAFORM:-terraform}
tf=$(basename "$TERRAFORM")
SCENARIO=${SCENARIO:-rebuilt-node}

# shellcheck source=lab.sh
. "$root/scripts/lab.sh" first-run

# Go keeps its caches where they are; everything else follows the new HOME.
GOPATH=$(go env GOPATH) GOCACHE=$(go env GOCACHE) GOMODCACHE=$(go env GOMODCACHE)
export GOPATH GOCACHE GOMODCACHE
export HOME="$work/home" TF_IN_AUTOMATION=1
unset TF_CLI_CONFIG_FILE TF_PLUGIN_CACHE_DIR
mkdir -p "$HOME"

step "A lab cluster stands in for yours (scenario: $SCENARIO)"
start_lab "$SCENARIO"

step "1. make install"
make -C "$root" --no-print-directory install

step "2. a folder with examples/recovery"
mkdir "$HOME/recovery"
cp "$root"/examples/recovery/*.tf "$HOME/recovery/"
cd "$HOME/recovery"

step "3. terraform.tfvars for the nodes (here: the lab's), the password in MSCS_PASSWORD"
"$BIN/mscs-lab" tfvars --ready-file "$work/lab.json" >terraform.tfvars.json
MSCS_PASSWORD=$("$BIN/mscs-lab" password --ready-file "$work/lab.json")
export MSCS_PASSWORD

step "4. $tf init"
"$TERRAFORM" init -input=false

step "5. $tf plan"
"$TERRAFORM" plan -input=false -out=recovery.tfplan

step "6. $tf apply"
"$TERRAFORM" apply -input=false recovery.tfplan

step "$tf plan again: nothing left to do"
"$TERRAFORM" plan -input=false -detailed-exitcode

step "Beyond the README: import every resource into a fresh state; apply only records their triggers; the plan after changes nothing"
"$TERRAFORM" state rm mscs_optionpack_install.rebuilt mscs_cluster_node_service.rebuilt mscs_msdtc_clustered.rebuilt \
  mscs_iis_metabase_sync.rebuilt mscs_iis_cluster_accounts.rebuilt
"$TERRAFORM" import -input=false mscs_optionpack_install.rebuilt NODE2
"$TERRAFORM" import -input=false mscs_cluster_node_service.rebuilt NODE2/ClusSvc
"$TERRAFORM" import -input=false mscs_msdtc_clustered.rebuilt NODE2
"$TERRAFORM" import -input=false mscs_iis_metabase_sync.rebuilt NODE1/NODE2
"$TERRAFORM" import -input=false mscs_iis_cluster_accounts.rebuilt NODE2
# Import cannot know a phase's triggers (configuration only): setting them on
# an imported phase is an in-place update that runs nothing on the nodes.
"$TERRAFORM" apply -input=false -auto-approve
"$TERRAFORM" plan -input=false -detailed-exitcode

step "What the lab saw"
report=$("$BIN/mscs-lab" report --ready-file "$work/lab.json")
echo "$report"
grep -q "Incidents (safety rule violations): 0" <<<"$report" || { echo "the lab recorded incidents" >&2; exit 1; }
