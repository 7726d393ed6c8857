// Package labtest is what tests share to run against the lab emulator (or a
// real lab named by MSCS_LAB_*): a lab started for the test (Start), a ready
// WinRM client for one of its nodes (Lab.Client), the world's typed snapshot
// (Lab.Snapshot), one copy of the classifiers that read the command log (KB
// steps, read-only commands), and the lab's state checks as
// statecheck.StateChecks, one per file (check_*.go), for acceptance test
// steps.
//
// It is test-only: it imports the lab and the transport, never the provider
// or nodeops, so both can test with it.
package labtest
