"""iterparse memory stays flat on a large generated document (elements cleared as in ET).

Each run is a child process (peak RSS is per process): it parses a document generated on the
fly by a file object (so the input itself is never in memory) with ``iterparse`` and
``clear()``, and prints its VmHWM. The document with 8x the records must not need more
memory than the small one, beyond a little noise: memory is bounded by wary's batches,
not by the document's size.
"""

import subprocess
import sys

CHILD = r"""
import io, sys
import wary.etree as ET

RECORD = (b'<rec id="%d" xmlns:p="urn:p"><p:name>record &amp; name</p:name>'
          b'<![CDATA[some <cdata>]]><!--c--><v a="1" b="2">' + b"x" * 200 + b'</v></rec>\n')

class Doc(io.RawIOBase):
    def __init__(self, n):
        self.n, self.i, self.buf = n, 0, b"<root>"
    def readable(self):
        return True
    def read(self, size=-1):
        while len(self.buf) < size and self.i <= self.n:
            self.buf += RECORD % self.i if self.i < self.n else b"</root>"
            self.i += 1
        out, self.buf = self.buf[:size], self.buf[size:]
        return out

n = int(sys.argv[1])
count = 0
root = None
for ev, el in ET.iterparse(Doc(n), events=("start", "end")):
    if ev == "start" and root is None:
        root = el
    elif ev == "end" and el.tag == "rec":
        count += 1
        el.clear()
        root.clear()
assert count == n, count
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(int(line.split()[1]))
"""


def peak_kib(records):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(records)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return int(out.stdout.strip())


def test_iterparse_memory_is_flat():
    small = peak_kib(12_500)  # about 4 MB of XML
    large = peak_kib(100_000)  # about 32 MB
    print("peak RSS: %d KiB at 4 MB, %d KiB at 32 MB" % (small, large))
    assert large - small < 8 * 1024, (small, large)
    assert large < 64 * 1024, large
