"""MIT's GSS-API (Debian's python3-gssapi) against a running lab: a Kerberos or
SPNEGO context over plain HTTP whose AP-REP MIT verifies, then two sealed
Create requests made with MIT's wrap_iov, whose sealed answers MIT unwraps.
Run by TestMITGSSAPISealing (mitkdc_test.go): argv is the ready file, the
scheme (Kerberos or Negotiate) and the credential cache kinit filled."""
import base64
import http.client
import json
import struct
import sys

import gssapi
from gssapi.raw import ext_dce
from gssapi.raw.ext_dce import IOV, IOVBufferType

ready, scheme = json.load(open(sys.argv[1])), sys.argv[2]
node = ready["nodes"][0]
host, port = node["http"][len("http://"):].split("/")[0].split(":")
mech = gssapi.MechType.kerberos if scheme == "Kerberos" else gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
protocol = {"Kerberos": b"application/HTTP-Kerberos-session-encrypted",
            "Negotiate": b"application/HTTP-SPNEGO-session-encrypted"}[scheme]
flags = (gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.confidentiality
         | gssapi.RequirementFlag.integrity)
ctx = gssapi.SecurityContext(name=gssapi.Name("HTTP@" + node["host"], gssapi.NameType.hostbased_service),
                             usage="initiate", mech=mech, flags=flags)
conn = http.client.HTTPConnection(host, int(port))
conn.request("POST", "/wsman", body=b"", headers={
    "Authorization": scheme + " " + base64.b64encode(ctx.step()).decode(),
    "Content-Type": "application/soap+xml;charset=UTF-8"})
r = conn.getresponse()
r.read()
assert r.status == 200, r.status
ctx.step(base64.b64decode(r.getheader("WWW-Authenticate").split(" ", 1)[1]))
assert ctx.complete, "MIT did not complete the context with the AP-REP"

body = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        b'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        b'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
        b'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header>'
        b'<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</a:Action>'
        b'<a:MessageID>uuid:1</a:MessageID>'
        b'<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>'
        b'</s:Header><s:Body><rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams>'
        b'<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell></s:Body></s:Envelope>')
for _ in range(2):
    iov = IOV(IOVBufferType.header, body, IOVBufferType.padding, std_layout=False)
    ext_dce.wrap_iov(ctx, iov, confidential=True)
    header, data, pad = iov[0].value, iov[1].value, iov[2].value or b""
    payload = (b"--Encrypted Boundary\r\n\tContent-Type: " + protocol +
               b"\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" +
               str(len(body) + len(pad)).encode() +
               b"\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n" +
               struct.pack("<i", len(header)) + header + data + pad + b"--Encrypted Boundary--\r\n")
    conn.request("POST", "/wsman", body=payload, headers={
        "Content-Type": 'multipart/encrypted;protocol="%s";boundary="Encrypted Boundary"' % protocol.decode()})
    r = conn.getresponse()
    answer = r.read()
    assert r.status == 200, r.status
    assert ('protocol="%s"' % protocol.decode()) in r.getheader("Content-Type"), r.getheader("Content-Type")
    parts = answer.split(b"--Encrypted Boundary\r\n")
    length = int(parts[1].split(b"Length=")[1].strip())
    sealed = parts[2].replace(b"\tContent-Type: application/octet-stream\r\n", b"")
    sealed = sealed[:sealed.rindex(b"--Encrypted Boundary--\r\n")]
    hlen = struct.unpack("<i", sealed[:4])[0]
    plain = ctx.unwrap(sealed[4:4 + hlen] + sealed[4 + hlen:]).message
    assert len(plain) == length, (len(plain), length)
    assert b"<rsp:Owner>LAB\\Administrator</rsp:Owner>" in plain, plain
print("ok")
