"""XMLPullParser and XMLParser(target=...): a document fed in any split gives what the
whole document gives, and what ElementTree gives.

The small document below is cut at every one and every two places; larger generated ones at
random places. Events, trees, target calls and errors (``position``, ``code``) must not
depend on the split.
"""

import io
import random
import xml.etree.ElementTree as StdET

import pytest

import wary.defusedxml.ElementTree as WDET
import wary.etree as ET
from conftest import generate
from wary.defusedxml import DTDForbidden, EntitiesForbidden, NotSupportedError

ALL = ("start", "end", "start-ns", "end-ns", "comment", "pi")

SMALL = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<!DOCTYPE r [<!ENTITY e "v&#x263A;">]>'
    b"<!--c1--><?p1 d?>"
    b'<r xmlns="urn:d" xmlns:x="urn:x" x:a="1&amp;2">t&e;<x:b><![CDATA[<c>]]>&#233;</x:b>'
    b"<!-- c2 --><?p2?><e/>tail\xc3\xa9</r><!--after-->"
)

BAD = b'<r xmlns:x="urn:x"><x:b a="1">text</x:b><c></r>'


def shape(e):
    return (e.tag, sorted(e.attrib.items()), e.text or "", e.tail or "", [shape(c) for c in e])


def plain(pairs):
    """Events as plain data (elements by tag/attributes, comments and PIs by text)."""
    out = []
    for ev, x in pairs:
        if ev in ("start", "end"):
            out.append((ev, x.tag, sorted(x.attrib.items())))
        elif ev in ("comment", "pi"):
            out.append((ev, x.text))
        else:
            out.append((ev, x))
    return out


def pull(pieces, events=ALL, **limits):
    """Feeds the pieces to an XMLPullParser, reading events after each feed; returns the
    events and the exception (or None)."""
    p = ET.XMLPullParser(events=events, **limits)
    got = []

    def read():
        for pair in p.read_events():  # appended one by one: the error comes after them
            got.extend(plain([pair]))

    try:
        for piece in pieces:
            p.feed(piece)
            read()
        p.close()
        read()
    except StdET.ParseError as e:
        return got, e
    return got, None


def std_pull(doc, events=ALL):
    p = StdET.XMLPullParser(events=events)
    p.feed(doc)
    p.close()
    return plain(p.read_events())


def splits(doc, cuts):
    if cuts == 1:
        for i in range(len(doc) + 1):
            yield [doc[:i], doc[i:]]
    else:
        for i in range(len(doc) + 1):
            for j in range(i, len(doc) + 1):
                yield [doc[:i], doc[i:j], doc[j:]]


def test_every_one_and_two_cut_split_gives_the_whole_documents_events():
    whole, err = pull([SMALL])
    assert err is None
    assert whole == std_pull(SMALL)
    n = 0
    for pieces in list(splits(SMALL, 1)) + list(splits(SMALL, 2)):
        got, err = pull(pieces)
        assert err is None and got == whole, pieces
        n += 1
    assert n > 10_000


def test_every_split_of_a_bad_document_gives_the_same_error():
    with pytest.raises(StdET.ParseError) as whole:
        ET.fromstring(BAD)
    want_events, _ = pull([BAD])
    for pieces in list(splits(BAD, 1)) + list(splits(BAD, 2)):
        got, err = pull(pieces)
        assert err is not None, pieces
        assert (err.position, err.code, str(err)) == (
            whole.value.position,
            whole.value.code,
            str(whole.value),
        ), pieces
        # The events before the error are all delivered, whatever the split.
        assert got == want_events[: len(got)]


def test_read_events_delivers_the_events_then_raises():
    p = ET.XMLPullParser(events=("start", "end"))
    p.feed(b"<r><a/><b>")
    p.feed(b"</c>")
    # wary-xml may wait for the bytes after an error (its message quotes them), so the error
    # is certain only once the document ended.
    with pytest.raises(StdET.ParseError):
        p.close()
    it = p.read_events()
    assert [(e, x.tag) for e, x in [next(it), next(it), next(it), next(it)]] == [
        ("start", "r"),
        ("start", "a"),
        ("end", "a"),
        ("start", "b"),
    ]
    with pytest.raises(StdET.ParseError) as e:
        next(it)
    assert e.value.position == (1, 10)


@pytest.mark.parametrize("seed", range(40))
def test_random_splits_of_generated_documents_give_the_stdlib_events(seed):
    doc = generate(seed, max_nodes=200)
    want = std_pull(doc)
    rng = random.Random(seed)
    for _ in range(5):
        cuts = sorted(rng.randrange(len(doc) + 1) for _ in range(rng.randrange(1, 30)))
        pieces = [doc[i:j] for i, j in zip([0] + cuts, cuts + [len(doc)])]
        got, err = pull(pieces)
        assert err is None and got == want, cuts


def test_str_pieces_are_fed_as_text():
    doc = SMALL.decode("utf-8").replace('encoding="UTF-8"', "")
    assert pull([doc[:50], doc[50:]])[0] == pull([SMALL])[0]


def test_tree_builder_target_gives_the_fromstring_tree():
    want = shape(ET.fromstring(SMALL))
    assert want == shape(StdET.fromstring(SMALL))
    for pieces in splits(SMALL, 1):
        p = ET.XMLParser(target=StdET.TreeBuilder())
        for piece in pieces:
            p.feed(piece)
        assert shape(p.close()) == want
    assert shape(ET.fromstring(SMALL, parser=ET.XMLParser())) == want
    assert shape(ET.fromstringlist([SMALL[:7], SMALL[7:]], parser=ET.XMLParser())) == want
    assert shape(ET.parse(io.BytesIO(SMALL), parser=ET.XMLParser()).getroot()) == want


class Recorder:
    """A target recording every call ElementTree's XMLParser makes (data runs merged: expat
    and wary cut text at different places)."""

    def __init__(self):
        self.calls = []

    def _add(self, *call):
        if call[0] == "data" and self.calls and self.calls[-1][0] == "data":
            self.calls[-1] = ("data", self.calls[-1][1] + call[1])
        else:
            self.calls.append(call)

    def start(self, tag, attrib):
        self._add("start", tag, sorted(attrib.items()))

    def end(self, tag):
        self._add("end", tag)

    def data(self, text):
        self._add("data", text)

    def comment(self, text):
        self._add("comment", text)

    def pi(self, target, data):
        self._add("pi", target, data)

    def start_ns(self, prefix, uri):
        self._add("start_ns", prefix, uri)

    def end_ns(self, prefix):
        self._add("end_ns", prefix)

    def close(self):
        self._add("close")
        return self.calls


@pytest.mark.parametrize("seed", range(40))
def test_a_custom_target_gets_the_calls_elementtree_makes(seed):
    doc = SMALL if seed == 0 else generate(seed, max_nodes=80)
    std = StdET.XMLParser(target=Recorder())
    std.feed(doc)
    want = std.close()
    for pieces in ([doc], [doc[: seed * 3], doc[seed * 3 :]], [bytes([b]) for b in doc]):
        p = ET.XMLParser(target=Recorder())
        for piece in pieces:
            p.feed(piece)
        assert p.close() == want


def test_a_target_with_only_some_methods_gets_only_those():
    class Ends:
        def __init__(self):
            self.tags = []

        def end(self, tag):
            self.tags.append(tag)

    t = Ends()
    p = ET.XMLParser(target=t)
    p.feed(SMALL)
    assert p.close() is None
    assert t.tags == ["{urn:x}b", "{urn:d}e", "{urn:d}r"]


def test_limits_through_the_pull_parser_raise_limit_error():
    p = ET.XMLPullParser(max_depth=3)
    p.feed(b"<a><b><c>")
    p.feed(b"<d>")
    with pytest.raises(ET.LimitError) as e:
        p.close()
    assert e.value.limit == "max_depth"
    with pytest.raises(ET.LimitError):
        list(p.read_events())
    bomb = b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %s "%s">' % (n, (b"&%s;" % p) * 10)
        for n, p in zip([b"b", b"c", b"d", b"e", b"f", b"g"], [b"a", b"b", b"c", b"d", b"e", b"f"])
    ) + b"]><r>&g;</r>"
    p = ET.XMLParser()
    with pytest.raises(ET.LimitError) as e:
        for i in range(0, len(bomb), 5):
            p.feed(bomb[i : i + 5])
        p.close()
    assert e.value.limit == "max_amplification"
    with pytest.raises(TypeError, match="max_dept"):
        ET.XMLPullParser(max_dept=3)


def test_misuse_is_refused():
    p = ET.XMLPullParser()
    p.feed(b"<a/>")
    p.close()
    with pytest.raises(ValueError, match="after end of stream"):
        p.feed(b"<b/>")
    q = ET.XMLParser()
    with pytest.raises(StdET.ParseError):
        q.close()  # no element
    with pytest.raises(ValueError, match="unknown event"):
        ET.XMLPullParser(events=("begin",))


def test_defusedxml_parser_and_its_aliases_honour_the_switches(tmp_path):
    assert WDET.XMLParser is WDET.DefusedXMLParser is WDET.XMLParse is WDET.XMLTreeBuilder
    dtd = b"<!DOCTYPE r><r/>"
    ent = b'<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>'
    ext = b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>'

    def feed(parser, doc):
        for i in range(0, len(doc), 3):
            parser.feed(doc[i : i + 3])
        return parser.close()

    assert feed(WDET.XMLParser(), dtd).tag == "r"  # forbid_dtd is off by default
    with pytest.raises(DTDForbidden) as e:
        feed(WDET.XMLParser(forbid_dtd=True), dtd)
    assert e.value.name == "r"
    with pytest.raises(EntitiesForbidden) as e:
        feed(WDET.DefusedXMLParser(), ent)
    assert (e.value.name, e.value.value) == ("e", "x")
    assert feed(WDET.XMLTreeBuilder(forbid_entities=False), ent).text == "x"
    with pytest.raises(EntitiesForbidden):
        feed(WDET.XMLParse(), ext)
    p = tmp_path / "d.xml"
    p.write_bytes(dtd)
    with pytest.raises(DTDForbidden):
        WDET.parse(str(p), parser=WDET.XMLParser(forbid_dtd=True))
    assert WDET.parse(str(p), parser=WDET.XMLParser()).getroot().tag == "r"
    with pytest.raises(NotSupportedError):
        WDET.parse(str(p), parser=StdET.XMLParser())
    with pytest.warns(DeprecationWarning):
        WDET.XMLParser(html=0)
    assert WDET.XMLParser(forbid_external=False).forbid_external is False
