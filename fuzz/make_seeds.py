"""Write the small seed corpus of each fuzz target (fuzz/corpus/TARGET/), deterministically.

    python fuzz/make_seeds.py

Seeds are real inputs (a manifest, a bundle, record bodies, protocol lines) so
the fuzzer starts inside the formats instead of at random bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "share"))


def seeds() -> dict[str, list[bytes]]:
    from share_helpers import columns, fixed_rng, info, inputs, participant_seed, sample_events

    from tallylight import protocol
    from tallylight.share import bundle, tables, withdrawal_request
    from tallylight.store import encoding, writer
    from tallylight.study import template

    manifest = template.render(
        recipient="age1" + "q" * 58,
        today=dt.date(2026, 11, 29),
        study_id="6f1c2a52-0d4e-4c8e-9a51-5d6b8d1e2f30",
    ).encode()
    built = bundle.build(inputs(["age1x"]), rng=fixed_rng, clock=lambda: 1_800_000_000_000_000_000)
    payload = encoding.encode_payload(sample_events())
    events_csv = tables.events_csv(columns(sample_events()))
    segments = sorted((ROOT / "tests" / "vectors" / "sessions" / "complete").glob("seg-*.tls"))
    timing = {"version": 1, "stored_time": "os", "input_events": 3, "notes": []}
    request = {"request_id": "r1", "study_id": "6f1c2a52-0d4e-4c8e-9a51-5d6b8d1e2f30", "participant_id": "p1"}
    purpose = {
        **request,
        "format": withdrawal_request.PURPOSE_REQUEST_FORMAT,
        "purposes_declined": ["model-training"],
        "declined_at": "2026-12-05T10:00:00Z",
    }
    return {
        "manifest": [manifest, b'title = "x"\n[study]\nid = "a"\n'],
        "bundle": [built.plaintext, b"c" + events_csv],
        "segment": [
            b"e" + encoding.Compressor().compress(payload),
            b"p" + payload,
            b"i" + writer.encode_info(info()),
            b"t" + json.dumps(timing).encode(),
            b"n" + writer.encode_end(1, 15, 3),
            b"r" + json.dumps({"trials": [{"task": "copy-text", "start_ms": 1.0}]}).encode(),
            *(b"s" + p.read_bytes()[:4096] for p in segments[:1]),
        ],
        "safejson": [b'{"a": [1, 2.5, "x\\"y", {"b": null}], "c": true}', b"[" * 33 + b"]" * 33],
        "protocol": [
            protocol.encode(protocol.command("start", 1, label="task 1", after=2.5)).encode(),
            protocol.encode(protocol.command("stop", 2, reason="participant")).encode(),
            protocol.encode(protocol.command("private_apps", 3, apps=["keepassxc"])).encode(),
        ],
        "withdrawal": [
            withdrawal_request.envelope(
                {**request, "format": withdrawal_request.REQUEST_FORMAT}, participant_seed("p1")
            ),
            withdrawal_request.envelope(purpose, participant_seed("p1")),
        ],
    }


def main() -> None:
    for target, items in seeds().items():
        folder = HERE / "corpus" / target
        folder.mkdir(parents=True, exist_ok=True)
        for data in items:
            (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


if __name__ == "__main__":
    main()
