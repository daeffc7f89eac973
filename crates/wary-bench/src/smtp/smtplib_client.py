"""The smtplib client of the wary SMTP benchmark (crates/wary-bench, issue 6 section 4).

Sends every message of a NUL-separated file over ONE smtplib.SMTP connection: STARTTLS with a
context that verifies the sink's certificate against the run's test CA, then sendmail() per
message, then QUIT. Arguments: HOST PORT CA_FILE MESSAGES FROM TO. Exits 1 on any refusal.
"""
import smtplib
import ssl
import sys


def main():
    host, port, ca_file, messages, sender, rcpt = sys.argv[1:7]
    with open(messages, "rb") as f:
        msgs = f.read().split(b"\0")
    context = ssl.create_default_context(cafile=ca_file)
    with smtplib.SMTP(host, int(port), local_hostname="bench.example.org", timeout=30) as s:
        code, _ = s.starttls(context=context)
        if code != 220:
            sys.exit(f"smtplib: STARTTLS answered {code}")
        for i, msg in enumerate(msgs):
            refused = s.sendmail(sender, [rcpt], msg)
            if refused:
                sys.exit(f"smtplib: message {i} refused: {refused}")
    print(len(msgs))


if __name__ == "__main__":
    main()
