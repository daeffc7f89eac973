"""Shared helpers of the pytest suite: generated documents and readers that split input."""

import io
import random

import pytest

NAMES = ["a", "b", "item", "x:a", "y:b", "long-name.with_chars"]
TEXTS = ["", "t", "  ", "a&amp;b", "&lt;&gt;", "&#x263A;&#65;", "é ü", "line\nbreak", "]]"]


def _attrs(rng, prefixes):
    out, used = [], set()
    for _ in range(rng.randrange(4)):
        name = rng.choice(["id", "k", "x:k", "y:z", "xml:lang"])
        if name in used or (":" in name and name.split(":")[0] not in prefixes and name[:4] != "xml:"):
            continue
        used.add(name)
        out.append('%s="%s"' % (name, rng.choice(["1", "v w", "&amp;", "&#x41;", "'q'"])))
    return out


def generate(seed, max_nodes=60):
    """A random well-formed document (bytes) using namespaces, entities, CDATA, comments
    and PIs: the same generator drives every comparison with the stdlib."""
    rng = random.Random(seed)
    parts = []
    if rng.random() < 0.3:
        parts.append('<?xml version="1.0" encoding="UTF-8"?>')
    if rng.random() < 0.3:
        parts.append("<!--head--><?pi head?>")
    budget = [max_nodes]

    def element(depth, prefixes):
        budget[0] -= 1
        decls = []
        new = set(prefixes)
        if rng.random() < 0.3:
            p = rng.choice(["x", "y"])
            decls.append('xmlns:%s="urn:%s:%d"' % (p, p, rng.randrange(3)))
            new.add(p)
        if rng.random() < 0.15:
            decls.append('xmlns="urn:default:%d"' % rng.randrange(2))
        name = rng.choice([n for n in NAMES if ":" not in n or n.split(":")[0] in new])
        attrs = decls + _attrs(rng, new)
        head = "<" + " ".join([name] + attrs)
        if rng.random() < 0.2 or depth > 6 or budget[0] <= 0:
            parts.append(head + "/>")
            return
        parts.append(head + ">")
        for _ in range(rng.randrange(5)):
            r = rng.random()
            if r < 0.45 and budget[0] > 0:
                element(depth + 1, new)
            elif r < 0.75:
                parts.append(rng.choice(TEXTS).replace("]]", "]"))
            elif r < 0.85:
                parts.append("<![CDATA[%s]]>" % rng.choice(["c", "<&>", "]"]))
            elif r < 0.93:
                parts.append("<!--%s-->" % rng.choice(["", "c", "a-b"]))
            else:
                parts.append("<?tgt %s?>" % rng.choice(["", "d", "a b"]))
        parts.append("</%s>" % name)

    element(0, set())
    if rng.random() < 0.3:
        parts.append("<!--tail-->")
    return "".join(parts).encode("utf-8")


class Trickle(io.RawIOBase):
    """A binary file object that returns at most ``sizes`` bytes per read, in turn: the
    document arrives split at every kind of boundary."""

    def __init__(self, data, sizes=(1, 2, 3, 5, 7)):
        self._data, self._pos, self._sizes, self._i = data, 0, sizes, 0

    def readable(self):
        return True

    def read(self, n=-1):
        size = self._sizes[self._i % len(self._sizes)]
        self._i += 1
        if n is not None and n >= 0:
            size = min(size, n)
        chunk = self._data[self._pos : self._pos + size]
        self._pos += len(chunk)
        return chunk


@pytest.fixture
def trickle():
    return Trickle
