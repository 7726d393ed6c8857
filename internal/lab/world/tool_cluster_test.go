package world

import (
	"strings"
	"testing"
)

const groupsHeader = "Listing status for all available resource groups:\r\n\r\n" +
	"Group                Node            Status\r\n" +
	"-------------------- --------------- ------\r\n"

func TestClusterNodeListing(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	want := "Listing status for all available nodes:\r\n\r\n" +
		"Node           Node ID Status\r\n" +
		"-------------- ------- ---------------------\r\n" +
		"NODE1                1 Up\r\n" +
		"NODE2                2 Up\r\n"
	expect(t, run(t, w, "NODE1", "cluster node"), want, 0)
	expect(t, run(t, w, "NODE1", "cluster node /status"), want, 0)
	expect(t, run(t, w, "NODE2", "cluster /cluster:CLUSTER1 node"), want, 0)
	expect(t, run(t, w, "NODE2", "cluster CLUSTER1 node"), want, 0)
	expect(t, run(t, w, "NODE2", "cluster node node2 /status"), "Listing status for node 'NODE2':\r\n\r\n"+
		"Node           Node ID Status\r\n"+
		"-------------- ------- ---------------------\r\n"+
		"NODE2                2 Up\r\n", 0)
	r := run(t, w, "NODE1", "cluster node NODE3")
	if r.code != 5042 || r.err != "System error 5042 has occurred (0x000013b2).\r\nThe cluster node was not found.\r\n" {
		t.Errorf("unknown node: %+v", r)
	}
}

func TestClusterFailsWithRPCErrorWithoutLocalClusterService(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	run(t, w, "NODE2", "net stop ClusSvc")
	const rpc = "System error 1722 has occurred (0x000006ba).\r\nThe RPC server is unavailable.\r\n"
	for _, line := range []string{"cluster node", "cluster group", `cluster res "MSDTC" /prop`, "cluster NODE2 node", "cluster /cluster:NOSUCH node"} {
		r := run(t, w, "NODE2", line)
		if r.code != 1722 || r.err != rpc || r.out != "" {
			t.Errorf("%s: %+v", line, r)
		}
	}
	// Through the cluster's name or the other node it still answers.
	if r := run(t, w, "NODE2", "cluster /cluster:CLUSTER1 node NODE2"); r.code != 0 || !strings.HasSuffix(r.out, "NODE2                2 Down\r\n") {
		t.Errorf("via the cluster name: %+v", r)
	}
	if r := run(t, w, "NODE2", "cluster NODE1 node NODE2"); r.code != 0 {
		t.Errorf("via NODE1: %+v", r)
	}
}

func TestClusterGroupListing(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE2", "cluster group"), groupsHeader+
		"Cluster Group        NODE1           Online\r\n"+
		"Web Group            NODE1           Online\r\n", 0)
	expect(t, run(t, w, "NODE2", `cluster group "Web Group" /status`), "Listing status for resource group 'Web Group':\r\n\r\n"+
		"Group                Node            Status\r\n"+
		"-------------------- --------------- ------\r\n"+
		"Web Group            NODE1           Online\r\n", 0)
	r := run(t, w, "NODE2", `cluster group "No Group"`)
	if r.code != 5013 || r.err != "System error 5013 has occurred (0x00001395).\r\nThe cluster group could not be found.\r\n" {
		t.Errorf("unknown group: %+v", r)
	}
}

func TestClusterResourceListing(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", "cluster res"), "Listing status for all available resources:\r\n\r\n"+
		"Resource             Group                Node            Status\r\n"+
		"-------------------- -------------------- --------------- ------\r\n"+
		"Cluster IP Address   Cluster Group        NODE1           Online\r\n"+
		"Cluster Name         Cluster Group        NODE1           Online\r\n"+
		"Disk Q:              Cluster Group        NODE1           Online\r\n"+
		"Web IP Address       Web Group            NODE1           Online\r\n"+
		"WEBVS                Web Group            NODE1           Online\r\n"+
		"Disk S:              Web Group            NODE1           Online\r\n"+
		"Web Server           Web Group            NODE1           Online\r\n"+
		"FTP Server           Web Group            NODE1           Online\r\n"+
		"MSDTC                Web Group            NODE1           Online\r\n", 0)
	expect(t, run(t, w, "NODE1", `cluster resource "MSDTC" /status`), "Listing status for resource 'MSDTC':\r\n\r\n"+
		"Resource             Group                Node            Status\r\n"+
		"-------------------- -------------------- --------------- ------\r\n"+
		"MSDTC                Web Group            NODE1           Online\r\n", 0)
	r := run(t, w, "NODE1", `cluster res "Nope"`)
	if r.code != 5007 || r.err != "System error 5007 has occurred (0x0000138f).\r\nThe cluster resource could not be found.\r\n" {
		t.Errorf("unknown resource: %+v", r)
	}
}

func TestClusterResourcePropertiesListAndSet(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	want := func(restartAction string) string {
		return "Listing properties for 'MSDTC':\r\n\r\n" +
			"T  Resource             Name                           Value\r\n" +
			"-- -------------------- ------------------------------ -----------------------\r\n" +
			"R  MSDTC                Name                           MSDTC\r\n" +
			"R  MSDTC                Type                           Distributed Transaction Coordinator\r\n" +
			"   MSDTC                Description                    \r\n" +
			"   MSDTC                SeparateMonitor                0 (0x0)\r\n" +
			"R  MSDTC                PersistentState                1 (0x1)\r\n" +
			"   MSDTC                LooksAlivePollInterval         5000 (0x1388)\r\n" +
			"   MSDTC                IsAlivePollInterval            60000 (0xea60)\r\n" +
			"   MSDTC                RestartAction                  " + restartAction + "\r\n" +
			"   MSDTC                RestartThreshold               3 (0x3)\r\n" +
			"   MSDTC                RestartPeriod                  900000 (0xdbba0)\r\n" +
			"   MSDTC                PendingTimeout                 180000 (0x2bf20)\r\n"
	}
	expect(t, run(t, w, "NODE1", `cluster res "MSDTC" /prop`), want("2 (0x2)"), 0)
	expect(t, run(t, w, "NODE1", `cluster res "MSDTC" /prop RestartAction=1`), "", 0)
	expect(t, run(t, w, "NODE2", `cluster resource MSDTC /properties`), want("1 (0x1)"), 0)
	expect(t, run(t, w, "NODE1", `cluster res "MSDTC" /prop RestartAction=0x2 RestartThreshold=5`), "", 0)
	r := run(t, w, "NODE1", `cluster res "MSDTC" /prop`)
	if !strings.Contains(r.out, "RestartAction                  2 (0x2)\r\n") || !strings.Contains(r.out, "RestartThreshold               5 (0x5)\r\n") {
		t.Errorf("after setting two properties:\n%s", r.out)
	}
	expect(t, run(t, w, "NODE1", `cluster res "MSDTC" /prop Description="Transaction coordinator"`), "", 0)
	if r := run(t, w, "NODE1", `cluster res "MSDTC" /prop`); !strings.Contains(r.out, "   MSDTC                Description                    Transaction coordinator\r\n") {
		t.Errorf("description:\n%s", r.out)
	}
}

func TestClusterResourcePropertyErrorsChangeNothing(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	const invalid = "System error 87 has occurred (0x00000057).\r\nThe parameter is incorrect.\r\n"
	for _, line := range []string{
		`cluster res "MSDTC" /prop RestartAction=0 RestartAction=3`,
		`cluster res "MSDTC" /prop RestartAction=0 Bogus=1`,
		`cluster res "MSDTC" /prop RestartAction=0 Name=X`,
		`cluster res "MSDTC" /prop RestartAction=0 RestartThreshold=many`,
		`cluster res "MSDTC" /prop RestartAction`,
	} {
		r := run(t, w, "NODE1", line)
		if r.code != 87 || r.err != invalid {
			t.Errorf("%s: %+v", line, r)
		}
	}
	if r := run(t, w, "NODE1", `cluster res "MSDTC" /prop`); !strings.Contains(r.out, "RestartAction                  2 (0x2)") {
		t.Errorf("a rejected /prop changed RestartAction:\n%s", r.out)
	}
}

func TestClusterPrivateProperties(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", `cluster res "Web Server" /priv`), "Listing properties for 'Web Server':\r\n\r\n"+
		"T  Resource             Name                           Value\r\n"+
		"-- -------------------- ------------------------------ -----------------------\r\n"+
		"   Web Server           InstanceId                     1\r\n"+
		"   Web Server           ServiceName                    W3SVC\r\n", 0)
}

func TestClusterGroupPropertiesAndOwners(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", `cluster group "Web Group" /prop`), "Listing properties for 'Web Group':\r\n\r\n"+
		"T  Group                Name                           Value\r\n"+
		"-- -------------------- ------------------------------ -----------------------\r\n"+
		"R  Web Group            Name                           Web Group\r\n"+
		"   Web Group            Description                    \r\n"+
		"R  Web Group            PersistentState                1 (0x1)\r\n"+
		"   Web Group            FailoverThreshold              10 (0xa)\r\n"+
		"   Web Group            FailoverPeriod                 6 (0x6)\r\n"+
		"   Web Group            AutoFailbackType               0 (0x0)\r\n"+
		"   Web Group            FailbackWindowStart            4294967295 (0xffffffff)\r\n"+
		"   Web Group            FailbackWindowEnd              4294967295 (0xffffffff)\r\n", 0)
	expect(t, run(t, w, "NODE1", `cluster group "Web Group" /prop FailoverThreshold=4`), "", 0)
	if r := run(t, w, "NODE1", `cluster group "Web Group" /prop`); !strings.Contains(r.out, "FailoverThreshold              4 (0x4)") {
		t.Errorf("FailoverThreshold not set:\n%s", r.out)
	}
	expect(t, run(t, w, "NODE1", `cluster group "Web Group" /listowners`), "Listing preferred owners for resource group 'Web Group':\r\n\r\n"+
		"Preferred Owner Nodes\r\n"+
		"---------------------\r\n"+
		"NODE1\r\n"+
		"NODE2\r\n", 0)
	expect(t, run(t, w, "NODE1", `cluster group "Web Group" /setowners:NODE2,NODE1`), "", 0)
	if r := run(t, w, "NODE1", `cluster group "Web Group" /listowners`); !strings.HasSuffix(r.out, "NODE2\r\nNODE1\r\n") {
		t.Errorf("owners not set:\n%s", r.out)
	}
	if r := run(t, w, "NODE1", `cluster group "Web Group" /setowners:NODE2,NODE5`); r.code != 5042 {
		t.Errorf("setowners with an unknown node: %+v", r)
	}
	expect(t, run(t, w, "NODE1", `cluster res "MSDTC" /listowners`), "Listing possible owners for resource 'MSDTC':\r\n\r\n"+
		"Possible Owner Nodes\r\n"+
		"--------------------\r\n"+
		"NODE1\r\n"+
		"NODE2\r\n", 0)
}

func TestClusterGroupMoveOnlineOffline(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", `cluster group "Web Group" /move:NODE2 /wait:60`), "Moving resource group 'Web Group'...\r\n\r\n"+
		"Group                Node            Status\r\n"+
		"-------------------- --------------- ------\r\n"+
		"Web Group            NODE2           Online\r\n", 0)
	expect(t, run(t, w, "NODE1", `cluster group "Web Group" /move`), "Moving resource group 'Web Group'...\r\n\r\n"+
		"Group                Node            Status\r\n"+
		"-------------------- --------------- ------\r\n"+
		"Web Group            NODE1           Online\r\n", 0)
	expect(t, run(t, w, "NODE1", `cluster group "Web Group" /offline`), "Taking resource group 'Web Group' offline...\r\n\r\n"+
		"Group                Node            Status\r\n"+
		"-------------------- --------------- ------\r\n"+
		"Web Group            NODE1           Offline\r\n", 0)
	expect(t, run(t, w, "NODE1", `cluster group "Web Group" /online:NODE2`), "Bringing resource group 'Web Group' online...\r\n\r\n"+
		"Group                Node            Status\r\n"+
		"-------------------- --------------- ------\r\n"+
		"Web Group            NODE2           Online\r\n", 0)
	if r := run(t, w, "NODE1", `cluster group "Web Group" /move:NODE9`); r.code != 5042 {
		t.Errorf("move to unknown node: %+v", r)
	}
	if r := run(t, w, "NODE1", `cluster group "Web Group" /frobnicate`); r.code != 87 {
		t.Errorf("unknown option: %+v", r)
	}
}

func TestClusterResourceOnlineOfflineFail(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", `cluster res "Disk S:" /offline /wait`), "Taking resource 'Disk S:' offline...\r\n\r\n"+
		"Resource             Group                Node            Status\r\n"+
		"-------------------- -------------------- --------------- ------\r\n"+
		"Disk S:              Web Group            NODE1           Offline\r\n", 0)
	// Its dependents went offline first.
	expect(t, run(t, w, "NODE1", "cluster group"), groupsHeader+
		"Cluster Group        NODE1           Online\r\n"+
		"Web Group            NODE1           Partially Online\r\n", 0)
	expect(t, run(t, w, "NODE1", `cluster res "MSDTC" /online /wait`), "Bringing resource 'MSDTC' online...\r\n\r\n"+
		"Resource             Group                Node            Status\r\n"+
		"-------------------- -------------------- --------------- ------\r\n"+
		"MSDTC                Web Group            NODE1           Online\r\n", 0)
	if r := run(t, w, "NODE1", `cluster res "Disk S:"`); !strings.HasSuffix(r.out, "NODE1           Online\r\n") {
		t.Errorf("dependency not brought online with MSDTC:\n%s", r.out)
	}
	if r := run(t, w, "NODE1", `cluster res "Web Server" /offline`); r.code != 0 {
		t.Fatal(r)
	}
	if r := run(t, w, "NODE1", `cluster res "Web Server" /fail`); r.code != 5023 {
		t.Errorf("failing an offline resource: %+v", r)
	}
}

// `cluster res /prop` with no resource lists every resource's common
// properties in one table; the Resource column names each row's resource.
func TestClusterResourcePropertiesOfAll(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	r := run(t, w, "NODE1", "cluster res /prop")
	if r.code != 0 || !strings.HasPrefix(r.out, "Listing properties for all resources:\r\n\r\nT  Resource             Name") {
		t.Fatalf("%+v", r)
	}
	one := run(t, w, "NODE1", `cluster res "MSDTC" /prop`).out
	_, rows, _ := strings.Cut(one, "-----------------------\r\n")
	if !strings.Contains(r.out, rows) {
		t.Errorf("MSDTC's rows are not in the listing of all:\n%s", r.out)
	}
	if got := strings.Count(r.out, " RestartAction "); got != len(w.State().Cluster.Resources) {
		t.Errorf("%d RestartAction rows for %d resources", got, len(w.State().Cluster.Resources))
	}
	if r := run(t, w, "NODE1", "cluster res /prop RestartAction=1"); r.code == 0 {
		t.Errorf("setting a property of every resource at once: %+v", r)
	}
}
