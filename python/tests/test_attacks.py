"""Every attack class of docs/security.md, through the Python API.

Each case must end promptly with the documented refusal (a limit names itself), read no
file outside the document, and make no network request (a loopback canary server counts
connections). Sizes are those of crates/wary-xml/tests/attacks.rs, scaled to stay fast.
"""

import http.server
import io
import threading
import time

import pytest

import wary.defusedxml.ElementTree as DET
import wary.etree as ET

LOL = b"""<!DOCTYPE l [
<!ENTITY l0 "lollollollollollollollollollol">
<!ENTITY l1 "&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;">
<!ENTITY l2 "&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;">
<!ENTITY l3 "&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;">
<!ENTITY l4 "&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;">
<!ENTITY l5 "&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;">
<!ENTITY l6 "&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;">
<!ENTITY l7 "&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;">
<!ENTITY l8 "&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;">
<!ENTITY l9 "&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;">
%s]>%s"""


def lol(extra, body):
    return LOL % (extra, body)


def pe_bomb():
    # '%' cannot be written in an entity value, but a character reference can: each %pN;
    # expands to ten references to %p(N-1);.
    decls = ["<!ENTITY % p0 '<!ENTITY x \"y\">'>"]
    for i in range(1, 10):
        decls.append("<!ENTITY %% p%d '%s'>" % (i, ("&#37;p%d;" % (i - 1)) * 10))
    return ("<!DOCTYPE r [%s%%p9;]><r/>" % "".join(decls)).encode()


def quadratic():
    big = "x" * 65536
    return ('<!DOCTYPE r [<!ENTITY e "%s">]><r>%s</r>' % (big, "&e;" * 100_000)).encode()


def default_amp():
    value = "v" * 100_000
    return ('<!DOCTYPE r [<!ATTLIST e a CDATA "%s">]><r>%s</r>' % (value, "<e/>" * 200_000)).encode()


LIMIT_CASES = {
    "billion laughs in text": (lol(b"", b"<l>&l9;</l>"), "max_amplification"),
    "billion laughs in an attribute": (lol(b"", b"<l a='&l9;'/>"), "max_amplification"),
    "billion laughs through a default": (
        lol(b"<!ATTLIST l a CDATA '&l9;'>", b"<l/>"),
        "max_amplification",
    ),
    "attribute default applied 200,000 times": (default_amp(), "max_amplification"),
    "quadratic blowup": (quadratic(), "max_amplification"),
    "parameter-entity bomb": (pe_bomb(), "max_amplification"),
    "deep nesting": (b"<a>" * 1_000_000, "max_depth"),
    "deep nesting through entities": (
        b"<!DOCTYPE r [<!ENTITY e '" + b"<a>" * 600 + b"</a>" * 600 + b"'>]><r>"
        + b"<a>" * 600 + b"&e;" + b"</a>" * 600 + b"</r>",
        "max_depth",
    ),
    "entity references nested 10,000 deep": (
        ("<!DOCTYPE r [<!ENTITY e0 'x'>%s]><r>&e9999;</r>"
         % "".join("<!ENTITY e%d '&e%d;'>" % (i, i - 1) for i in range(1, 10_000))).encode(),
        "max_entity_depth",
    ),
    "a million attributes": (
        b"<r " + b" ".join(b"a%d='1'" % i for i in range(1_000_000)) + b"/>",
        "max_attributes",
    ),
    "200,000 namespace declarations": (
        b"<r " + b" ".join(b"xmlns:p%d='u'" % i for i in range(200_000)) + b"/>",
        "max_attributes",
    ),
    "16 MB name": (b"<" + b"n" * (16 << 20) + b"/>", "max_name_len"),
    "16 MB attribute value": (b"<r a='" + b"v" * (16 << 20) + b"'/>", "max_token_len"),
    "unterminated 16 MB comment": (b"<r><!--" + b"c" * (16 << 20), "max_token_len"),
    "unterminated 16 MB PI": (b"<r><?p " + b"c" * (16 << 20), "max_token_len"),
    "unterminated 16 MB start tag": (b"<r a='1' " + b" " * (16 << 20), "max_token_len"),
}


@pytest.mark.parametrize("name", sorted(LIMIT_CASES))
def test_limits_stop_the_attack_and_name_themselves(name):
    doc, limit = LIMIT_CASES[name]
    t0 = time.monotonic()
    with pytest.raises(ET.LimitError) as info:
        ET.fromstring(doc)
    assert info.value.limit == limit, str(info.value)
    assert isinstance(info.value, ET.ParseError)
    assert time.monotonic() - t0 < 10, "the attack was not stopped promptly"
    # iterparse stops at the same limit.
    with pytest.raises(ET.LimitError):
        for _ in ET.iterparse(io.BytesIO(doc)):
            pass


def test_a_raised_limit_lets_a_trusted_document_through():
    doc = b"<a>" * 2000 + b"</a>" * 2000
    with pytest.raises(ET.LimitError):
        ET.fromstring(doc)
    assert ET.fromstring(doc, max_depth=5000).tag == "a"


INPUT_CASES = {
    "recursive entity": b'<!DOCTYPE r [<!ENTITY a "&a;">]><r>&a;</r>',
    "mutually recursive entities": b'<!DOCTYPE r [<!ENTITY a "&b;"><!ENTITY b "&a;">]><r>&a;</r>',
    "duplicate attribute after 4,000 others": b"<r "
    + b" ".join(b"a%d='1'" % i for i in range(4000))
    + b" a7='2'/>",
    "invalid UTF-8": b"<r>\xff\xfe</r>",
    "overlong UTF-8": b"<r>\xc0\xaf</r>",
    "UTF-8 surrogate": b"<r>\xed\xa0\x80</r>",
    "NUL byte": b"<r>\x00</r>",
    "character reference to a surrogate": b"<r>&#xD800;</r>",
    "character reference to NUL": b"<r>&#0;</r>",
    "character reference to a non-character": b"<r>&#xFFFE;</r>",
    "unknown encoding": b'<?xml version="1.0" encoding="x-wary-none"?><r/>',
    "BOM contradicting the declaration": b'\xef\xbb\xbf<?xml version="1.0" encoding="ISO-8859-1"?><r/>',
    "junk after the root": b"<r/>junk",
    "second root": b"<r/><r/>",
    "empty input": b"",
    "unterminated CDATA": b"<r><![CDATA[" + b"c" * 100_000,
}


@pytest.mark.parametrize("name", sorted(INPUT_CASES))
def test_malformed_input_is_a_parse_error_not_a_crash(name):
    with pytest.raises(ET.ParseError) as info:
        ET.fromstring(INPUT_CASES[name])
    assert not isinstance(info.value, ET.LimitError), str(info.value)
    assert info.value.position[0] >= 1


class Canary(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"CANARY-HTTP")

    def log_message(self, *args):
        pass


@pytest.fixture
def canary_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Canary)
    Canary.hits = 0
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d/x" % server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def secret(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    s = outside / "secret.txt"
    s.write_text("CANARY-FILE")
    docs = tmp_path / "docs"
    docs.mkdir()
    return s, docs


def external_cases(secret_path, url):
    return {
        "general entity, absolute path": '<!DOCTYPE r [<!ENTITY e SYSTEM "%s">]><r>&e;</r>' % secret_path,
        "general entity, ../ path": '<!DOCTYPE r [<!ENTITY e SYSTEM "../outside/secret.txt">]><r>&e;</r>',
        "general entity, file: URL": '<!DOCTYPE r [<!ENTITY e SYSTEM "file://%s">]><r>&e;</r>' % secret_path,
        "general entity over http": '<!DOCTYPE r [<!ENTITY e SYSTEM "%s">]><r>&e;</r>' % url,
        "external DTD subset, file": '<!DOCTYPE r SYSTEM "%s"><r/>' % secret_path,
        "external DTD subset, http": '<!DOCTYPE r SYSTEM "%s"><r/>' % url,
        "external parameter entity, file": '<!DOCTYPE r [<!ENTITY %% p SYSTEM "%s"> %%p;]><r/>' % secret_path,
        "external parameter entity, http (out-of-band pattern)": (
            '<!DOCTYPE r [<!ENTITY %% p SYSTEM "%s"> %%p;]><r>&x;</r>' % url
        ),
    }


@pytest.mark.parametrize("mode", ["off", "local"])
def test_nothing_external_is_read_or_fetched(secret, canary_url, mode):
    secret_path, docs = secret
    for name, text in external_cases(secret_path, canary_url).items():
        doc = docs / "doc.xml"
        doc.write_text(text)
        opts = {} if mode == "off" else {"external_entities": "local"}
        try:
            root = ET.parse(str(doc), **opts).getroot()
            got = ET.tostring(root)
        except ET.ParseError as e:
            got = str(e).encode()
        assert b"CANARY" not in got, name
    assert Canary.hits == 0, "a URL was fetched"


def test_local_mode_reads_inside_the_root_only(tmp_path):
    (tmp_path / "in.txt").write_text("inside")
    doc = tmp_path / "doc.xml"
    doc.write_text('<!DOCTYPE r [<!ENTITY e SYSTEM "in.txt">]><r>&e;</r>')
    assert ET.parse(str(doc)).getroot().text is None  # off by default: skipped
    assert ET.parse(str(doc), external_entities="local").getroot().text == "inside"
    sub = tmp_path / "sub"
    sub.mkdir()
    with pytest.raises(ET.ParseError):
        ET.parse(str(doc), external_entities="local", entity_root=str(sub))


def test_defusedxml_defaults_refuse_external_references(secret, canary_url):
    secret_path, _ = secret
    for name, text in external_cases(secret_path, canary_url).items():
        try:
            got = DET.tostring(DET.fromstring(text))
        except (DET.ParseError, DET.DefusedXmlException) as e:
            got = str(e).encode()
        assert b"CANARY" not in got, name
    assert Canary.hits == 0
