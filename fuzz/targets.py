"""What `make fuzz` feeds stranger's bytes to, and what each may answer.

Each target takes one input (bytes) and returns normally for every input: a bad
one must end in the documented error (a TallylightError or a ValueError, with a
one-line message), never another exception, a hang or a crash. The fuzzer
(fuzz/run.py, atheris) treats anything else as a finding.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tallylight import protocol, safejson
from tallylight.errors import BundleError, ManifestError, TallylightError, UsageError
from tallylight.share import bundle, withdrawal_request
from tallylight.store import encoding, layout, reader
from tallylight.store import trials as trial_records
from tallylight.study import manifest


def _one_line(exc: BaseException) -> None:
    message = str(exc)
    assert message, repr(exc)
    assert "\n" not in message.strip(), repr(message)


def manifest_parser(data: bytes) -> None:
    """The study manifest (TOML) as the participant's app reads it (the signature is checked first)."""
    try:
        manifest.parse(data)
    except ManifestError as exc:
        _one_line(exc)


def bundle_opener(data: bytes) -> None:
    """A decrypted bundle (ZIP) as `tallylight-lab open` unpacks it, and an events.csv as it reads it."""
    if data[:1] == b"c":
        from tallylight.lab.dataset import read_events_csv

        try:
            read_events_csv(data[1:])
        except BundleError as exc:
            _one_line(exc)
        return
    try:
        opened = bundle.open_plaintext(data, max_unpacked=64 << 20)
    except BundleError as exc:
        _one_line(exc)
        return
    from tallylight.lab.dataset import MALFORMED, session_tables

    try:
        session_tables(opened)
    except (BundleError, *MALFORMED):  # lab open refuses the bundle for these (dataset.prepare_one)
        pass


def segment_reader(data: bytes) -> None:
    """A session segment's framing (before authentication) and each record body's parser (after)."""
    kind, body = data[:1], data[1:]
    try:
        if kind == b"e":  # an EVENTS record body: DEFLATE, then the event payload
            encoding.decode_payloads([encoding.Decompressor().decompress(body)])
        elif kind == b"p":  # a payload already inflated
            encoding.decode_payloads([body])
        elif kind == b"i":
            reader._parse_info(body, "s1")
        elif kind == b"t":
            reader._parse_timing(body)
        elif kind == b"n":
            reader._parse_end(body)
        elif kind == b"r":
            trial_records.parse(body)
        else:
            layout.scan_segment(Path("segment"), 0, data, b"\x00" * 16)
    except (TallylightError, encoding.CorruptBlock, reader._Corrupt, ValueError) as exc:
        _one_line(exc)


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def safe_json(data: bytes) -> None:
    """safejson.loads refuses exactly what json.loads cannot or should not parse (deeper than allowed)."""
    try:
        got = safejson.loads(data)
    except ValueError:
        try:  # json.loads also guesses UTF-16 and UTF-32 from bytes; safejson reads UTF-8 only
            expected = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError):
            return
        assert _depth(expected) > safejson.MAX_DEPTH, "safejson refused JSON that json.loads reads"
        return
    assert _depth(got) <= safejson.MAX_DEPTH
    assert got == json.loads(data) or got != got  # NaN is never equal to itself


def control_protocol(data: bytes) -> None:
    """A line on the recorder's control channel, and the field readers its commands use."""
    try:
        _cmd, _id, msg = protocol.decode_command(data)
        protocol.seconds(msg, "after")
        protocol.text(msg, "label", 200, "The label")
        protocol.names(msg, "apps", "application names")
        protocol.stop_reason(msg)
    except UsageError as exc:
        _one_line(exc)


def withdrawal_opener(data: bytes) -> None:
    """A decrypted withdrawal or purpose-withdrawal request as `tallylight-lab withdraw` and `open`
    read it (anyone can encrypt to the researcher's key, so it is a stranger's file)."""
    try:
        request = withdrawal_request.open_envelope(data)
    except BundleError as exc:
        _one_line(exc)
        return
    assert request.purposes_declined or not request.is_purpose_withdrawal


TARGETS: dict[str, Callable[[bytes], None]] = {
    "manifest": manifest_parser,
    "bundle": bundle_opener,
    "segment": segment_reader,
    "safejson": safe_json,
    "protocol": control_protocol,
    "withdrawal": withdrawal_opener,
}
