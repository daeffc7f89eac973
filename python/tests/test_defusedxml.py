"""The defusedxml contract: the import switch, defaults, keyword arguments, exception text.

When the real defusedxml is installed (scripts/test installs it into its virtual
environment), every document of the table is also run through it, and the outcome
(exception class and text, or the serialized result) must be the same.
"""

import io
import xml.dom.minidom
import xml.etree.ElementTree as StdET
from xml.sax.handler import ContentHandler

import pytest

import wary.defusedxml as WD
import wary.defusedxml.ElementTree as WET
import wary.defusedxml.minidom as WMD
import wary.defusedxml.sax as WSAX
from wary.defusedxml.common import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
    NotSupportedError,
)

DOCS = {
    "plain": b"<r a='1'>t<c/></r>",
    "doctype": b"<!DOCTYPE r><r/>",
    "doctype with ids": b'<!DOCTYPE r PUBLIC "-//P//EN" "r.dtd"><r/>',
    "used entity": b'<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>',
    "external entity": b'<!DOCTYPE r [<!ENTITY e SYSTEM "/etc/passwd">]><r>&e;</r>',
    "unparsed entity": b'<!DOCTYPE r [<!NOTATION n SYSTEM "n"><!ENTITY u SYSTEM "u.bin" NDATA n>]><r/>',
}
KWARGS = [
    {},
    {"forbid_dtd": True},
    {"forbid_entities": False},
    {"forbid_entities": False, "forbid_external": False},
]


def outcome(fromstring, doc, kw):
    try:
        return ("ok", StdET.tostring(fromstring(doc, **kw)))
    except StdET.ParseError as e:
        return ("ParseError", str(e))
    except DefusedXmlException as e:
        return (type(e).__name__, str(e), repr(e))
    except Exception as e:  # noqa: BLE001 (the real defusedxml's classes differ)
        if type(e).__name__ in ("DTDForbidden", "EntitiesForbidden", "ExternalReferenceForbidden"):
            return (type(e).__name__, str(e), repr(e))
        raise


EXPECTED = {
    ("plain", 0): ("ok", b'<r a="1">t<c /></r>'),
    ("doctype", 0): ("ok", b"<r />"),
    ("doctype", 1): ("DTDForbidden", "DTDForbidden(name='r', system_id=None, public_id=None)"),
    ("doctype with ids", 1): (
        "DTDForbidden",
        "DTDForbidden(name='r', system_id='r.dtd', public_id='-//P//EN')",
    ),
    ("used entity", 2): ("ok", b"<r>x</r>"),
    ("unparsed entity", 0): (
        "EntitiesForbidden",
        "EntitiesForbidden(name='u', system_id='u.bin', public_id=None)",
    ),
    ("external entity", 2): (
        "ExternalReferenceForbidden",
        "ExternalReferenceForbidden(system_id='None', public_id=None)",
    ),
    ("external entity", 3): ("ok", b"<r />"),
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_outcomes(key):
    name, k = key
    got = outcome(WET.fromstring, DOCS[name], KWARGS[k])
    assert got[:2] == EXPECTED[key]
    if got[0] != "ok":
        assert got[2] == got[1], "repr must equal str, as in defusedxml"


def test_defaults_refuse_entities_and_allow_a_dtd():
    with pytest.raises(EntitiesForbidden):
        WET.fromstring(DOCS["used entity"])
    assert WET.fromstring(DOCS["doctype"]).tag == "r"


def test_exception_hierarchy_and_fields():
    assert issubclass(DefusedXmlException, ValueError)
    for cls in (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden, NotSupportedError):
        assert issubclass(cls, DefusedXmlException)
    e = DTDForbidden("n", "s", "p")
    assert (e.name, e.sysid, e.pubid) == ("n", "s", "p")
    e = EntitiesForbidden("n", "v", "b", "s", "p", "nn")
    assert (e.name, e.value, e.base, e.sysid, e.pubid, e.notation_name) == ("n", "v", "b", "s", "p", "nn")
    assert str(e) == "EntitiesForbidden(name='n', system_id='s', public_id='p')"
    e = ExternalReferenceForbidden("c", "b", "s", "p")
    assert (e.context, e.base, e.sysid, e.pubid) == ("c", "b", "s", "p")
    assert str(e) == repr(e) == "ExternalReferenceForbidden(system_id='s', public_id=p)"
    assert WD.DTDForbidden is DTDForbidden


def test_elementtree_module_surface(tmp_path):
    assert WET.ParseError is StdET.ParseError
    assert WET.tostring is StdET.tostring
    assert WET.XML(b"<a/>").tag == "a"
    p = tmp_path / "d.xml"
    p.write_bytes(b"<a><b/></a>")
    assert WET.parse(str(p)).getroot()[0].tag == "b"
    assert [e.tag for _, e in WET.iterparse(str(p))] == ["b", "a"]
    with pytest.raises(NotSupportedError):
        WET.parse(str(p), parser=object())
    with pytest.raises(StdET.ParseError):
        WET.fromstring(b"<a>")


def test_minidom(tmp_path):
    doc = WMD.parseString(b'<!DOCTYPE r><r xmlns:x="u" x:a="1">t<!--c--><?p d?><e/></r>')
    assert isinstance(doc, xml.dom.minidom.Document)
    want = xml.dom.minidom.parseString(b'<!DOCTYPE r><r xmlns:x="u" x:a="1">t<!--c--><?p d?><e/></r>')
    assert doc.toxml() == want.toxml()
    r = doc.documentElement
    assert r.getAttributeNS("u", "a") == "1"
    p = tmp_path / "d.xml"
    p.write_bytes(b"<r>x</r>")
    assert WMD.parse(str(p)).documentElement.firstChild.data == "x"
    with pytest.raises(EntitiesForbidden):
        WMD.parseString(DOCS["used entity"])
    with pytest.raises(DTDForbidden):
        WMD.parseString(DOCS["doctype"], forbid_dtd=True)


class Recorder(ContentHandler):
    def __init__(self):
        super().__init__()
        self.log = []

    def startElement(self, name, attrs):
        self.log.append(("start", name, dict(attrs)))

    def endElement(self, name):
        self.log.append(("end", name))

    def startElementNS(self, name, qname, attrs):
        self.log.append(("startNS", name, dict(attrs)))

    def endElementNS(self, name, qname):
        self.log.append(("endNS", name))

    def startPrefixMapping(self, prefix, uri):
        self.log.append(("map", prefix, uri))

    def endPrefixMapping(self, prefix):
        self.log.append(("unmap", prefix))

    def characters(self, content):
        if self.log and self.log[-1][0] == "chars":
            self.log[-1] = ("chars", self.log[-1][1] + content)
        else:
            self.log.append(("chars", content))

    def processingInstruction(self, target, data):
        self.log.append(("pi", target, data))


@pytest.mark.parametrize("namespaces", [False, True])
def test_sax_calls_standard_handlers_as_the_stdlib(namespaces):
    import xml.sax

    doc = b'<r xmlns:x="u" x:a="1" b="2">t<x:e/><?p d?>&amp;</r>'
    got, want = Recorder(), Recorder()
    p = WSAX.make_parser()
    p.setFeature(xml.sax.handler.feature_namespaces, namespaces)
    p.setContentHandler(got)
    p.parse(io.BytesIO(doc))
    q = xml.sax.make_parser()
    q.setFeature(xml.sax.handler.feature_namespaces, namespaces)
    q.setContentHandler(want)
    q.parse(io.BytesIO(doc))
    assert got.log == want.log


def test_sax_errors_and_refusals():
    import xml.sax

    with pytest.raises(xml.sax.SAXParseException) as info:
        WSAX.parseString(b"<r>", Recorder())
    assert info.value.getLineNumber() == 1
    with pytest.raises(EntitiesForbidden):
        WSAX.parseString(DOCS["used entity"], Recorder())
    with pytest.raises(DTDForbidden):
        WSAX.parseString(DOCS["doctype"], Recorder(), forbid_dtd=True)
    p = WSAX.make_parser()
    assert (p.forbid_dtd, p.forbid_entities, p.forbid_external) == (False, True, True)
    with pytest.raises(xml.sax.SAXNotSupportedException):
        p.setFeature(xml.sax.handler.feature_external_ges, True)


def test_same_outcomes_as_the_real_defusedxml():
    real = pytest.importorskip("defusedxml.ElementTree")
    for name, doc in DOCS.items():
        for kw in KWARGS:
            mine = outcome(WET.fromstring, doc, kw)
            theirs = outcome(real.fromstring, doc, kw)
            if name == "used entity" and mine[0] == "EntitiesForbidden":
                # The name of an entity that was used but whose declaration is not reported
                # by wary-xml is unknown (documented in wary.defusedxml).
                assert theirs[0] == "EntitiesForbidden", (name, kw)
                continue
            if name == "external entity" and mine[0] == "ExternalReferenceForbidden":
                assert theirs[0] == "ExternalReferenceForbidden", (name, kw)
                continue
            if name == "external entity" and mine[0] == "EntitiesForbidden":
                assert theirs[0] == "EntitiesForbidden", (name, kw)
                continue
            if name == "external entity" and mine == ("ok", b"<r />"):
                # Nothing forbidden: wary skips the entity it does not load (XML 1.0
                # §4.4.3); ElementTree under defusedxml fails on it ("undefined entity").
                assert theirs[0] == "ok" or "undefined entity" in str(theirs), (name, kw)
                continue
            assert mine[:2] == theirs[:2], (name, kw)
