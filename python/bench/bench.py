"""The Python benchmark (issue 12, point 5): wary.etree against xml.etree's C accelerator, lxml
and defusedxml, on the XML benchmark's documents; writes the ``python`` part of
docs/performance.md. Run it through ``scripts/bench python``, which builds the virtual
environment (wary from this checkout, lxml and defusedxml from PyPI) and wary-bench, whose
``inputs`` subcommand makes the documents exactly as the XML part does.

Every measurement is a process of its own (child.py): one library, one operation, one
document, once. Repetitions are interleaved (rep 1 of every cell, then rep 2, ...), so that a
burst of load on a shared machine hits every library alike; the fastest repetition is
reported (min of N: noise only ever slows a run down), and the largest peak memory.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import report

HERE = os.path.dirname(os.path.abspath(__file__))

#: (id, label) in table order. ``wary.defusedxml`` shows that defusedxml's checks cost
#: nothing when they run in the core (issue 12's third target).
LIBRARIES = [
    ("wary", "wary.etree"),
    ("wary.defusedxml", "wary.defusedxml.ElementTree"),
    ("etree", "xml.etree.ElementTree (C accelerator)"),
    ("lxml", "lxml.etree"),
    ("defusedxml", "defusedxml.ElementTree"),
]
OPERATIONS = ["fromstring", "parse", "iterparse"]
#: The real documents of the XML benchmark, and its namespaces one.
INPUTS = ["freedesktop", "iso-639-3", "namespaces"]


class Input:
    """A document made by ``wary-bench inputs``."""

    def __init__(self, line):
        name, path, size, elements, kind, description = line.split("\t", 5)
        self.name, self.path, self.description = name, path, description
        self.bytes, self.elements, self.real = int(size), int(elements), kind == "real"


def inputs(wary_bench, *args):
    """Makes (or finds in the cache) documents with wary-bench, as the XML part does."""
    out = subprocess.run(
        [wary_bench, "inputs", *args], check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    return [Input(line) for line in out.splitlines() if line.strip()]


def warm(path):
    """Reads a file once, so that every library finds it in the page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def measure(library, operation, doc, timeout):
    """Runs one measurement in a new process; returns its JSON result, or the reason it failed."""
    cmd = [sys.executable, os.path.join(HERE, "child.py"), library, operation, doc.path,
           str(doc.elements)]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timed out after %d s" % timeout
    if run.returncode != 0:
        lines = [l for l in (run.stderr + run.stdout).splitlines() if l.strip()]
        return "exit %d: %s" % (run.returncode, lines[-1] if lines else "no output")
    try:
        return json.loads(run.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return "printed no result: %r" % run.stdout[-200:]


def progress(what, library, operation, doc, sample):
    if isinstance(sample, str):
        print("bench: %s %s %s %s: FAILED: %s" % (what, doc.name, library, operation, sample),
              file=sys.stderr)
    else:
        print("bench: %s %s %s %s: %.1f MB/s, +%.1f MiB" % (
            what, doc.name, library, operation, doc.bytes / 1e6 / max(sample["wall"], 1e-9),
            (sample["peak_kib"] - sample["base_kib"]) / 1024), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wary-bench", required=True, help="the wary-bench binary (makes inputs)")
    ap.add_argument("--quick", action="store_true",
                    help="small inputs, 2 repetitions: indicative only; writes target/bench-quick/")
    ap.add_argument("--reps", type=int, help="repetitions per cell (default 5, quick 2)")
    ap.add_argument("--size-mib", type=int, help="size of each input (default 50, quick 4)")
    ap.add_argument("--large-mib", type=int,
                    help="size of the iterparse memory document (default 1024, quick 64)")
    ap.add_argument("--cache", default="target/bench-inputs", help="cache folder for inputs")
    ap.add_argument("--libraries", help="only these (comma-separated ids: %s)"
                    % ", ".join(l for l, _ in LIBRARIES))
    ap.add_argument("--out", help="the report to write the python part of (default "
                    "docs/performance.md, or target/bench-quick/performance.md with --quick)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds a measurement may take")
    args = ap.parse_args()

    reps = max(1, args.reps or (2 if args.quick else 5))
    size = args.size_mib or (4 if args.quick else 50)
    large_size = args.large_mib or (64 if args.quick else 1024)
    libraries = LIBRARIES
    if args.libraries:
        wanted = args.libraries.split(",")
        unknown = set(wanted) - {l for l, _ in LIBRARIES}
        if unknown:
            raise SystemExit("unknown libraries: %s" % ", ".join(sorted(unknown)))
        libraries = [l for l in LIBRARIES if l[0] in wanted]
    out = args.out or ("target/bench-quick/performance.md" if args.quick
                       else "docs/performance.md")

    started = time.time()
    machine = report.machine()
    docs = inputs(args.wary_bench, "--names", ",".join(INPUTS), "--size-mib", str(size),
                  "--cache", args.cache)
    for doc in docs:
        warm(doc.path)
    cells = {}  # (library, operation, input name) -> list of samples, or the failure
    for rep in range(reps):
        for doc in docs:
            for library, _ in libraries:
                for operation in OPERATIONS:
                    key = (library, operation, doc.name)
                    if isinstance(cells.get(key), str):
                        continue  # failed once: the failure is the result
                    sample = measure(library, operation, doc, args.timeout)
                    progress("rep %d/%d" % (rep + 1, reps), library, operation, doc, sample)
                    if isinstance(sample, str):
                        cells[key] = sample
                    else:
                        cells.setdefault(key, []).append(sample)

    # The large document is never cached: it is written in seconds and would fill the disk.
    large_dir = tempfile.mkdtemp(prefix="wary-bench-python-")
    try:
        (large,) = inputs(args.wary_bench, "--names", "large", "--large-mib", str(large_size),
                          "--large-dir", large_dir)
        warm(large.path)
        large_cells = {}
        for library, _ in libraries:
            sample = measure(library, "iterparse", large, args.timeout)
            progress("large", library, "iterparse", large, sample)
            large_cells[library] = sample
    finally:
        shutil.rmtree(large_dir, ignore_errors=True)

    results = report.Results(
        quick=args.quick, reps=reps, size_mib=size, libraries=libraries,
        operations=OPERATIONS, inputs=docs, cells=cells, large=large,
        large_cells=large_cells, machine=machine, took=time.time() - started,
    )
    body, verdicts = report.markdown(results)
    report.publish(out, body)
    print(body)
    print("Targets (issue 12):")
    for ok, text in verdicts:
        print("  %s  %s" % ("PASS" if ok else "FAIL", text))
    print("bench: wrote %s" % out, file=sys.stderr)


if __name__ == "__main__":
    main()
