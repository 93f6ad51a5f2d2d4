"""Helpers for the sharing tests (import as ``from share_helpers import ...``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyrage import x25519

from tallylight import events as ev
from tallylight.events import Event, SessionInfo, StopReason
from tallylight.options import CaptureOptions, KeyMode
from tallylight.share import bundle
from tallylight.share.bundle import BundleInputs, SessionPart, StudyRef
from tallylight.store import vault
from tallylight.store.encoding import EventColumns, decode_payloads, encode_payload
from tallylight.store.vault import UnlockedVault

STUDY_ID = "6f1c2a52-0d4e-4c8e-9a51-5d6b8d1e2f30"


def columns(events: Sequence[Event]) -> EventColumns:
    return decode_payloads([encode_payload(list(events))]) if events else EventColumns.empty()


def info(session_id: str = "s1", started_wall_ns: int = 1_700_000_000_123_456_789) -> SessionInfo:
    return SessionInfo(
        session_id,
        started_wall_ns,
        "perf_counter_ns",
        1,
        CaptureOptions(keys=KeyMode.HASHED),
        label="task 1",
        platform="linux",
        app_version="0.1.0",
    )


def sample_events() -> list[Event]:
    return [
        ev.marker(0, ev.Marker.SESSION_START),
        ev.move(1_000_000, 0, 0),
        ev.move(2_500_000, -5, 1080),
        ev.button(3_000_000, 10, 20, ev.Button.LEFT, True),
        ev.button(3_100_000, 10, 20, ev.Button.LEFT, False),
        ev.key_down(4_000_000, ev.KeyClass.LETTER, key=0xDEADBEEF),
        ev.key_up(4_080_000, ev.KeyClass.LETTER, key=0xDEADBEEF),
        ev.marker(5_000_000, ev.Marker.PAUSE, ev.GapReason.PAUSED_BY_PARTICIPANT),
        ev.marker(6_000_000, ev.Marker.RESUME),
        ev.scroll(6_500_000, 3, 4, 0, -1),
        ev.marker(7_000_000, ev.Marker.GAP, ev.GapReason.TRIMMED),
        ev.marker(9_000_000, ev.Marker.RESUME),
        ev.key_down(9_500_000, ev.KeyClass.SPACE, key=7),
        ev.key_up(9_600_123, ev.KeyClass.SPACE, key=7),
        ev.marker(10_000_000, ev.Marker.SESSION_STOP, ev.StopReason.PARTICIPANT),
    ]


def identity() -> x25519.Identity:
    return x25519.Identity.generate()


def inputs(
    recipients: Sequence[str],
    sessions: Sequence[tuple[str, Sequence[Event]]] = (("s1", ()),),
    study_id: str = STUDY_ID,
    participant_id: str = "p-0001",
    key: bytes = b"",
    purposes: dict[str, bool] | None = None,
) -> BundleInputs:
    parts = [
        SessionPart(info(sid), "complete", "", columns(evs or sample_events()), StopReason.PARTICIPANT)
        for sid, evs in sessions
    ]
    return BundleInputs(
        StudyRef(study_id, "ab" * 32, tuple(recipients), "A test study", 1),
        participant_id,
        consent_record(study_id, participant_id, purposes),
        parts,
        "0.1.0",
        {
            "os": {"system": "Linux"},
            "screens": [{"width_px": 1920, "height_px": 1080}],
            "keyboard_layout": "us",
        },
        participant_key=key or participant_seed(participant_id),
    )


def consent_record(
    study_id: str = STUDY_ID, participant_id: str = "p-0001", purposes: dict[str, bool] | None = None
) -> dict[str, Any]:
    from tallylight.study.consent import ConsentRecord

    return ConsentRecord(
        "c-0001", study_id, 1, "cd" * 32, "SHA256:abc", participant_id, "2026-11-29T10:00:00Z",
        {"data": True}, {"keys": "hashed", "mouse_moves": True}, "0.1.0",
        purposes={"analysis": True} if purposes is None else purposes,
    ).to_dict()  # fmt: skip


def participant_seed(participant_id: str) -> bytes:
    """A fixed signing key per participant id (study.participant_key), as the app makes at enrolment."""
    import hashlib

    return hashlib.sha256(b"test participant key " + participant_id.encode()).digest()


def fixed_rng(n: int) -> bytes:
    return bytes(range(n))


def make(recipients: Sequence[str], **kw: object) -> bundle.Encrypted:
    built = bundle.build(inputs(recipients, **kw), rng=fixed_rng, clock=lambda: 1_800_000_000_000_000_000)  # type: ignore[arg-type]
    return bundle.encrypt(built, recipients)


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


class PutServer:
    """tests/share/put_server.py answering in a thread of this process (stopped by its handle)."""

    def __init__(self, root: Path, *args: str) -> None:
        import put_server

        self.dir = root
        root.mkdir(parents=True, exist_ok=True)
        self._server, self._thread = put_server.serve([str(root), *args])
        self.port = int(self._server.server_address[1])

    def url(self, path: str = "/drop/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self) -> list[dict]:
        import json

        f = self.dir / "requests.jsonl"
        return [json.loads(line) for line in f.read_text().splitlines()] if f.exists() else []

    def files(self) -> dict[str, bytes]:
        d = self.dir / "files"
        return (
            {p.name: p.read_bytes() for p in d.iterdir() if not p.name.startswith(".")} if d.is_dir() else {}
        )

    def stop(self) -> None:
        import put_server

        put_server.stop(self._server, self._thread)


def free_port() -> int:
    """A loopback port nobody listens on (for 'server down')."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PASS = "correct horse battery staple"


def make_vault(data_dir: Path) -> UnlockedVault:
    from tallylight.store.crypto import KdfParams

    return vault.create_vault(PASS, data_dir, params=KdfParams(iterations=1, lanes=1, memory_kib=64))


def record_session(
    data_dir: Path,
    session_id: str,
    events: Sequence[Event],
    study_id: str = "",
    timing: dict[str, Any] | None = None,
) -> None:
    """A complete stored session holding ``events`` (one sealed record), for a study or personal;
    with ``timing``, the TIMING record the recorder writes when it stops (docs/FORMAT.md section 12)."""
    import dataclasses

    from tallylight.store import writer

    header = dataclasses.replace(info(session_id), study_id=study_id)
    w = writer.open_session(header, data_dir, seal_interval_s=1e9)
    w.write(list(events))
    w.seal()
    if timing is not None:
        w.note_timing(timing)
    w.close(StopReason.PARTICIPANT)


class JoinedStudy:
    """A researcher's keys and signed manifest (optionally with an upload address), joined here."""

    def __init__(
        self,
        root: Path,
        data_dir: Path,
        upload_url: str | None = None,
        capture: dict[str, Any] | None = None,
        replace: dict[str, str] | None = None,
    ) -> None:
        import datetime as dt
        import uuid

        from tallylight.study import enrolment, keys, signing, template

        self.keys = root / "researcher-keys"
        pair = keys.generate(self.keys)
        self.recipient = pair.recipient
        self.identity = self.keys / keys.IDENTITY
        self.study_id = str(uuid.uuid4())
        text = template.render(recipient=pair.recipient, today=dt.date.today(), study_id=self.study_id)
        if upload_url:
            old = '# upload_url = "https://files.example.edu/s/abc123"'
            assert old in text
            text = text.replace(old, f'upload_url = "{upload_url}"')
        # the study asks for hashed keys: the sessions of sample_events() are recorded so
        text = text.replace('keys = "class"', 'keys = "hashed"', 1)
        for old_text, new_text in (replace or {}).items():
            assert old_text in text, old_text
            text = text.replace(old_text, new_text)
        raw = signing.sign(text.encode(), keys.load_signing_key(self.keys))
        self.manifest = root / "study.toml"
        self.manifest.write_bytes(raw)
        offer = enrolment.check_offer(raw, data_dir)
        boxes = {c.id: True for c in offer.signed.manifest.checkboxes}
        chosen = (
            None
            if capture is None
            else CaptureOptions.from_dict({**offer.signed.manifest.capture.to_dict(), **capture})
        )
        self.study, self.consent = enrolment.join(offer, boxes, chosen, data_dir=data_dir)

    def record(
        self,
        data_dir: Path,
        session_id: str,
        events: Sequence[Event] = (),
        timing: dict[str, Any] | None = None,
    ) -> None:
        from tallylight.study import enrolment

        record_session(data_dir, session_id, events or sample_events(), self.study_id, timing)
        enrolment.register_session(self.study_id, session_id, data_dir)
