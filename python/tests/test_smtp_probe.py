"""`wary probe smtp-client` against a client built on wary.smtp.SMTP: every scenario of the
catalog (STARTTLS stripping, injection, bad certificates, AUTH before STARTTLS, ...) must
come out safe, and the controls delivered."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WARY = os.path.join(ROOT, "target", "release", "wary")
CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wary_smtp_client.py")


@pytest.mark.skipif(not os.path.exists(WARY), reason="target/release/wary not built "
                    "(scripts/test builds it before the Python step)")
def test_probe_finds_nothing_unsafe():
    cmd = [WARY, "probe", "smtp-client", "--json", "--", sys.executable, CLIENT,
           "--tls", "{tls}", "--host", "{host}", "--port", "{port}", "--cafile", "{ca}",
           "--user", "{user}", "--password-file", "{password_file}", "--from", "{from}",
           "--to", "{to}", "--message", "{message}", "--timeout", "2"]
    env = dict(os.environ, PYTHONPATH=os.path.dirname(CLIENT))
    p = subprocess.run(cmd, capture_output=True, timeout=600, env=env)
    out = p.stdout.decode()
    assert p.returncode == 0, out + p.stderr.decode()
    kinds = {f["name"]: f["data"]["kind"] for f in json.loads(out)["findings"]}
    # The controls prove the client really sends (a client that never sends is "safe" too).
    assert kinds.pop("control") == "delivered", out
    assert kinds.pop("implicit-control") == "delivered", out
    assert "starttls-stripped" in kinds and "cert-wrong-host" in kinds, sorted(kinds)
    assert set(kinds.values()) == {"safe"}, kinds
