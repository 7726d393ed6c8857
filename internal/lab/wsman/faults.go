package wsman

import (
	"fmt"
	"net/http"
	"strconv"
)

// soapFault is a WS-Management fault with the WSManFault detail Windows adds.
type soapFault struct {
	code    string // s:Sender or s:Receiver
	subcode string // e.g. w:TimedOut
	reason  string
	wsman   uint32 // WSManFault Code (an HRESULT)
	message string // WSManFault Message
	// detail is the w:FaultDetail URI ([DSP0226] faultDetail/...), which
	// Windows puts before the WSManFault where the standard defines one.
	detail string
}

const faultDetailBase = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"

func (f *soapFault) withDetail(name string) *soapFault {
	f.detail = faultDetailBase + name
	return f
}

func (f *soapFault) Error() string { return f.subcode + ": " + f.reason }

// Fault texts and codes as Windows sends them (winerror.h ERROR_WSMAN_*;
// texts from Windows answers quoted in WinRb/WinRM#253, pypsrp's tests and
// [MS-WSMV] 3.1.4.5.2.1). Where no captured answer was found the text is the
// winerror.h message and says so.
const (
	msgTimedOut     = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "
	msgNoCommand    = "The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. Either the command has completed execution or the client specified an invalid command identifier."
	msgBadSelectors = "The WS-Management service cannot process the request because the request contained invalid selectors for the resource. "
)

func faultTimedOut() *soapFault {
	return &soapFault{"s:Receiver", "w:TimedOut", msgTimedOut, 2150858793, msgTimedOut, ""}
}

func faultShellNotFound(id string) *soapFault {
	m := "The request for the Windows Remote Shell with ShellId " + id + " failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation. "
	// Captured from Windows with its FaultDetail (PowerShell's WinRM
	// client tests, CLOSE_COMMAND_FAULT_RESPONSE).
	return (&soapFault{code: "s:Sender", subcode: "w:InvalidSelectors", reason: msgBadSelectors, wsman: 2150858843, message: m}).withDetail("UnexpectedSelectors")
}

func faultCommandNotFound() *soapFault {
	return (&soapFault{code: "s:Sender", subcode: "w:InvalidSelectors", reason: msgBadSelectors, wsman: 2150858843, message: msgNoCommand}).withDetail("UnexpectedSelectors")
}

func faultShellQuota(limit int) *soapFault {
	m := "The WS-Management service cannot process the request. This user is allowed a maximum number of " + strconv.Itoa(limit) + " concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. "
	return &soapFault{"s:Receiver", "w:QuotaLimit", m, 2150859173, m, ""}
}

func faultActionNotSupported(action string) *soapFault {
	m := "The WS-Management service does not support the specified action: " + action + " "
	return &soapFault{"s:Sender", "a:ActionNotSupported", "The action is not supported by the service.", 2150858771, m, ""}
}

// faultResourceNotFound answers a resource URI the service has no plugin
// for: ERROR_WSMAN_INVALID_RESOURCE_URI (2150858811), as Windows answers a
// missing endpoint, with [DSP0226]'s InvalidResourceURI detail.
func faultResourceNotFound() *soapFault {
	m := "The WS-Management service cannot process the request. The service cannot find the resource identified by the resource URI and selectors. "
	return (&soapFault{code: "s:Sender", subcode: "w:DestinationUnreachable", reason: m, wsman: 2150858811, message: m}).withDetail("InvalidResourceURI")
}

// faultSchemaValidation is Windows' answer to a value of the wrong type,
// such as an IdleTimeOut that is not an xs:duration.
func faultSchemaValidation() *soapFault {
	m := "The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry. "
	return &soapFault{"s:Sender", "w:SchemaValidationError", m, 2150858817, m, ""}
}

// faultOperationsQuota is Windows' refusal of a command beyond
// MaxConcurrentOperationsPerUser (FORMATS.md: the text is unconfirmed).
func faultOperationsQuota(limit int) *soapFault {
	m := "The WS-Management service cannot process the request. This user is allowed a maximum number of " + strconv.Itoa(limit) +
		" concurrent operations, which has been exceeded. Close existing operations for this user, or raise the quota for this user. "
	return &soapFault{"s:Receiver", "w:QuotaLimit", m, 2150859174, m, ""}
}

func faultInvalidBody() *soapFault {
	m := "The WS-Management service cannot process the request because the request packet does not have a valid SOAP body. "
	return &soapFault{"s:Sender", "w:InvalidBody", m, 2150858791, m, ""}
}

// faultEncodingLimit: a request larger than MaxEnvelopeSize, or a
// MaxEnvelopeSize below 8192 ([MS-WSMAN] 3.1.4.1.9). 0x80338111 is the code
// Windows clients report for it; the text is unconfirmed.
// detail is [DSP0226]'s ServiceEnvelopeLimit (a request over the limit) or
// MinimumEnvelopeLimit (a MaxEnvelopeSize asked below it).
func faultEncodingLimit(why, detail string) *soapFault {
	m := "The WS-Management service cannot process the request because " + why + " "
	return (&soapFault{code: "s:Sender", subcode: "w:EncodingLimit", reason: m, wsman: 2150859025, message: m}).withDetail(detail)
}

func faultInternal() *soapFault {
	m := "The WS-Management service cannot process the request because an internal error occurred. "
	return &soapFault{"s:Receiver", "w:InternalError", m, 2150858755, m, ""}
}

// envelope renders the fault answer to the request with MessageID relatesTo.
func (f *soapFault) envelope(relatesTo, machine string) []byte {
	body := fmt.Sprintf(`<s:Fault><s:Code><s:Value>%s</s:Value><s:Subcode><s:Value>%s</s:Value></s:Subcode></s:Code>`+
		`<s:Reason><s:Text xml:lang="en-US">%s</s:Text></s:Reason><s:Detail>%s`+
		`<f:WSManFault xmlns:f="%s" Code="%d" Machine="%s"><f:Message>%s</f:Message></f:WSManFault>`+
		`</s:Detail></s:Fault>`,
		f.code, f.subcode, escape(f.reason), faultDetailElement(f.detail), nsFault, f.wsman, escape(machine), escape(f.message))
	return envelope(actionFault, relatesTo, body)
}

func faultDetailElement(uri string) string {
	if uri == "" {
		return ""
	}
	return "<w:FaultDetail>" + escape(uri) + "</w:FaultDetail>"
}

// faultStatus is the HTTP status of every SOAP fault (SOAP 1.2 HTTP binding).
const faultStatus = http.StatusInternalServerError
