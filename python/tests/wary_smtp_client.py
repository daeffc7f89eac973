#!/usr/bin/env python3
"""A mail client on wary.smtp.SMTP, written as smtplib code with only the import changed:
the subject of `wary probe smtp-client` in test_smtp_probe.py.

  python wary_smtp_client.py --tls {tls} --host {host} --port {port} --cafile {ca} \
      --user {user} --password-file {password_file} --from {from} --to {to} \
      --message {message}
"""
import argparse
import sys

import wary.smtp as smtplib  # was: import smtplib


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--tls", choices=["starttls", "implicit"], default="starttls")
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cafile")
    p.add_argument("--user")
    p.add_argument("--password-file")
    p.add_argument("--from", dest="sender", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--message", required=True)
    p.add_argument("--timeout", type=float, default=5.0)
    a = p.parse_args()
    with open(a.message, "rb") as f:
        message = f.read()
    password = None
    if a.password_file:
        with open(a.password_file) as f:
            password = f.read().strip()
    if a.tls == "implicit":
        server = smtplib.SMTP_SSL(a.host, a.port, timeout=a.timeout, ca_file=a.cafile)
    else:
        server = smtplib.SMTP(a.host, a.port, timeout=a.timeout, ca_file=a.cafile)
        server.starttls()
    with server:
        if a.user and password is not None:
            server.login(a.user, password)
        server.sendmail(a.sender, [a.to], message)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:
        print(f"wary.smtp client: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
