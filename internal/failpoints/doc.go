// Package failpoints holds the failure-injection test of the whole recovery
// (issue 24): examples/recovery run by a real terraform process with the
// provider binary, a failure injected at each command of the recovery that
// changes a node or the cluster, then `terraform apply` again, unchanged,
// which must finish the recovery and leave the cluster as it was found.
//
// Three kinds of failure, each at every such command:
//
//   - exit: the command fails with an exit code (the lab's "exit" fault);
//   - lost: the command runs, and its answer is lost on the wire (the lab's
//     "lost" fault);
//   - kill: Terraform and the provider are killed (SIGKILL) as soon as the
//     lab has logged the command.
//
// `make test` runs a sample (the first and the last change of every phase,
// the kinds taken in turn); `make failpoints` (MSCS_FAILPOINTS=all) runs
// every point and writes the summary to MSCS_FAILPOINTS_REPORT.
//
// The package has no code of its own: the test is in failpoints_test.go.
package failpoints
