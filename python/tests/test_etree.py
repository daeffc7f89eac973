"""wary.etree against the stdlib's ElementTree: same trees, same events, standard objects."""

import io
import random
import sys
import xml.etree.ElementTree as StdET

import pytest

import wary.etree as ET
from wary import _wary
from conftest import Trickle, generate

ALL = ("start", "end", "start-ns", "end-ns", "comment", "pi")


def shape(e):
    """An element tree as plain data: tag, attributes, text, tail, children."""
    return (e.tag, sorted(e.attrib.items()), e.text or "", e.tail or "", [shape(c) for c in e])


def events(it):
    out = []
    for ev, x in it:
        if ev in ("start", "end"):
            out.append((ev, x.tag, sorted(x.attrib.items())))
        elif ev in ("comment", "pi"):
            out.append((ev, x.text))
        else:
            out.append((ev, x))
    return out


@pytest.mark.parametrize("seed", range(300))
def test_generated_documents_give_the_stdlib_tree(seed):
    doc = generate(seed)
    expected = shape(StdET.fromstring(doc))
    assert shape(ET.fromstring(doc)) == expected
    # The same document arriving in reads of 1 to 7 bytes.
    assert shape(ET.parse(Trickle(doc)).getroot()) == expected


@pytest.mark.parametrize("seed", range(300))
def test_generated_documents_give_the_stdlib_events(seed):
    doc = generate(seed)
    expected = events(StdET.iterparse(io.BytesIO(doc), events=ALL))
    assert events(ET.iterparse(io.BytesIO(doc), events=ALL)) == expected
    assert events(ET.iterparse(Trickle(doc, (3, 1)), events=ALL)) == expected
    assert events(ET.iterparse(io.BytesIO(doc))) == events(StdET.iterparse(io.BytesIO(doc)))


def test_large_text_and_many_elements_cross_batch_boundaries():
    # Text longer than a batch, and more events than a batch holds, in one document.
    text = "x" * 200_000 + "&amp;" + "y" * 70_000
    doc = ("<r>%s<c>%s</c>%s</r>" % (text, "<e a='1'/>" * 10_000, text)).encode()
    got, want = ET.fromstring(doc), StdET.fromstring(doc)
    assert shape(got) == shape(want)
    assert events(ET.iterparse(io.BytesIO(doc), events=ALL)) == events(
        StdET.iterparse(io.BytesIO(doc), events=ALL)
    )


def test_results_are_standard_elementtree_objects(tmp_path):
    path = tmp_path / "d.xml"
    path.write_bytes(b"<r><a k='v'>t</a><a/></r>")
    tree = ET.parse(str(path))
    assert isinstance(tree, StdET.ElementTree)
    root = tree.getroot()
    assert type(root) is StdET.Element
    assert [a.get("k") for a in root.iter("a")] == ["v", None]
    assert root.find("a").text == "t"
    assert StdET.tostring(root) == b'<r><a k="v">t</a><a /></r>'
    assert ET.parse(path).getroot().tag == "r"  # a path-like object
    with open(path, "rb") as f:
        assert ET.parse(f).getroot().tag == "r"


def test_namespaces():
    doc = b'<a xmlns="urn:d" xmlns:p="urn:p" p:x="1" y="2"><p:b/><c xmlns=""/></a>'
    root = ET.fromstring(doc)
    assert root.tag == "{urn:d}a"
    assert root.attrib == {"{urn:p}x": "1", "y": "2"}
    assert [c.tag for c in root] == ["{urn:p}b", "c"]
    evs = [(e, x if e.endswith("ns") else x.tag) for e, x in ET.iterparse(io.BytesIO(doc), ALL)]
    assert evs[:3] == [("start-ns", ("", "urn:d")), ("start-ns", ("p", "urn:p")), ("start", "{urn:d}a")]
    assert evs[-3:] == [("end", "{urn:d}a"), ("end-ns", None), ("end-ns", None)]


def test_fromstring_forms():
    assert ET.XML("<a>é</a>").text == "é"
    assert ET.fromstringlist([b"<a>", b"x</a>"]).text == "x"
    assert ET.fromstringlist(["<a>", "y</a>"]).text == "y"
    it = ET.iterparse(io.BytesIO(b"<a><b/></a>"))
    assert [e.tag for _, e in it] == ["b", "a"]
    assert it.root.tag == "a"


@pytest.mark.parametrize(
    "doc, position, code_name",
    [
        (b"<a><b></a>", (1, 6), "XML_ERROR_TAG_MISMATCH"),
        # wary points at the repeated attribute (expat at the tag's start, (3, 2)).
        (b"<a>\n\n  <b x='1' x='2'/></a>", (3, 11), "XML_ERROR_DUPLICATE_ATTRIBUTE"),
        (b"<a>&undefined;</a>", (1, 3), "XML_ERROR_UNDEFINED_ENTITY"),
        (b"<a>\n<p:b/></a>", (2, 0), "XML_ERROR_UNBOUND_PREFIX"),
        (b"<a>\x01</a>", (1, 3), "XML_ERROR_INVALID_TOKEN"),
    ],
)
def test_parse_errors_are_the_stdlib_parseerror_with_position_and_code(doc, position, code_name):
    from xml.parsers.expat import errors

    with pytest.raises(StdET.ParseError) as info:
        ET.fromstring(doc)
    e = info.value
    assert type(e) is StdET.ParseError
    assert e.position == position, str(e)
    assert e.code == errors.codes[getattr(errors, code_name)], str(e)
    assert "line %d, column %d" % position in str(e)
    # The same error, at the same place, however the input is split.
    with pytest.raises(StdET.ParseError) as info2:
        ET.parse(Trickle(doc))
    assert info2.value.position == position


def test_iterparse_yields_the_events_before_an_error():
    seen = []
    with pytest.raises(ET.ParseError):
        for ev, el in ET.iterparse(io.BytesIO(b"<r><a/><b/></c>")):
            seen.append(el.tag)
    assert seen == ["a", "b"]


def test_bad_arguments_are_refused_clearly():
    with pytest.raises(TypeError, match="max_dept"):
        ET.fromstring(b"<a/>", max_dept=3)
    with pytest.raises(ValueError, match="max_depth must be 0 or more"):
        ET.fromstring(b"<a/>", max_depth=-1)
    with pytest.raises(ValueError, match="external_entities"):
        ET.fromstring(b"<a/>", external_entities="http")
    with pytest.raises(ValueError, match="unknown event"):
        ET.iterparse(io.BytesIO(b"<a/>"), events=("begin",))
    with pytest.raises(TypeError, match="wary.etree.XMLParser"):
        ET.fromstring(b"<a/>", parser=object())
    with pytest.raises(TypeError, match="wary.etree.XMLParser"):
        ET.fromstring(b"<a/>", parser=StdET.XMLParser())
    with pytest.raises(FileNotFoundError):
        ET.parse("/nonexistent/wary-test.xml")


def test_text_mode_file_is_refused_with_the_reason(tmp_path):
    p = tmp_path / "d.xml"
    p.write_text("<a/>")
    with open(p) as f, pytest.raises(TypeError, match="binary mode"):
        ET.parse(f)


def test_read_errors_are_raised_as_they_were():
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def read(self, n=-1):
            raise ConnectionResetError("peer went away")

    with pytest.raises(ConnectionResetError, match="peer went away"):
        ET.parse(Broken())


class Endless(io.RawIOBase):
    def __init__(self):
        self.started = False

    def readable(self):
        return True

    def read(self, n=-1):
        head = b"" if self.started else b"<r>"
        self.started = True
        return head + b"<a/>" * 4096


def _threads():
    import os

    return len(os.listdir("/proc/self/task"))


def _settled_threads():
    import time

    # The thread count once it has not changed for 0.3 s (at most 10 s of waiting).
    deadline = time.monotonic() + 10
    count, since = _threads(), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < 0.3:
        time.sleep(0.02)
        now = _threads()
        if now != count:
            count, since = now, time.monotonic()
    return count


@pytest.mark.parametrize("how", ["close", "drop"])
def test_abandoned_iterparse_stops_its_thread(how):
    import gc
    import time

    # Parsing threads abandoned by earlier tests may still be ending (slowly, on a loaded
    # machine): count from a settled baseline, or one ending here would look like a thread
    # of this test that never started.
    gc.collect()
    before = _settled_threads()
    # An endless document: a parsing thread that does not stop when abandoned never ends.
    its = [ET.iterparse(Endless()) for _ in range(20)]
    for it in its:
        next(it)
    # Each waits on a full channel: 20 parsing threads are alive now.
    assert _threads() >= before + 20
    for it in its:
        if how == "close":
            it.close()
    del its, it
    gc.collect()
    # Each parse runs on a Rust thread; an abandoned one must end, not wait forever on its
    # full channel (leaked threads would show in /proc/self/task).
    deadline = time.monotonic() + 10
    while _threads() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _threads() <= before


def test_limits_are_keyword_arguments():
    deep = b"<a>" * 20 + b"</a>" * 20
    assert ET.fromstring(deep).tag == "a"
    with pytest.raises(ET.LimitError) as info:
        ET.fromstring(deep, max_depth=10)
    assert info.value.limit == "max_depth"
    assert isinstance(info.value, StdET.ParseError)
    # The message names the library's field and the value in force, never a CLI flag.
    assert "Limits::max_depth is 10" in str(info.value)
    assert "--max" not in str(info.value)


# One document per limit, each crossing it by a little under a small value of that limit.
LIMIT_DOCS = {
    "max_depth": (b"<a>" * 4 + b"</a>" * 4, 3),
    "max_entity_depth": (
        b"<!DOCTYPE a [<!ENTITY e1 'x'><!ENTITY e2 '&e1;'><!ENTITY e3 '&e2;'>]><a>&e3;</a>",
        2,
    ),
    "max_amplification": (
        b"<!DOCTYPE a [<!ENTITY x '" + b"x" * 2000 + b"'>]><a>" + b"&x;" * 50 + b"</a>",
        2,
    ),
    "max_attributes": (b"<a w='1' x='2' y='3'/>", 2),
    "max_name_len": (b"<abcdefghij/>", 8),
    "max_token_len": (b"<a><!--" + b"c" * 300 + b"--></a>", 256),
    "max_retained_bytes": (
        b"<!DOCTYPE a [" + b"".join(b"<!ENTITY e%d 'v'>" % i for i in range(100)) + b"]><a/>",
        4096,
    ),
}


def test_every_limit_is_a_keyword_argument():
    # The keyword arguments are the native module's list (wary_xml::Limit::ALL and the
    # threshold), with the library's defaults; LIMIT_DOCS must have a document for each.
    assert set(ET.DEFAULT_LIMITS) == set(LIMIT_DOCS) | {"amplification_threshold"}
    assert all(isinstance(v, int) and v > 0 for v in ET.DEFAULT_LIMITS.values())


def _feed(make):
    def run(doc, **kw):
        p = make(**kw)
        p.feed(doc)
        return p.close()

    return run


# The four ways a limit reaches the native module: the whole-source parsers through
# _wary.open, the push parsers through _wary.open_push.
PARSERS = {
    "fromstring": lambda doc, **kw: ET.fromstring(doc, **kw),
    "iterparse": lambda doc, **kw: list(ET.iterparse(io.BytesIO(doc), **kw)),
    "XMLPullParser": _feed(ET.XMLPullParser),
    "XMLParser": _feed(ET.XMLParser),
}
# And the two native functions themselves, where no Python check stands in front.
ENTRY_POINTS = dict(
    PARSERS,
    **{
        "_wary.open": lambda doc, **kw: _wary.open(doc, "bytes", **kw).close(),
        "_wary.open_push": lambda doc, **kw: _wary.open_push(**kw).feed(doc),
    },
)


def _misspellings(name):
    """Names one slip away from a keyword argument: a letter dropped, doubled or swapped,
    a case changed, a hyphen for an underscore."""
    out = {name[:i] + name[i + 1 :] for i in range(len(name))}
    out |= {name[:i] + name[i] + name[i:] for i in range(len(name))}
    out |= {name[:i] + name[i + 1] + name[i] + name[i + 2 :] for i in range(len(name) - 1)}
    out |= {name.upper(), name.capitalize(), name.replace("_", "-"), name + "s", name + "_"}
    return sorted(out - {name} - set(ET.DEFAULT_LIMITS))


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_every_limit_name_is_taken_by_every_entry_point(entry):
    parse = ENTRY_POINTS[entry]
    doc = b"<!DOCTYPE a [<!ENTITY e 'x'>]><a b='1'>&e;<c/></a>"
    # Each alone at its default, at a large value and as None (the default); then all at once.
    for name, default in ET.DEFAULT_LIMITS.items():
        for value in (default, 1 << 40, None):
            parse(doc, **{name: value})
    parse(doc, **ET.DEFAULT_LIMITS)


@pytest.mark.parametrize("entry", sorted(PARSERS))
def test_every_limit_reaches_its_own_field_through_every_parser(entry):
    parse = PARSERS[entry]
    for name, (doc, small) in LIMIT_DOCS.items():
        extra = {"amplification_threshold": 1000} if name == "max_amplification" else {}
        # Fine under the default; stopped under a small value, by that limit, which is the
        # keyword argument that raises it.
        parse(doc)
        with pytest.raises(ET.LimitError) as info:
            parse(doc, **{name: small}, **extra)
        assert info.value.limit == name, (entry, str(info.value))
        assert "Limits::%s is %d" % (name, small) in str(info.value)
    # The threshold is a setting of its own: under a high one the same amplification passes.
    doc, small = LIMIT_DOCS["max_amplification"]
    parse(doc, max_amplification=small, amplification_threshold=1 << 30)


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_a_misspelt_or_bad_limit_is_refused_naming_it(entry):
    parse = ENTRY_POINTS[entry]
    for name in ET.DEFAULT_LIMITS:
        for wrong in _misspellings(name):
            with pytest.raises(TypeError) as info:
                parse(b"<a/>", **{wrong: 3})
            assert repr(wrong) in str(info.value), (wrong, str(info.value))
        with pytest.raises(ValueError, match="%s must be 0 or more, got -1" % name):
            parse(b"<a/>", **{name: -1})
        for value in ("3", 3.5, b"3", [3]):
            with pytest.raises(TypeError, match=name):
                parse(b"<a/>", **{name: value})
        with pytest.raises(OverflowError):
            parse(b"<a/>", **{name: 1 << 64})


def test_a_str_document_is_never_silently_garbled():
    # ElementTree ignores the declaration of a str; wary would decode UTF-8 as Latin-1.
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'
    assert StdET.fromstring(latin).text == "é"
    with pytest.raises(ValueError, match="pass the document as bytes"):
        ET.fromstring(latin)
    assert ET.fromstring(latin.encode("latin-1")).text == "é"
    # Pure ASCII agrees in both readings, and UTF-8 declarations agree always.
    assert ET.fromstring('<?xml version="1.0" encoding="ISO-8859-1"?><a>e</a>').text == "e"
    assert ET.fromstring("<?xml version='1.0' encoding='utf-8'?><a>é</a>").text == "é"


def test_name_and_indentation_caches_never_change_the_tree():
    # The native tree builder caches names (4,096 at most) and indentation (256 strings of
    # up to 64 bytes at most) and clears a cache when it is full: more distinct names and
    # indentations than that, each used again after the caches were cleared, white space
    # just under and over the cached length, in a document of many batches.
    rng = random.Random(12)
    names = ["n%d" % i for i in range(6000)]
    parts = ["<root>"]
    for i in range(20_000):
        name = names[rng.randrange(len(names))]
        ws = rng.choice([" " * rng.randrange(1, 300), "\n" + "\t" * rng.randrange(70), "\r\n "])
        attr = names[rng.randrange(len(names))]
        parts.append('%s<%s %s="%s">%s</%s>' % (ws, name, attr, ws.strip() or i, ws, name))
    parts.append("\n</root>")
    doc = "".join(parts).encode()
    assert shape(ET.fromstring(doc)) == shape(StdET.fromstring(doc))
    assert events(ET.iterparse(io.BytesIO(doc), events=ALL)) == events(
        StdET.iterparse(io.BytesIO(doc), events=ALL)
    )


def test_repeated_names_and_indentation_are_one_object():
    # A tree of a million elements must not hold a million copies of its tag names and of
    # "\n    ": the same name is the same (interned) str, and so is the same indentation.
    doc = b"<r>" + b"\n    <item k='v'>x</item>" * 5000 + b"\n</r>"
    root = ET.fromstring(doc)
    assert len({id(e.tag) for e in root}) == 1
    assert len({id(e.tail) for e in root[:-1]}) == 1  # the last tail is "\n"
    assert len({id(k) for e in root for k in e.attrib}) == 1
    assert root[0].tag is sys.intern("item")


def test_elements_without_attributes_never_share_an_attrib_dict():
    # Start tags without attributes go to the TreeBuilder with one shared empty dict; no
    # element may end up holding it: changing one element's attributes changes no other's.
    doc = b"<r>" + b"<e/><f a='1'/>" * 3000 + b"</r>"
    for root in (
        ET.fromstring(doc),
        ET.parse(io.BytesIO(doc)).getroot(),
        ET.fromstring(doc, parser=ET.XMLParser()),
        [e for ev, e in ET.iterparse(io.BytesIO(doc))][-1],
    ):
        for i, e in enumerate(root):
            e.attrib["n"] = str(i)
        assert [e.get("n") for e in root] == [str(i) for i in range(6000)]
        assert root.attrib == {}
        assert [sorted(e.attrib) for e in root[1::2]] == [["a", "n"]] * 3000


def test_a_tree_builder_with_an_element_factory_gets_its_own_dicts():
    seen = []

    def factory(tag, attrib):
        seen.append(attrib)
        return StdET.Element(tag, attrib)

    p = ET.XMLParser(target=StdET.TreeBuilder(element_factory=factory))
    p.feed(b"<r><a/><b/></r>")
    p.close()
    assert len({id(d) for d in seen}) == 3


def test_the_native_functions_refuse_what_they_do_not_take():
    # raw_names is open()'s alone: SAX and DOM builders read whole sources.
    _wary.open(b"<a/>", "bytes", raw_names=True).close()
    unexpected = r"open_push\(\) got an unexpected keyword argument 'raw_names'"
    with pytest.raises(TypeError, match=unexpected):
        _wary.open_push(raw_names=True)
    switches = ("forbid_dtd", "forbid_entities", "forbid_external")
    for name in ("external_entities", "entity_root") + switches:
        with pytest.raises(TypeError, match="'%s'" % (name + "x")):
            _wary.open(b"<a/>", "bytes", **{name + "x": True})
        with pytest.raises(TypeError, match="'%s'" % (name + "x")):
            _wary.open_push(**{name + "x": True})
    with pytest.raises(TypeError, match="argument 'forbid_dtd'"):
        _wary.open_push(forbid_dtd=1)
    with pytest.raises(ValueError, match="entity_root is only used"):
        _wary.open_push(entity_root="/tmp")
    with pytest.raises(ValueError, match="external_entities must be"):
        _wary.open(b"<a/>", "bytes", external_entities="http")
