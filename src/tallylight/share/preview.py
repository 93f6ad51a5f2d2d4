"""What the participant reads before sharing: exactly what the bundle holds, in plain words.

Built from the bundle's own ``bundle.json`` document (never from a second
description), so the CLI's confirmation and the share dialog show the same thing
and cannot drift from what is sent. Only the purposes' titles come from the
study's manifest (the document names purposes by id): the participant reads the
words they consented with, and the id that ``tallylight study purposes`` takes.
Every line is in the participant's language (:mod:`tallylight.i18n`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from tallylight.i18n import _, ngettext
from tallylight.options import CaptureOptions
from tallylight.share import contents
from tallylight.study.manifest import Purpose
from tallylight.study.presentation import purpose_name
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
    if tz.get("name"):
        return " " + _("(time zone {name}, {offset})").format(name=tz["name"], offset=offset)
    return " " + _("(time zone {offset})").format(offset=offset)


def _spans(items: list[dict[str, Any]]) -> str:
    total = sum(max(0.0, s["end_ms"] - s["start_ms"]) for s in items) / 1000
    return f"{len(items)} ({duration(total)})"


def destination_words(out_file: str | None, url: str | None) -> str:
    """Where the bundle goes, in words: a file (named, or chosen after Share), an address, or nowhere."""
    if out_file:
        return _("saved to the file {path} (you pass it on yourself)").format(path=out_file)
    if url:
        from tallylight.share.outbox import redact_url

        return _("uploaded to {url}").format(url=redact_url(url))
    return _("nowhere yet")


def file_chosen_later_words() -> str:
    """The destination while the file is not chosen yet (the dialog asks for it after Share)."""
    return _("saved to a file you choose after pressing Share (you pass it on yourself)")


def purpose_lines(consent: dict[str, Any], purposes: Sequence[Purpose] = ()) -> list[str]:
    """What the bundle may be used for, and what the participant said no to (consent.purposes).

    ``purposes`` are the study manifest's: each is named by its title and id; an id the
    manifest does not hold is shown as it is.
    """
    chosen = consent.get("purposes")
    if not isinstance(chosen, dict):
        return []
    by_id = {p.id: p for p in purposes}

    def named(pid: object) -> str:
        p = by_id.get(str(pid))
        return purpose_name(p) if p is not None else str(pid)

    allowed = [named(p) for p, yes in chosen.items() if yes is True]
    declined = [named(p) for p, yes in chosen.items() if yes is not True]
    lines = [_("It may be used for: {purposes}").format(purposes="; ".join(allowed) or _("nothing"))]
    if declined:
        lines.append(
            _("You said no to (it may not be used for): {purposes}").format(purposes="; ".join(declined))
        )
    return lines


def preview_lines(doc: dict[str, Any], destination: str, purposes: Sequence[Purpose] = ()) -> list[str]:
    """The preview, one line per fact; sessions indented under their heading.

    ``purposes``: the study manifest's (their titles name the purposes the consent lists).
    """
    study = doc["study"]
    consent = doc.get("consent") or {}
    lines = [
        _("Study: {title} (version {version}, id {id})").format(
            title=study.get("title") or study["id"], version=study.get("version") or "?", id=study["id"]
        ),
        _("Your participant id in this study: {participant_id}").format(participant_id=doc["participant_id"]),
        _("Encrypted so that only the holder of this key can read it: {keys}").format(
            keys=", ".join(study.get("recipients", []))
        ),
        _("Where it goes: {destination}").format(destination=destination),
        _("Your consent record: given {given}, consent id {consent_id}").format(
            given=consent.get("given_at", "?"), consent_id=consent.get("consent_id", "?")
        ),
    ]
    lines.extend(purpose_lines(consent, purposes))
    lines.append(_environment_line(doc.get("environment") or {}))
    n = len(doc["sessions"])
    lines.append(_("Sessions ({n}):").format(n=n))
    for s in doc["sessions"]:
        lines.extend(_session_lines(s))
        lines.extend(_session_detail_lines(s))
    lines.extend(_contents_lines(doc))
    return lines


def _environment_line(env: dict[str, Any]) -> str:
    """The computer the sessions were recorded on, as the bundle describes it."""
    unknown = _("not known")
    screens = env.get("screens") or []
    screen_words = ", ".join(f"{s.get('width_px')}×{s.get('height_px')} px" for s in screens) or unknown
    osinfo = env.get("os") or {}
    system = f"{osinfo.get('system', '?')} {osinfo.get('release', '')}".rstrip()
    return _("About this computer: {system}; screen {screens}; keyboard layout {layout}").format(
        system=system, screens=screen_words, layout=env.get("keyboard_layout") or unknown
    )


def _session_lines(s: dict[str, Any]) -> list[str]:
    """A session's heading and what every session has: what it captured, its pauses, gaps and cuts."""
    label = " " + _("“{label}”").format(label=s["label"]) if s.get("label") else ""
    capture = CaptureOptions.from_record(s["capture"]).to_dict()
    when = _local(s["start_unix_ns"]) + _zone(s.get("time_zone"))
    return [
        "  "
        + ngettext(
            "{when}{label}: {duration}, {counts} ({events} event in all)",
            "{when}{label}: {duration}, {counts} ({events} events in all)",
            int(s["events"]),
        ).format(
            when=when,
            label=label,
            duration=duration(s["duration_ms"] / 1000),
            counts=counts_summary(s["event_counts"]),
            events=s["events"],
        ),
        "    "
        + _("captured: {captured}; state: {state}").format(
            captured=capture_summary(capture), state=verdict_words(s["verdict"])
        ),
        "    "
        + _("your pauses: {pauses}; gaps: {gaps}; spans you cut out: {cut} (not included)").format(
            pauses=_spans(s["pauses"]), gaps=_spans(s["gaps"]), cut=_spans(s["cut_spans"])
        ),
    ]


def _session_detail_lines(s: dict[str, Any]) -> list[str]:
    """What only some sessions have (tasks, notes, trials, timing) and the reason for each gap."""
    lines: list[str] = []
    if s.get("tasks") or s.get("notes"):
        runs = ", ".join(
            f"{t['task']} ({duration(((t['end_ms'] or s['duration_ms']) - t['start_ms']) / 1000)})"
            for t in s.get("tasks", [])
        )
        lines.append(
            "    "
            + _("tasks: {tasks}; notes you added: {notes}").format(
                tasks=runs or _("none"), notes=len(s.get("notes", []))
            )
        )
    if s.get("trials"):
        lines.append(
            "    "
            + _(
                "task trials: {n} (each phrase shown and what you typed for it, "
                "each target and where you clicked)"
            ).format(n=s["trials"])
        )
    if s.get("timing_quality"):
        lines.append(
            "    "
            + _("how exact the times are: {timing}").format(
                timing=" ".join(timing_summary(s["timing_quality"]))
            )
        )
    for g in s["gaps"]:
        lines.append(
            "      "
            + _("gap at {start:.1f} s: {reason}").format(
                start=g["start_ms"] / 1000, reason=gap_reason_words(g["reason"] or "none")
            )
        )
    return lines


def _contents_lines(doc: dict[str, Any]) -> list[str]:
    """Every item bundle.json holds, the other files, and what is never included."""
    lines = [_("Everything bundle.json holds, item by item:")]
    for group, items in contents.described(doc):
        lines.append(f"  {group}: {'; '.join(items)}")
    lines.append(
        _(
            "Besides bundle.json: codebook.csv (what every column means) and one events.csv per session "
            "(the events counted above, times from the session's start, without the spans you cut out); "
            "for a session with task trials, a trials.csv (the trials counted above, without those in "
            "spans you cut out)."
        )
    )
    lines.append(_("Nothing else is included: no screenshots, no window titles, no names of apps."))
    return lines
