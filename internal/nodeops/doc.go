// Package nodeops holds typed operations on a node and its cluster: what the
// KB Q241573 procedure does to a node, as Go calls. It has no Terraform types.
//
// Every value that goes into a command line passes through Quote (quote.go),
// the one quoting function; ValidateArg is what plan-time validators call so
// that a value Quote would refuse never reaches a node. A program named by a
// quoted path runs through programLine, whose parentheses keep its quotes
// under cmd's /C rule (a line that starts with a quote is never sent). Each
// tool's parser sits
// next to the operations that run the tool:
//
//   - service.go: sc query / qc / config / start / stop, WaitForState;
//   - cluster.go: cluster.exe node, group and resource listings, /prop,
//     /listowners, group moves;
//   - cluster_membership.go: a node's state as the cluster sees it, asked
//     through whichever node can answer, and the wait for a node to join;
//   - node_info.go: reg query (OS, service pack, Option Pack components),
//     Info and OptionPackState for the mscs_node data source;
//   - reboot.go: shutdown, and the wait for the node to come back rebooted
//     (boot time from net statistics workstation), which also judges a
//     shutdown whose answer was lost;
//   - identity.go: who answers at an endpoint (computer name and cluster
//     name from the registry), for the provider's check that a machine is
//     the node meant before its first command;
//   - lock.go: a run's lock on a node (an atomic mkdir), so two applies never
//     interleave, with stale locks set aside (an atomic REN) and taken over
//     by the one run whose mkdir succeeds;
//   - optionpack.go: the KB's Option Pack sequence (media checked, node
//     locked, the cluster service stopped and confirmed STOPPED (never on
//     the only node Up unless allowed), Remove All, setup, service pack,
//     reboots), resumable through a journal file on the node; ReadyToJoin
//     for whoever starts the cluster service after it.
//
// The phase layer, what a new KB phase builds on:
//
//   - Cluster (cluster_membership.go): both nodes and a poll interval. It
//     asks whichever node answers (Through, NodeState, StopImpact, Read),
//     waits for a node to join (WaitForJoin) and for a group to come online
//     where it was moved (MoveGroup: each of its resources read Online
//     there, twice, never cluster.exe's exit code or the group's line).
//   - Tools (tools.go): each phase's programs, looked for on the node
//     (MissingTools, CheckTools) in its facts or checks before its first
//     change, and by the provider's plan; a missing one names where an
//     administrator gets it.
//   - Safety rule 6 (hold.go): a phase that moves groups records on the
//     working node each resource's RestartAction and each group's owner
//     before its first change, turns "Affect the group" off, and every
//     later run restores from that record, deleted once read back.
//   - Phase / RunPhase (phase.go): a phase that changes a node is a list of
//     check-before-act steps, locked (lock.go) and resumable through a
//     journal per phase and node; Check runs read-only before the first
//     change, Prepare on every run, and a step says what comes next
//     (Continue, SkipThrough, Again) instead of moving an index.
//   - Reads that a step needs together go out as one command line
//     (readBatch, batch.go): each command costs three WS-Management
//     messages, so a check reads the node once. Each part comes back as the
//     Result it would have had alone (its exit code read from its tool's
//     own failure line) and is checked with checkPart as run checks a
//     command.
//   - run takes the tool's own exit-code meanings (Codes): Win32 for most,
//     the tool's table where its codes mean something else (IISSYNC,
//     msdtc), and a tool that always exits 0 is judged by reading back.
//   - A phase's plan is a pure function of facts read read-only (as
//     PlanInstall, ServiceSteps): the provider lists it in the plan, and a
//     test holds it against the lab's command log.
//   - service_converge.go: mscs_cluster_node_service's converge.
//
// Failures are *StepError values that name the node, the step, the command,
// the exit code and its meaning, and read well as Terraform diagnostics.
// Polling loops select on ctx.Done(), so callers bound them with deadlines.
package nodeops
