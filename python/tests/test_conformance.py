"""The W3C XML Conformance Test Suite's accept/reject decisions, driven through wary.etree.

The same profile as crates/wary-xml/tests/conformance.rs (../shared/conformance/README.md):
XML 1.0 Fifth Edition, namespace-aware, 1,965 tests; external entities loaded in "local"
mode under the suite's root. ``valid`` and ``invalid`` documents must parse; ``not-wf``
documents must raise ``ParseError`` (not a limit). The tests listed in
crates/wary-xml/tests/conformance-skips.txt are the Rust suite's known failures and are
skipped here too. Catalogs are read with the stdlib's parser (trusted data), so that a bug in
wary cannot hide a test; the profile's counts are asserted for the same reason.
"""

import os
import re
import zipfile
from pathlib import Path

import pytest

import wary.etree as ET

REPO = Path(__file__).resolve().parents[2]
# As in crates/wary-xml/tests/conformance/catalog.rs: $WARY_XMLTS, else ../shared/conformance/.
ZIP = Path(os.environ.get("WARY_XMLTS") or REPO.parent / "shared" / "conformance" / "xmlts20130923.zip")
SKIPS = REPO / "crates" / "wary-xml" / "tests" / "conformance-skips.txt"
EXPECTED = (1965, 948, 1017)  # tests, accept, reject
XML_NS = "{http://www.w3.org/XML/1998/namespace}"


def excluded(t):
    a = t.get
    if a("TYPE") == "error":
        return True
    if a("VERSION") == "1.1" or a("RECOMMENDATION") in ("XML1.1", "NS1.1"):
        return True
    if a("EDITION") is not None and "5" not in a("EDITION").split():
        return True
    return a("NAMESPACE") == "no"


def load(root):
    """The profile's tests: (id, kind, path)."""
    import xml.etree.ElementTree as StdET

    top = (root / "xmlconf" / "xmlconf.xml").read_text()
    close = re.search(r"\]\s*>", top)
    subset = re.sub(r"<!--.*?-->", "", top[top.index("[") : close.start()], flags=re.S)
    entities = dict(re.findall(r'<!ENTITY\s+(\S+)\s+SYSTEM\s+"([^"]+)"', subset))
    body = top[close.end() :]
    body = re.sub(r"&([\w.-]+);", r'<ref entity="\1"/>', body)
    tests = []
    for tc in StdET.fromstring(body).iter("TESTCASES"):
        base = tc.get(XML_NS + "base").rstrip("/")
        for ref in tc.iter("ref"):
            file = entities[ref.get("entity")]
            text = (root / "xmlconf" / file).read_text(encoding="utf-8-sig")
            text = re.sub(r"^<\?xml.*?\?>", "", text, flags=re.S)
            cat = StdET.fromstring("<catalog>%s</catalog>" % text)
            # A base that does not exist means the tests sit beside the catalog (eduni/misc).
            b = base if (root / "xmlconf" / base).is_dir() else str(Path(file).parent)
            for t in cat.iter("TEST"):
                if excluded(t):
                    continue
                tests.append((t.get("ID"), t.get("TYPE"), root / "xmlconf" / b / t.get("URI")))
    return tests


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    if not ZIP.exists():
        pytest.fail("the W3C suite is missing: %s (set WARY_XMLTS to its path)" % ZIP)
    root = tmp_path_factory.mktemp("xmlts")
    with zipfile.ZipFile(ZIP) as z:
        z.extractall(root)
    return root, load(root)


def test_w3c_profile_through_the_binding(suite):
    root, tests = suite
    accept = sum(1 for t in tests if t[1] in ("valid", "invalid"))
    assert (len(tests), accept, len(tests) - accept) == EXPECTED
    skips = {
        line.split()[0]
        for line in SKIPS.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    failures = []
    for tid, kind, path in tests:
        if tid in skips:
            continue
        try:
            ET.parse(str(path), external_entities="local", entity_root=str(root))
            if kind == "not-wf":
                failures.append("%s: accepted a not-wf document (%s)" % (tid, path.name))
        except ET.LimitError as e:
            failures.append("%s: stopped by a limit: %s" % (tid, e))
        except ET.ParseError as e:
            if kind != "not-wf":
                failures.append("%s: rejected a well-formed document: %s" % (tid, e))
    assert not failures, "\n".join(failures[:50])
