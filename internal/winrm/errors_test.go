package winrm

import (
	"errors"
	"testing"
)

// A fault as Windows sends it (shell not found on Receive), header included:
// the header's MessageID must not be taken for the fault's Message.
const windowsFault = `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action><a:MessageID>uuid:4DB571F9-F2F3-4F1E-8F4B-0F6F2C9B3B11</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>uuid:2A4E1C8B-9C46-4F21-A3C7-2E0C1F0C7E55</a:RelatesTo></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:InvalidSelectors</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot process the request because the request contained invalid selectors for the resource. </s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858843" Machine="node2"><f:Message>The request for the Windows Remote Shell with ShellId 1A2B failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation. </f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`

func TestClassifyFaults(t *testing.T) {
	c := &Client{cfg: Config{Node: "NODE2", Password: "pw-in-fault"}, endpoint: "https://n2:5986/wsman"}
	e := c.classify(errors.New("http error 500: " + windowsFault))
	if e.Kind != KindShellGone || !e.retryable() {
		t.Errorf("kind %v", e.Kind)
	}
	want := "The request for the Windows Remote Shell with ShellId 1A2B failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation."
	if e.Fault != want {
		t.Errorf("fault text %q", e.Fault)
	}

	quota := `<s:Envelope><s:Header><a:MessageID>uuid:1</a:MessageID></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:QuotaLimit</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot process the request. This user is allowed a maximum number of 30 concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. </s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`
	e = c.classify(errors.New("wsman fault: " + quota))
	if e.Kind != KindFault || e.retryable() {
		t.Errorf("quota fault: kind %v retryable %v", e.Kind, e.retryable())
	}
	if want := "server fault from NODE2 (https://n2:5986/wsman): The WS-Management service cannot process the request. This user is allowed a maximum number of 30 concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user."; e.Error() != want {
		t.Errorf("got  %s\nwant %s", e.Error(), want)
	}

	// A server echoing the password in a fault does not get it into the error.
	e = c.classify(errors.New("http error 500: <s:Fault><s:Reason><s:Text>bad pw-in-fault</s:Text></s:Reason></s:Fault>"))
	if e.Error() != "server fault from NODE2 (https://n2:5986/wsman): bad ***" {
		t.Errorf("got %s", e.Error())
	}
}

// An empty HTTP 400 is a shell the node dropped while idle (pywinrm#377):
// shell gone, so a command that never started may go again on a new shell;
// a 400 with a body is not.
func TestClassifyEmptyBadRequest(t *testing.T) {
	c := &Client{cfg: Config{Node: "NODE2"}, endpoint: "http://n2:5985/wsman"}
	if e := c.classify(errors.New("http response error: 400 - ")); e.Kind != KindShellGone {
		t.Errorf("empty 400: kind %v (%s)", e.Kind, e)
	}
	if e := c.classify(errors.New("http response error: 400 - <html>Bad Request</html>")); e.Kind == KindShellGone {
		t.Errorf("a 400 with a body taken for a dropped shell: %s", e)
	}
}

// Windows' operations quota fault: the shell is spent, the command refused.
func TestClassifyOperationsQuota(t *testing.T) {
	c := &Client{cfg: Config{Node: "NODE2"}, endpoint: "https://n2:5986/wsman"}
	body := `<s:Envelope><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:QuotaLimit</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot process the request. This user is allowed a maximum number of 15 concurrent operations, which has been exceeded. Close existing operations for this user, or raise the quota for this user. </s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150859174" Machine="node2"/></s:Detail></s:Fault></s:Body></s:Envelope>`
	if e := c.classify(errors.New("http response error: 500 - " + body)); e.Kind != KindShellSpent || !e.retryable() {
		t.Errorf("kind %v: %s", e.Kind, e)
	}
}
