"""MIT's GSS-API channel bindings against a lab with strict channel binding:
over HTTPS, an AP-REQ whose bindings MIT computed from the node's certificate
(RFC 5929 tls-server-end-point, SHA-256) is accepted; one without bindings
is refused. Run by TestMITGSSAPIChannelBinding (mitkdc_test.go): argv is the
ready file; the credential cache is kinit's."""
import base64
import hashlib
import http.client
import json
import ssl
import sys

import gssapi
from gssapi.raw import ChannelBindings

ready = json.load(open(sys.argv[1]))
node = ready["nodes"][0]
host, port = node["https"][len("https://"):].split("/")[0].split(":")
identify = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            b'xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
            b'<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>')


def post(with_bindings):
    tls = ssl.create_default_context(cafile=ready["ca_file"])
    conn = http.client.HTTPSConnection(host, int(port), context=tls)
    conn.connect()
    cert = conn.sock.getpeercert(binary_form=True)
    bindings = None
    if with_bindings:
        bindings = ChannelBindings(application_data=b"tls-server-end-point:" + hashlib.sha256(cert).digest())
    ctx = gssapi.SecurityContext(name=gssapi.Name("HTTP@" + node["host"], gssapi.NameType.hostbased_service),
                                 usage="initiate", mech=gssapi.MechType.kerberos,
                                 flags=gssapi.RequirementFlag.mutual_authentication, channel_bindings=bindings)
    conn.request("POST", "/wsman", body=identify, headers={
        "Authorization": "Kerberos " + base64.b64encode(ctx.step()).decode(),
        "Content-Type": "application/soap+xml;charset=UTF-8"})
    r = conn.getresponse()
    r.read()
    return r.status


with_status, without_status = post(True), post(False)
assert with_status == 200, with_status
assert without_status == 401, without_status
print("ok")
