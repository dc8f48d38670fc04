"""CAQH CORE connectivity, SOAP 1.2 envelope (CAQH CORE Connectivity Rule vC2.2.0, May 2020).

Both sides use it: the CORE X12 adapter (client, `transport: soap`) and the sandbox payer. The
body is a COREEnvelopeRealTimeRequest (or ...Response) holding the same fields as the MIME
envelope (coverage/x12/core_mime.py); user name and password travel as a WS-Security
UsernameToken in the SOAP header. A document type declaration is refused before parsing, so no
entity expansion can happen.
"""

from xml.etree import ElementTree as ET

SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"
CORE_NS = "http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
CONTENT_TYPE = "application/soap+xml; charset=utf-8"
REQUEST = "COREEnvelopeRealTimeRequest"
RESPONSE = "COREEnvelopeRealTimeResponse"
_CREDENTIALS = ("UserName", "Password")


def encode(fields: dict[str, str], *, element: str) -> tuple[bytes, str]:
    """The SOAP document and its Content-Type; UserName/Password go to a UsernameToken."""
    envelope = ET.Element(f"{{{SOAP_NS}}}Envelope")
    header = ET.SubElement(envelope, f"{{{SOAP_NS}}}Header")
    if all(fields.get(name) for name in _CREDENTIALS):
        security = ET.SubElement(header, f"{{{WSSE_NS}}}Security")
        token = ET.SubElement(security, f"{{{WSSE_NS}}}UsernameToken")
        ET.SubElement(token, f"{{{WSSE_NS}}}Username").text = fields["UserName"]
        ET.SubElement(token, f"{{{WSSE_NS}}}Password").text = fields["Password"]
    body = ET.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    message = ET.SubElement(body, f"{{{CORE_NS}}}{element}")
    for name, value in fields.items():
        if name not in _CREDENTIALS:
            ET.SubElement(message, f"{{{CORE_NS}}}{name}").text = value
    data: bytes = ET.tostring(envelope, encoding="utf-8", xml_declaration=True)
    return data, CONTENT_TYPE


def decode(body: bytes, content_type: str, *, element: str) -> dict[str, str]:
    """The envelope fields (plus UserName/Password from WS-Security). Raises ValueError."""
    if not content_type.lower().startswith("application/soap+xml"):
        raise ValueError("not a SOAP 1.2 body")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise ValueError("SOAP body with a document type declaration refused")
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise ValueError("SOAP body is not well-formed XML") from None
    message = root.find(f"{{{SOAP_NS}}}Body/{{{CORE_NS}}}{element}")
    if root.tag != f"{{{SOAP_NS}}}Envelope" or message is None:
        raise ValueError(f"no {element} in the SOAP body")
    fields = {child.tag.split("}", 1)[-1]: child.text or "" for child in message}
    token = root.find(f"{{{SOAP_NS}}}Header/{{{WSSE_NS}}}Security/{{{WSSE_NS}}}UsernameToken")
    if token is not None:
        fields["UserName"] = token.findtext(f"{{{WSSE_NS}}}Username") or ""
        fields["Password"] = token.findtext(f"{{{WSSE_NS}}}Password") or ""
    return fields
