"""What the participant reads before sharing: exactly what the bundle holds, in plain words.

Built from the bundle's own ``bundle.json`` document (never from a second
description), so the CLI's confirmation and the share dialog show the same thing
and cannot drift from what is sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tallylight.i18n import _
from tallylight.options import CaptureOptions
from tallylight.share import contents
from tallylight.words import (
    capture_summary,
    counts_summary,
    duration,
    gap_reason_words,
    timing_summary,
    verdict_words,
)


def _local(start_unix_ns: int) -> str:
    return dt.datetime.fromtimestamp(start_unix_ns / 1e9).strftime("%Y-%m-%d %H:%M")


def _zone(tz: dict[str, Any] | None) -> str:
    if not tz:
        return ""
    minutes = int(tz.get("utc_offset_minutes") or 0)
    sign = "+" if minutes >= 0 else "-"
    offset = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return f" (time zone {tz['name']}, {offset})" if tz.get("name") else f" (time zone {offset})"


def _spans(items: list[dict[str, Any]]) -> str:
    total = sum(max(0.0, s["end_ms"] - s["start_ms"]) for s in items) / 1000
    return f"{len(items)} ({duration(total)})"


def destination_words(out_file: str | None, url: str | None) -> str:
    if out_file:
        return f"saved to the file {out_file} (you pass it on yourself)"
    if url:
        from tallylight.share.outbox import redact_url

        return f"uploaded to {redact_url(url)}"
    return "nowhere yet"


def purpose_lines(consent: dict[str, Any]) -> list[str]:
    """What the bundle may be used for, and what the participant said no to (consent.purposes)."""
    purposes = consent.get("purposes")
    if not isinstance(purposes, dict):
        return []
    allowed = [str(p) for p, yes in purposes.items() if yes is True]
    declined = [str(p) for p, yes in purposes.items() if yes is not True]
    lines = [_("It may be used for: {purposes}").format(purposes=", ".join(allowed) or _("nothing"))]
    if declined:
        lines.append(
            _("You said no to (it may not be used for): {purposes}").format(purposes=", ".join(declined))
        )
    return lines


def preview_lines(doc: dict[str, Any], destination: str) -> list[str]:
    """The preview, one line per fact; sessions indented under their heading."""
    study = doc["study"]
    consent = doc.get("consent") or {}
    title = study.get("title") or study["id"]
    keys = ", ".join(study.get("recipients", []))
    given, cid = consent.get("given_at", "?"), consent.get("consent_id", "?")
    lines = [
        f"Study: {title} (version {study.get('version') or '?'}, id {study['id']})",
        f"Your participant id in this study: {doc['participant_id']}",
        f"Encrypted so that only the holder of this key can read it: {keys}",
        f"Where it goes: {destination}",
        f"Your consent record: given {given}, consent id {cid}",
    ]
    lines.extend(purpose_lines(consent))
    env = doc.get("environment") or {}
    screens = env.get("screens") or []
    screen_words = ", ".join(f"{s.get('width_px')}×{s.get('height_px')} px" for s in screens) or "not known"
    osinfo = env.get("os") or {}
    lines.append(
        f"About this computer: {osinfo.get('system', '?')} {osinfo.get('release', '')}".rstrip()
        + f"; screen {screen_words}; keyboard layout {env.get('keyboard_layout') or 'not known'}"
    )
    lines.append(f"Sessions ({len(doc['sessions'])}):")
    for s in doc["sessions"]:
        label = f" “{s['label']}”" if s.get("label") else ""
        capture = CaptureOptions.from_record(s["capture"]).to_dict()
        when = _local(s["start_unix_ns"]) + _zone(s.get("time_zone"))
        lines.append(
            f"  {when}{label}: {duration(s['duration_ms'] / 1000)}, "
            f"{counts_summary(s['event_counts'])} ({s['events']} events in all)"
        )
        lines.append(f"    captured: {capture_summary(capture)}; state: {verdict_words(s['verdict'])}")
        lines.append(
            f"    your pauses: {_spans(s['pauses'])}; gaps: {_spans(s['gaps'])}; "
            f"spans you cut out: {_spans(s['cut_spans'])} (not included)"
        )
        if s.get("tasks") or s.get("notes"):
            runs = ", ".join(
                f"{t['task']} ({duration(((t['end_ms'] or s['duration_ms']) - t['start_ms']) / 1000)})"
                for t in s.get("tasks", [])
            )
            lines.append(f"    tasks: {runs or 'none'}; notes you added: {len(s.get('notes', []))}")
        if s.get("trials"):
            lines.append(
                f"    task trials: {s['trials']} (each phrase shown and what you typed for it, "
                "each target and where you clicked)"
            )
        if s.get("timing_quality"):
            lines.append(f"    how exact the times are: {' '.join(timing_summary(s['timing_quality']))}")
        for g in s["gaps"]:
            lines.append(
                f"      gap at {g['start_ms'] / 1000:.1f} s: {gap_reason_words(g['reason'] or 'none')}"
            )
    lines.append("Everything bundle.json holds, item by item:")
    for group, items in contents.described(doc):
        lines.append(f"  {group}: {'; '.join(items)}")
    lines.append(
        "Besides bundle.json: codebook.csv (what every column means) and one events.csv per session "
        "(the events counted above, times from the session's start, without the spans you cut out); "
        "for a session with task trials, a trials.csv (the trials counted above, without those in "
        "spans you cut out)."
    )
    lines.append("Nothing else is included: no screenshots, no window titles, no names of apps.")
    return lines
