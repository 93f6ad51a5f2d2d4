"""Upload with QNetworkAccessManager against a real HTTP server on loopback, started by the test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "share"))

from share_helpers import PutServer, free_port

from tallylight.errors import ShareError
from tallylight.share import outbox, transfer
from tallylight.share.bundle import SUFFIX, Encrypted

FAST = {"base_delay_s": 0.05, "rng": lambda: 1.0}


def queue(url: str | None, size: int = 200_000) -> outbox.Pending:
    enc = Encrypted(str(uuid.uuid4()), {}, os.urandom(size))
    return outbox.put(enc, "study-1", ["s1", "s2"], url)


@pytest.fixture
def server(tmp_path: Path):
    made: list[PutServer] = []

    def start(*args: str) -> PutServer:
        s = PutServer(tmp_path / f"server{len(made)}", *args)
        made.append(s)
        return s

    yield start
    for s in made:
        s.stop()


def send(qtbot, timeout_ms: int = 20000, **options: object):
    from tallylight.ui.outbox_sender import OutboxSender

    sender = OutboxSender(**{**FAST, **options})  # type: ignore[arg-type]
    results: list[tuple[str, bool, str]] = []
    sender.bundle_done.connect(lambda bid, ok, msg: results.append((bid, ok, msg)))
    with qtbot.waitSignal(sender.all_done, timeout=timeout_ms):
        sender.start()
    return results


def test_success_puts_the_exact_bytes_with_a_known_length(qapp, qtbot, server) -> None:
    srv = server()
    p = queue(srv.url("/drop/"))
    data = p.path().read_bytes()
    assert send(qtbot) == [(p.bundle_id, True, "HTTP 201")]
    assert srv.files() == {p.bundle_id + SUFFIX: data}
    (req,) = srv.requests()
    assert req["length"] == len(data)
    assert not req["chunked"]
    assert req["path"] == f"/drop/{p.bundle_id}{SUFFIX}"
    assert outbox.pending() == []
    (entry,) = outbox.read_log()
    assert entry.action == "sent"
    assert entry.bundle_id == p.bundle_id
    assert entry.sha256 == p.sha256
    assert entry.destination == srv.url(f"/drop/{p.bundle_id}{SUFFIX}")  # where the bytes went


def test_500_then_success(qapp, qtbot, server) -> None:
    srv = server("--fail-first", "2")
    p = queue(srv.url("/drop/"))
    assert send(qtbot)[0][1] is True
    assert [r["status"] for r in srv.requests()] == [500, 500, 201]
    assert p.bundle_id + SUFFIX in srv.files()
    assert outbox.pending() == []


def test_403_says_the_link_expired_and_keeps_the_bundle(qapp, qtbot, server) -> None:
    srv = server("--status", "403")
    p = queue(srv.url("/drop/"))
    assert send(qtbot) == [(p.bundle_id, False, transfer.EXPIRED)]
    assert len(srv.requests()) == 1  # not retried
    assert [q.bundle_id for q in outbox.pending()] == [p.bundle_id]
    assert outbox.read_log()[-1].action == "failed"


def test_server_down_keeps_the_bundle(qapp, qtbot) -> None:
    p = queue(f"http://127.0.0.1:{free_port()}/drop/")
    ((_bid, ok, msg),) = send(qtbot, max_attempts=3)
    assert not ok
    assert "after 3 attempts" in msg
    assert "kept" in msg
    (kept,) = outbox.pending()
    assert kept.bundle_id == p.bundle_id
    assert kept.attempts == 1
    assert kept.path().read_bytes()


def test_a_remote_http_address_is_refused_before_any_connection(qapp, qtbot) -> None:
    with pytest.raises(ShareError, match="https://"):
        transfer.resolve_url("http://files.example.org/drop/", "x")
    p = queue("http://files.example.org/drop/")
    ((_, ok, msg),) = send(qtbot)
    assert not ok
    assert "https://" in msg
    assert outbox.pending()[0].bundle_id == p.bundle_id


def test_cancel_keeps_the_bundle(qapp, qtbot, server) -> None:
    from tallylight.ui.outbox_sender import OutboxSender

    srv = server("--slow", "0.05")
    p = queue(srv.url("/drop/"), size=2_000_000)
    sender = OutboxSender(**FAST)  # type: ignore[arg-type]
    seen: list[int] = []
    sender.progress.connect(lambda _bid, sent, _total: seen.append(sent))
    with qtbot.waitSignal(sender.all_done, timeout=20000):
        sender.start()
        qtbot.waitUntil(lambda: bool(seen) and seen[-1] > 0, timeout=10000)
        sender.cancel()
    assert outbox.pending()[0].bundle_id == p.bundle_id
    assert outbox.read_log()[-1].action == "cancelled"


def test_kill_9_mid_upload_then_resend(qapp, qtbot, server, tallylight_home: Path) -> None:
    """The sending process dies mid-upload: nothing is lost, the next run sends it whole."""
    srv = server("--slow", "0.05")
    p = queue(srv.url("/drop/"), size=2_000_000)
    data = p.path().read_bytes()
    env = {**os.environ, "TALLYLIGHT_HOME": str(tallylight_home), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tallylight.ui.outbox_sender"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # wait for bytes on the wire
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if line.startswith("progress") and int(line.split()[2]) > 0:
                break
            assert line, "the sender never started sending"
            assert time.monotonic() < deadline, "the sender never started sending"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # nothing was lost here, and nothing claims it was sent (what the kernel had already buffered
    # may still reach the server; the resend below puts the same bytes under the same name)
    assert [q.bundle_id for q in outbox.pending()] == [p.bundle_id]
    assert "sent" not in [e.action for e in outbox.read_log()]
    assert send(qtbot) == [(p.bundle_id, True, "HTTP 201")]
    assert srv.files() == {p.bundle_id + SUFFIX: data}
    assert outbox.pending() == []


def test_the_app_sends_what_waits_when_it_starts(make_app, qtbot, server, tmp_path: Path) -> None:
    """A bundle left in the outbox (app or network died) and a withdrawal request go out at the next start."""
    from share_helpers import JoinedStudy

    from tallylight.share import withdrawal

    srv = server()
    p = queue(srv.url("/drop/"))
    study = JoinedStudy(tmp_path / "study", None, upload_url=srv.url("/drop/"))  # type: ignore[arg-type]
    receipt = withdrawal.withdraw(study.study_id)
    assert [r.request_id for r in withdrawal.pending_uploads()] == [receipt.request_id]
    make_app(use_tray=False)
    sent_as = receipt.request_id + ".tallylight-withdrawal.age"
    want = {p.bundle_id + SUFFIX, sent_as}
    qtbot.waitUntil(lambda: set(srv.files()) == want, timeout=20000)
    qtbot.waitUntil(lambda: outbox.pending() == [] and withdrawal.pending_uploads() == [], timeout=10000)
    # what went out is the signed request, encrypted to the researchers
    from tallylight.share import agecrypt, withdrawal_request

    ids = agecrypt.identities_from_text(study.identity.read_text())
    assert withdrawal_request.open_request(srv.files()[sent_as], ids).request_id == receipt.request_id


def test_a_new_upload_address_from_the_study_is_used(
    qapp, qtbot, server, tmp_path: Path, tallylight_home: Path
) -> None:
    """After a 403 the researcher hands out a new manifest version; the waiting bundle goes there."""
    from share_helpers import JoinedStudy, make_vault

    make_vault(tallylight_home / "data")
    expired, fresh = server("--status", "403"), server()
    study = JoinedStudy(tmp_path / "study", None, upload_url=fresh.url("/new/"))  # type: ignore[arg-type]
    enc = Encrypted(str(uuid.uuid4()), {}, os.urandom(1000))
    p = outbox.put(enc, study.study_id, ["s1"], expired.url("/old/"))
    assert send(qtbot) == [(p.bundle_id, True, "HTTP 201")]
    assert expired.requests() == []
    assert list(fresh.files()) == [p.bundle_id + SUFFIX]


def test_a_redirect_to_another_origin_is_never_followed(qapp, qtbot, server) -> None:
    other = server()
    srv = server("--redirect", other.url("/landed/"))  # another port: another origin
    p = queue(srv.url("/drop/"))
    ((bid, ok, message),) = send(qtbot)
    assert (bid, ok) == (p.bundle_id, False)
    assert message == transfer.REDIRECT_REFUSED
    assert other.requests() == []
    assert other.files() == {}
    assert [q["status"] for q in srv.requests()] == [307]  # refused once, not retried elsewhere
    assert [x.bundle_id for x in outbox.pending()] == [p.bundle_id]


def test_a_same_origin_redirect_is_followed_and_logged_where_the_bytes_went(qapp, qtbot, server) -> None:
    srv = server("--redirect", "/landed/")
    # a redirect to a path on the same origin (a relative Location), from a signed address
    p = queue(srv.url("/drop/{bundle_id}?X-Signature=secret"))
    assert send(qtbot)[0][1] is True
    assert [q["path"] for q in srv.requests()] == [
        f"/drop/{p.bundle_id}?X-Signature=secret",
        f"/landed/{p.bundle_id}",
    ]
    (entry,) = outbox.read_log()
    assert entry.destination == srv.url(f"/landed/{p.bundle_id}")  # no query string


@pytest.mark.parametrize(
    ("sent_to", "location", "allowed"),
    [
        ("https://a.example/drop/x", "https://a.example/other/x", True),
        ("https://a.example/drop/x", "https://a.example:443/x", True),
        ("https://a.example/drop/x", "http://a.example/x", False),
        ("https://a.example/drop/x", "https://b.example/x", False),
        ("https://a.example/drop/x", "https://a.example:8443/x", False),
        ("http://127.0.0.1:9/x", "http://127.0.0.1:10/x", False),
        ("https://a.example/x", "ftp://a.example/x", False),
    ],
)
def test_redirect_policy(sent_to: str, location: str, allowed: bool) -> None:
    assert transfer.redirect_allowed(sent_to, location) is allowed


def test_headers_are_fixed_and_neutral(qapp, qtbot, server, monkeypatch: pytest.MonkeyPatch) -> None:
    from tallylight import __version__

    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    monkeypatch.setenv("LANGUAGE", "de")
    srv = server()
    queue(srv.url("/drop/"))
    assert send(qtbot)[0][1] is True
    (req,) = srv.requests()
    headers = {k.lower(): v for k, v in req["headers"].items()}
    assert headers["user-agent"] == f"Tallylight/{__version__}"
    assert headers.get("accept-language", "*") == "*"
    assert set(headers) <= {
        "host",
        "user-agent",
        "accept-language",
        "content-type",
        "content-length",
        "connection",
        "accept-encoding",
    }
