// Package nodeops holds typed operations on a node and its cluster: what the
// KB Q241573 procedure does to a node, as Go calls. It has no Terraform types.
//
// Where things are:
//
//   - node.go, quote.go, errors.go, files.go: a Node runs one command line
//     (run, with the tool's exit-code meanings, Codes) or a batch of reads
//     (readBatch, batch.go); every value in a command line passes through
//     Quote; failures are *StepError (node, step, command, exit code,
//     meaning) or *SpecError (a setting that does not fit, by attribute).
//     errors.go also holds the sentinel errors several files or the
//     provider tell apart, Unreachable, and the tools' failure lines that
//     several files read (cmd's and net's are in node.go).
//   - Reads shared within one Terraform operation (issue 27): the
//     ReadCache, SharedReads and FreshReads (facts_cache.go), which
//     readBatch answers from (sharedBatch, batch.go); Prefetch
//     (facts_prefetch.go) fills it for a plan: its readers run collecting
//     (collect, facts_cache.go), and what they ask for is sent at once.
//     Every wait reads fresh and polls with a growing interval (wait.go).
//   - One file per tool's parser beside the operations that run it:
//     service.go (sc), cluster.go (cluster.exe listings), node_info.go
//     (reg query), reboot.go (shutdown, boot time), identity.go (who
//     answers at an endpoint), accounts_parse.go, metabase.go (adsutil).
//   - Cluster (cluster_membership.go): both nodes; asks whichever answers,
//     waits for a node to join and for a moved group's resources to read
//     Online on the target, twice.
//   - The phases, each as facts (read-only), plan (a pure function of the
//     facts: the steps in words, held by tests against the lab's command
//     log) and run: optionpack.go, optionpack_plan.go, optionpack_run.go;
//     msdtc.go, msdtc_plan.go, msdtc_run.go; metabase.go; accounts.go;
//     failover.go (its checks of the nodes before the test included);
//     service_converge.go.
//   - What every phase that changes a node builds on: Phase and RunPhase
//     (phase.go: check-before-act steps, resumable through a journal on the
//     node; the reinstall policies), its lock (lock.go), its tools checked
//     before the first change (tools.go), and safety rule 6's record of
//     what a move changes (hold.go), restored by every later run.
//
// Polling loops select on ctx.Done(), so callers bound them with deadlines.
package nodeops
