#!/usr/bin/env python3
"""A deliberately unsafe SMTP client, to prove `wary probe smtp-client` catches what it must.

It verifies certificates properly, but makes the two classic STARTTLS mistakes:
- opportunistic TLS: when STARTTLS is missing or refused it carries on in plain text
  (the CVE-2016-0772 outcome);
- it keeps bytes read before the handshake and reads them as the TLS server's replies
  (the CVE-2021-22947 pattern: response injection).

Usage: naive_client.py HOST PORT CAFILE USER PASSWORD_FILE FROM TO MESSAGE_FILE
"""
import base64
import socket
import ssl
import sys

host, port, cafile, user, pwfile, sender, rcpt, msgfile = sys.argv[1:9]
password = open(pwfile).read().strip()
buf = b""


def reply(sock):
    global buf
    while True:
        while b"\n" not in buf:
            data = sock.recv(4096)
            if not data:
                raise EOFError("server closed")
            buf += data
        line, buf = buf.split(b"\n", 1)
        if line[3:4] != b"-":
            return int(line[:3])


def cmd(sock, line):
    sock.sendall(line + b"\r\n")
    return reply(sock)


plain = socket.create_connection((host, int(port)), timeout=3)
sock = plain
reply(sock)
sock.sendall(b"EHLO naive\r\n")
ehlo = b""
while True:
    while b"\n" not in buf:
        buf += sock.recv(4096)
    line, buf = buf.split(b"\n", 1)
    ehlo += line
    if line[3:4] != b"-":
        break
if b"STARTTLS" in ehlo and cmd(sock, b"STARTTLS") == 220:
    ctx = ssl.create_default_context(cafile=cafile)
    sock = ctx.wrap_socket(plain, server_hostname="localhost")
    cmd(sock, b"EHLO naive")  # BUG: may be answered from bytes read before the handshake
# BUG: no TLS? carry on anyway.
cmd(sock, b"AUTH PLAIN " + base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()))
cmd(sock, b"MAIL FROM:<" + sender.encode() + b">")
cmd(sock, b"RCPT TO:<" + rcpt.encode() + b">")
cmd(sock, b"DATA")
body = open(msgfile, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
sock.sendall(body + b".\r\n")
reply(sock)
cmd(sock, b"QUIT")
