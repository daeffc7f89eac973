"""A scripted loopback SMTP server for the wary.smtp tests (127.0.0.1 only, bounded).

It answers each command from a table (overridable per test), can do STARTTLS with a
certificate made by `openssl` (scripts/install-deps installs it), and records every line it
received with whether it came in plain text or over TLS, so a test can assert what leaked.
"""

import socket
import ssl
import subprocess
import threading

DEFAULT = {
    "greeting": b"220 test ESMTP\r\n",
    "EHLO": b"250-test\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
    "EHLO_TLS": b"250-test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
    "STARTTLS": b"220 go ahead\r\n",
    "AUTH": b"235 2.7.0 ok\r\n",
    "MAIL": b"250 2.1.0 ok\r\n",
    "RCPT": b"250 2.1.5 ok\r\n",
    "DATA": b"354 go\r\n",
    "END": b"250 2.0.0 queued\r\n",
    "RSET": b"250 ok\r\n",
    "QUIT": b"221 bye\r\n",
}


def make_certs(tmp):
    """A CA and a server certificate for 127.0.0.1/localhost; returns (ca, cert, key)."""
    d = str(tmp)
    run = lambda *a: subprocess.run(a, check=True, capture_output=True, cwd=d)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
        "-out", "ca.pem", "-days", "2", "-subj", "/CN=wary test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key",
        "-out", "srv.csr", "-subj", "/CN=localhost")
    with open(d + "/ext.cnf", "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run("openssl", "x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf")
    return d + "/ca.pem", d + "/srv.pem", d + "/srv.key"


class Server:
    """One connection, answered from ``replies`` (a dict over DEFAULT). ``rcpt`` maps an
    address to its RCPT reply. ``implicit`` starts TLS at once. ``received`` lists
    ``(tls, line)``."""

    def __init__(self, certs=None, implicit=False, rcpt=None, **replies):
        self.replies = dict(DEFAULT, **replies)
        self.rcpt = rcpt or {}
        self.certs = certs
        self.implicit = implicit
        self.received = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _ctx(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certs[1], self.certs[2])
        return ctx

    def _run(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        conn.settimeout(10)
        tls = False
        try:
            if self.implicit:
                conn = self._ctx().wrap_socket(conn, server_side=True)
                tls = True
            f = conn.makefile("rb")
            conn.sendall(self.replies["greeting"])
            in_data = False
            for _ in range(1000):  # bounded
                line = f.readline(100000)
                if not line:
                    return
                self.received.append((tls, line))
                if in_data:
                    if line == b".\r\n":
                        in_data = False
                        if self.replies["END"] is None:
                            return  # the content arrived; no final reply (unconfirmed)
                        conn.sendall(self.replies["END"])
                    continue
                verb = line.split(b" ")[0].split(b":")[0].strip().upper().decode()
                if verb == "EHLO":
                    conn.sendall(self.replies["EHLO_TLS" if tls else "EHLO"])
                elif verb == "STARTTLS":
                    r = self.replies["STARTTLS"]
                    if r is None:
                        return  # close
                    conn.sendall(r)
                    if r.startswith(b"220 ") and r.count(b"\r\n") == 1:
                        conn = self._ctx().wrap_socket(conn, server_side=True)
                        f = conn.makefile("rb")
                        tls = True
                elif verb == "RCPT":
                    addr = line.split(b"<", 1)[1].split(b">", 1)[0].decode()
                    conn.sendall(self.rcpt.get(addr, self.replies["RCPT"]))
                elif verb == "DATA":
                    r = self.replies["DATA"]
                    conn.sendall(r)
                    in_data = r.startswith(b"354")
                elif verb in self.replies:
                    r = self.replies[verb]
                    if r is None:
                        return
                    conn.sendall(r)
                    if verb == "QUIT":
                        return
                else:
                    conn.sendall(b"502 unknown\r\n")
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()
            self.sock.close()

    def plain(self):
        """Lines received in plain text."""
        return [line for tls, line in self.received if not tls]

    def all(self):
        """Every line received."""
        return b"".join(line for _, line in self.received)
