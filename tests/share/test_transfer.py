"""The upload policy: addresses, which answers are retried, backoff with jitter; the outbox and log."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tallylight.errors import ShareError
from tallylight.share import outbox, transfer
from tallylight.share.bundle import Encrypted


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://dav.example.edu/s/abc/", "https://dav.example.edu/s/abc/B.tallylight.age"),
        ("https://x.example/up/{bundle_id}.age?sig=1", "https://x.example/up/B.age?sig=1"),
        (
            "https://bucket.s3.example/key.age?X-Amz-Signature=ab",
            "https://bucket.s3.example/key.age?X-Amz-Signature=ab",
        ),
        ("http://127.0.0.1:8080/drop/", "http://127.0.0.1:8080/drop/B.tallylight.age"),
        ("http://[::1]:8080/d/", "http://[::1]:8080/d/B.tallylight.age"),
    ],
)
def test_resolve_url(url: str, expected: str) -> None:
    assert transfer.resolve_url(url, "B") == expected


@pytest.mark.parametrize(
    "url", ["http://example.org/x/", "ftp://h/x", "file:///tmp/x", "https://", "nonsense"]
)
def test_only_https_or_loopback(url: str) -> None:
    with pytest.raises(ShareError, match="https://"):
        transfer.resolve_url(url, "B")


def test_judge() -> None:
    assert transfer.judge(201).action == "done"
    assert transfer.judge(403) == transfer.Answer("give_up", transfer.EXPIRED)
    assert transfer.judge(500).action == transfer.judge(429).action == transfer.judge(503).action == "retry"
    assert transfer.judge(None, "Connection refused").action == "retry"
    assert transfer.judge(None, timed_out=True).action == "retry"
    assert transfer.judge(404).action == "give_up"


@given(st.integers(1, 40), st.floats(0, 1), st.one_of(st.none(), st.floats(0, 1000)))
def test_backoff_is_bounded_and_grows(attempt: int, r: float, retry_after: float | None) -> None:
    d = transfer.delay_s(attempt, lambda: r, base=1.0, cap=60.0, retry_after=retry_after)
    assert 0 <= d <= 60.0
    assert d <= min(60.0, 2 ** (attempt - 1)) or retry_after is not None


def test_redacted_destination_drops_credentials() -> None:
    url = "https://user:pw@bucket.example:8443/k.age?X-Amz-Signature=secret#frag"
    assert outbox.redact_url(url) == "https://bucket.example:8443/k.age"


def test_outbox_and_log_round_trip() -> None:
    enc = Encrypted(str(uuid.uuid4()), {}, b"age-encrypted bytes")
    p = outbox.put(enc, "study", ["s1"], "https://x.example/d/?token=abc")
    (q,) = outbox.pending()
    assert q == p
    assert outbox.read_bundle(q) == enc.data
    outbox.log("sent", q, "study", ["s1"], q.url or "", "HTTP 201")
    outbox.remove(q)
    assert outbox.pending() == []
    (entry,) = outbox.read_log()
    assert entry.destination == "https://x.example/d/"
    assert "token" not in entry.destination
    assert (entry.action, entry.sha256, entry.answer) == ("sent", enc.sha256, "HTTP 201")
