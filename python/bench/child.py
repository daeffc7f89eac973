"""One measurement of the Python benchmark, in a process of its own (see bench.py).

    python child.py LIBRARY OPERATION PATH ELEMENTS

imports LIBRARY only, runs OPERATION once on the document at PATH, checks that it saw exactly
ELEMENTS elements (a parse that silently loses elements must not look fast), and prints one
JSON line: wall and CPU seconds of the operation, and the process's peak RSS before the
operation (the interpreter, the library, and for ``fromstring`` the document's bytes) and after
it. The difference is the operation's peak memory: a peak cannot be reset, which is why every
measurement is a new process.

The peak is Linux's ``VmHWM`` (/proc/self/status), not ``getrusage().ru_maxrss``: a child's
ru_maxrss starts at the high-water mark of the process it was forked from (the kernel carries
it across exec), so it would report the benchmark driver's memory, not the child's.
"""

import json
import resource
import sys
import time


def load(library):
    """The module under test and a function counting the elements of a tree it built."""
    if library == "wary":
        import wary.etree as mod
    elif library == "wary.defusedxml":
        import wary.defusedxml.ElementTree as mod
    elif library == "etree":
        import xml.etree.ElementTree as mod

        check_accelerated(mod)
    elif library == "defusedxml":
        import defusedxml.ElementTree as mod
        import xml.etree.ElementTree as et

        check_accelerated(et)
    elif library == "lxml":
        import lxml.etree as mod

        # lxml puts comments and processing instructions in the tree; count elements only.
        return mod, lambda root: sum(1 for _ in root.iter(mod.Element))
    else:
        raise SystemExit("unknown library %r" % library)
    return mod, lambda root: sum(1 for _ in root.iter())


def check_accelerated(et):
    """xml.etree is measured with its C accelerator, as users get it: refuse to run without."""
    import _elementtree

    if et.XMLParser is not _elementtree.XMLParser or et.Element is not _elementtree.Element:
        raise SystemExit("xml.etree.ElementTree is not using its C accelerator (_elementtree)")


def iterparse_count(mod, path):
    """``iterparse`` as ElementTree users stream a large file: take the root from the first
    ``start`` event, ``clear()`` every element at its ``end``, and empty the root whenever one
    of its children ends, so that memory holds one of the root's children at most."""
    it = mod.iterparse(path, events=("start", "end"))
    _, root = next(it)
    depth, ends = 1, 0
    for event, elem in it:
        if event == "start":
            depth += 1
        else:
            ends += 1
            depth -= 1
            elem.clear()
            if depth == 1:
                root.clear()
    return ends


def peak_kib():
    """The process's peak RSS in KiB (``VmHWM``; ru_maxrss where /proc is missing)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    library, operation, path, elements = sys.argv[1:5]
    mod, count = load(library)
    data = None
    if operation == "fromstring":
        with open(path, "rb") as f:
            data = f.read()
    before = peak_kib()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if operation == "fromstring":
        root = mod.fromstring(data)
    elif operation == "parse":
        root = mod.parse(path).getroot()
    elif operation == "iterparse":
        root = None
        seen = iterparse_count(mod, path)
    else:
        raise SystemExit("unknown operation %r" % operation)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    after = peak_kib()
    if root is not None:
        seen = count(root)
    if seen != int(elements):
        raise SystemExit("saw %d elements, the input has %s" % (seen, elements))
    print(json.dumps({"wall": wall, "cpu": cpu, "base_kib": before, "peak_kib": after}))


if __name__ == "__main__":
    main()
