"""wary.smtp against a scripted loopback SMTP server: every status, the exceptions, and
the STARTTLS stripping cases (nothing but EHLO and STARTTLS ever goes out in plain text)."""

import smtplib
from email.message import EmailMessage

import pytest

import wary.smtp as ws
from smtp_server import Server, make_certs

MSG = (b"From: a@example.org\r\nTo: b@example.org\r\nBcc: hidden@example.org\r\n"
       b"Subject: hi\r\n\r\nhello\r\n")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("certs"))


def send(srv, certs, msg=MSG, **kw):
    kw.setdefault("timeout", 5)
    kw.setdefault("tls", "starttls")
    return ws.send(msg, ("127.0.0.1", srv.port), ca_file=certs[0], **kw)


def only_ehlo_starttls_in_plain(srv):
    for line in srv.plain():
        assert line.split(b" ")[0].strip().upper() in (b"EHLO", b"STARTTLS"), line


def test_delivered_over_verified_starttls(certs):
    srv = Server(certs)
    r = send(srv, certs, user="u", password="p")
    assert r.status == "delivered" and r.delivered
    assert r.tls and r.tls["version"].startswith("TLS")
    # recipients from To and Bcc; Bcc is never sent
    assert [x.address for x in r.recipients] == ["b@example.org", "hidden@example.org"]
    assert all(x.status == "accepted" for x in r.recipients)
    assert b"hidden@example.org" not in srv.all().split(b"DATA")[1]
    assert r.final_reply.code == 250 and r.final_reply.enhanced == "2.0.0"
    only_ehlo_starttls_in_plain(srv)
    assert r.raise_for_status() is None


def test_email_message_and_implicit_tls(certs):
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "a@example.org", "c@example.org", "x"
    m.set_content("body\n")
    srv = Server(certs, implicit=True)
    r = send(srv, certs, msg=m, tls="implicit")
    assert r.status == "delivered"
    assert not srv.plain()


@pytest.mark.parametrize("mail,status", [(b"451 4.3.0 later\r\n", "deferred"),
                                         (b"553 5.1.8 bad sender\r\n", "refused")])
def test_mail_refused_decides(certs, mail, status):
    srv = Server(certs, MAIL=mail)
    r = send(srv, certs)
    assert r.status == status
    assert all(x.status == status for x in r.recipients)
    with pytest.raises(smtplib.SMTPSenderRefused):
        r.raise_for_status()


def test_recipients_mixed_and_all_refused(certs):
    srv = Server(certs, rcpt={"hidden@example.org": b"550 5.1.1 no such user\r\n"})
    r = send(srv, certs)
    assert r.status == "delivered"
    assert [x.status for x in r.recipients] == ["accepted", "refused"]
    assert r.refused_recipients() == {"hidden@example.org": (550, b"no such user")}
    srv = Server(certs, RCPT=b"450 4.2.0 busy\r\n")
    r = send(srv, certs)
    assert r.status == "deferred"
    with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
        r.raise_for_status()
    assert set(e.value.recipients) == {"b@example.org", "hidden@example.org"}


def test_final_refusal_and_unconfirmed(certs):
    r = send(Server(certs, END=b"554 5.7.1 spam\r\n"), certs)
    assert r.status == "refused"
    with pytest.raises(smtplib.SMTPDataError):
        r.raise_for_status()
    r = send(Server(certs, END=None), certs)
    assert r.status == "unconfirmed"
    with pytest.raises(ws.UnconfirmedError):
        r.raise_for_status()


def test_not_sent_when_login_refused(certs):
    srv = Server(certs, AUTH=b"535 5.7.8 bad credentials\r\n")
    with pytest.raises(smtplib.SMTPAuthenticationError) as e:
        send(srv, certs, user="u", password="wrong")
    assert e.value.report.status == "not_sent"
    assert b"MAIL" not in srv.all()


@pytest.mark.parametrize("ehlo,starttls", [
    (b"250-test\r\n250 AUTH PLAIN\r\n", b"220 go\r\n"),  # stripped
    (None, b"454 4.7.0 no TLS\r\n"),
    (None, b"502 no\r\n"),
    (None, b"250 sure\r\n"),
    (None, b"220 go\r\n250 injected\r\n"),
    (None, None),  # close
])
def test_starttls_stripping_never_leaks(certs, ehlo, starttls):
    kw = {"STARTTLS": starttls}
    if ehlo:
        kw["EHLO"] = ehlo
    srv = Server(certs, **kw)
    with pytest.raises(smtplib.SMTPException) as e:
        send(srv, certs, user="u", password="secret")
    assert isinstance(e.value, (ws.StartTLSError, ws.SMTPServerDisconnected, ws.TLSError))
    assert e.value.report.status == "not_sent"
    srv.thread.join(10)
    only_ehlo_starttls_in_plain(srv)
    assert b"secret" not in srv.all() and b"MAIL" not in srv.all()


def test_untrusted_certificate_is_tls_error(certs, tmp_path):
    other = make_certs(tmp_path)
    srv = Server(certs)
    with pytest.raises(ws.TLSError) as e:
        send(srv, (other[0],))
    import ssl
    assert isinstance(e.value, ssl.SSLError)
    srv.thread.join(10)
    only_ehlo_starttls_in_plain(srv)


def test_plain_text_only_by_name(certs):
    srv = Server(certs, EHLO=b"250 test\r\n")
    r = ws.send(MSG, ("127.0.0.1", srv.port), tls="none", timeout=5)
    assert r.status == "delivered" and r.tls is None
    with pytest.raises(ValueError):
        ws.send(MSG, ("127.0.0.1", 1), tls="plain")


def test_bad_arguments_send_nothing():
    with pytest.raises(ValueError):
        ws.send(b"no header end", ("127.0.0.1", 1), to_addrs=["x\r\nRCPT TO:<y>@a"])
    with pytest.raises(ValueError):
        ws.send(MSG, ("127.0.0.1", 1), timeout=float("inf"))
    with pytest.raises(TypeError):
        ws.send(42, ("127.0.0.1", 1))


def test_connect_refused_is_connect_error():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(smtplib.SMTPConnectError):
        ws.send(MSG, ("127.0.0.1", port), timeout=2)


def test_smtp_class_is_a_drop_in(certs):
    srv = Server(certs)
    with ws.SMTP("127.0.0.1", srv.port, timeout=5, ca_file=certs[0]) as s:
        s.ehlo()
        s.starttls()
        s.ehlo()
        s.login("u", "p")
        assert s.sendmail("a@example.org", ["b@example.org"], MSG) == {}
    assert s.last_report.status == "delivered"
    only_ehlo_starttls_in_plain(srv)


def test_smtp_class_without_starttls_call_still_uses_tls(certs):
    srv = Server(certs)
    with ws.SMTP("127.0.0.1", srv.port, timeout=5, ca_file=certs[0]) as s:
        s.sendmail("a@example.org", "b@example.org", MSG)
    only_ehlo_starttls_in_plain(srv)
    assert s.last_report.tls is not None


def test_smtp_class_refuses_non_verifying_context():
    import ssl
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with pytest.raises(ValueError):
        ws.SMTP("127.0.0.1", 1).starttls(context=ctx)
    with pytest.raises(smtplib.SMTPNotSupportedError):
        ws.SMTP("127.0.0.1", 1, tls="none").login("u", "p")


def test_smtp_class_raises_recipients_refused(certs):
    srv = Server(certs, RCPT=b"550 5.1.1 nobody\r\n")
    with ws.SMTP("127.0.0.1", srv.port, timeout=5, ca_file=certs[0]) as s:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            s.sendmail("a@example.org", ["b@example.org"], MSG)


def test_network_wait_releases_the_gil(certs):
    """A Python thread keeps running while send() waits on a server that answers slowly."""
    import socket
    import threading
    import time

    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    port = lsock.getsockname()[1]

    def slow():
        conn, _ = lsock.accept()
        time.sleep(1.0)  # the greeting comes late, then the server goes away
        conn.close()
        lsock.close()

    threading.Thread(target=slow, daemon=True).start()
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(1)
            time.sleep(0.01)

    counter = threading.Thread(target=count)
    counter.start()
    with pytest.raises(smtplib.SMTPServerDisconnected):
        ws.send(MSG, ("127.0.0.1", port), timeout=5)
    done.set()
    counter.join()
    # About 100 ticks in the second the server waited; with the GIL held there would be ~1.
    assert len(ticks) > 30, len(ticks)


def test_send_message_never_sends_bcc_even_with_explicit_recipients(certs):
    """smtplib.send_message removes Bcc from what it sends whatever to_addrs is; so must we."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "a@example.org", "b@example.org", "x"
    m["Bcc"] = "secret-rcpt@example.org"
    m.set_content("body\n")
    for to_addrs in (None, ["b@example.org", "secret-rcpt@example.org"]):
        srv = Server(certs)
        with ws.SMTP("127.0.0.1", srv.port, timeout=5, ca_file=certs[0]) as s:
            assert s.send_message(m, to_addrs=to_addrs) == {}
        srv.thread.join(10)
        wire = srv.all()
        assert b"RCPT TO:<secret-rcpt@example.org>" in wire, to_addrs
        assert b"secret-rcpt" not in wire.split(b"DATA\r\n", 1)[1], to_addrs
    assert m["Bcc"] == "secret-rcpt@example.org"  # the caller's message is not changed


def test_timeout_before_content_is_deferred_and_raises_the_timeout(certs):
    """MAIL gets no reply: deferred (safe to retry), and the exception is the timeout, not
    an invented recipient refusal."""
    srv = Server(certs, MAIL=b"")  # says nothing to MAIL
    r = send(srv, certs, timeout=1)
    assert r.status == "deferred"
    assert isinstance(r.error, (ws.SMTPTimeoutError, TimeoutError))
    with pytest.raises(TimeoutError):
        r.raise_for_status()
