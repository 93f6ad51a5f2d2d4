"""Every item a bundle's ``bundle.json`` may hold, in the words the preview shows for it.

``bundle.build`` refuses to write a document holding an item that is not named
here, and the preview lists what the document holds from this same table: so
nothing can leave that the participant was not shown. Items are dotted paths
(``[]`` for every element of a list); an item in :data:`WHOLE` is described as a
whole (its inner names are ids or kinds, not separate facts).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tallylight.errors import BundleError
from tallylight.i18n import _

_TIMING = "timing figures"
_SPAN = {"start_ms": "when it began", "end_ms": "when it ended", "reason": "why"}

#: path -> (group shown in the preview, plain words)
FIELDS: dict[str, tuple[str, str]] = {
    "format": ("the bundle", "that it is a Tallylight bundle"),
    "version": ("the bundle", "its format version"),
    "bundle_id": ("the bundle", "a random bundle id"),
    "created_utc": ("the bundle", "when it was made (UTC)"),
    "app_version": ("the bundle", "the version of Tallylight that made it"),
    "codebook": ("the bundle", "the name of the file that explains every column"),
    "files": ("the bundle", "the list of its files with their sizes and checksums"),
    "study": ("the study", "the study"),
    "study.id": ("the study", "its id"),
    "study.version": ("the study", "its version"),
    "study.title": ("the study", "its title"),
    "study.manifest_sha256": ("the study", "a checksum of its manifest"),
    "study.recipients": ("the study", "the researcher's key"),
    "study.tasks": ("the study", "the ids of its tasks"),
    "participant_id": ("you", "your participant id in this study"),
    "participant_public_key": (
        "you",
        "the public half of your key for this study (shows the bundle is yours)",
    ),
    "consent": ("you", "your consent record"),
    "consent.consent_id": ("you", "its id"),
    "consent.study_id": ("you", "the study it is for"),
    "consent.study_version": ("you", "the study version you consented to"),
    "consent.manifest_hash": ("you", "a checksum of that manifest"),
    "consent.signer_fingerprint": ("you", "the fingerprint of the researcher's signing key"),
    "consent.participant_id": ("you", "your participant id again"),
    "consent.given_at": ("you", "when you consented (UTC)"),
    "consent.checkboxes": ("you", "the consent boxes you ticked"),
    "consent.capture": ("you", "what you agreed may be recorded"),
    "consent.app_version": ("you", "the version of Tallylight you consented with"),
    "consent.format": ("you", "the consent record's format"),
    "consent.version": ("you", "its format version"),
    "consent.extra": ("you", "any further items of your consent record"),
    "consent.purposes": ("you", "what your data may be used for: each purpose, allowed or declined"),
    "environment": ("this computer", "facts about this computer"),
    "environment.observed": ("this computer", "that they were read when the bundle was made"),
    "environment.os": ("this computer", "its operating system"),
    "environment.os.system": ("this computer", "the system's name"),
    "environment.os.release": ("this computer", "its release"),
    "environment.os.machine": ("this computer", "the processor type"),
    "environment.screens": ("this computer", "its screens"),
    "environment.screens[].x_px": ("this computer", "each screen's position"),
    "environment.screens[].y_px": ("this computer", "each screen's position"),
    "environment.screens[].width_px": ("this computer", "size in pixels"),
    "environment.screens[].height_px": ("this computer", "size in pixels"),
    "environment.screens[].dpi": ("this computer", "pixel density"),
    "environment.screens[].width_mm": ("this computer", "size in millimetres"),
    "environment.screens[].height_mm": ("this computer", "size in millimetres"),
    "environment.keyboard_layout": ("this computer", "the keyboard layout"),
    "sessions": ("each session", "the sessions"),
    "sessions[].session_id": ("each session", "its id"),
    "sessions[].label": ("each session", "its label"),
    "sessions[].file": ("each session", "the name of its events file"),
    "sessions[].trials_file": (
        "each session",
        "the name of its task trials file (what each typing or pointing task showed and what you did)",
    ),
    "sessions[].trials": ("each session", "how many task trials it holds"),
    "sessions[].start_utc": ("each session", "when it started (UTC)"),
    "sessions[].start_unix_ns": ("each session", "when it started (as a number)"),
    "sessions[].time_zone": ("each session", "this computer's time zone"),
    "sessions[].time_zone.name": ("each session", "the time zone's name"),
    "sessions[].time_zone.utc_offset_minutes": ("each session", "its offset from UTC"),
    "sessions[].duration_ms": ("each session", "how long it lasted"),
    "sessions[].events": ("each session", "how many events it holds"),
    "sessions[].event_counts": ("each session", "how many of each kind"),
    "sessions[].capture": ("each session", "what was recorded"),
    "sessions[].capture.key_mode": ("each session", "how keys were recorded"),
    "sessions[].capture.mouse_moves": ("each session", "whether mouse moves were recorded"),
    "sessions[].capture.move_min_interval_ms": ("each session", "how often a move was kept"),
    "sessions[].capture.move_min_distance_px": (
        "each session",
        "how far the mouse moved before a move was kept",
    ),
    "sessions[].capture.clicks": ("each session", "whether clicks were recorded"),
    "sessions[].capture.scrolls": ("each session", "whether scrolling was recorded"),
    "sessions[].clock": ("each session", "the clock its times come from"),
    "sessions[].clock.source": ("each session", "that clock's name"),
    "sessions[].clock.resolution_ns": ("each session", "its resolution"),
    "sessions[].verdict": ("each session", "whether it is complete"),
    "sessions[].verdict_note": ("each session", "a note on that"),
    "sessions[].stop_reason": ("each session", "why it stopped"),
    "sessions[].pauses": ("each session", "your pauses"),
    "sessions[].gaps": ("each session", "gaps in recording and their reasons"),
    "sessions[].cut_spans": ("each session", "where you cut spans out (not what was in them)"),
    "sessions[].tasks": ("each session", "the study tasks you ran"),
    "sessions[].tasks[].task": ("each session", "which task"),
    "sessions[].tasks[].start_ms": ("each session", "when it began"),
    "sessions[].tasks[].end_ms": ("each session", "when it ended"),
    "sessions[].notes": ("each session", "when you added notes (not their text)"),
    "sessions[].notes[].note_number": ("each session", "each note's number"),
    "sessions[].notes[].t_ms": ("each session", "its time"),
    "sessions[].platform": ("each session", "the kind of system it was recorded on"),
    "sessions[].recorded_with_app_version": ("each session", "the version of Tallylight that recorded it"),
    "sessions[].timing_quality": (_TIMING, "figures on each session's timing"),
    "sessions[].timing_quality.version": (_TIMING, "their format version"),
    "sessions[].timing_quality.stored_time": (_TIMING, "which time is stored"),
    "sessions[].timing_quality.session_clock": (_TIMING, "the recorder's clock"),
    "sessions[].timing_quality.os_clock": (_TIMING, "the system's event clock"),
    "sessions[].timing_quality.os_clock_resolution_ns": (_TIMING, "its resolution"),
    "sessions[].timing_quality.input_events": (_TIMING, "how many input events"),
    "sessions[].timing_quality.events_with_os_time": (
        _TIMING,
        "how many had a system time",
    ),
    "sessions[].timing_quality.events_without_os_time": (_TIMING, "how many had none"),
    "sessions[].timing_quality.retimed": (_TIMING, "how many were re-timed"),
    "sessions[].timing_quality.delivery_lag_p50_us": (_TIMING, "typical delivery delay"),
    "sessions[].timing_quality.delivery_lag_p99_us": (_TIMING, "near-worst delivery delay"),
    "sessions[].timing_quality.delivery_lag_max_us": (_TIMING, "worst delivery delay"),
    "sessions[].timing_quality.drift_ppm": (_TIMING, "clock drift"),
    "sessions[].timing_quality.clock_resets": (_TIMING, "clock resets"),
    "sessions[].timing_quality.late_reordered": (_TIMING, "late events put in order"),
    "sessions[].timing_quality.rate_mean_per_s": (_TIMING, "mean events per second"),
    "sessions[].timing_quality.rate_peak_per_s": (_TIMING, "peak events per second"),
    "sessions[].timing_quality.dropped_or_merged": (_TIMING, "events lost or merged"),
    "sessions[].timing_quality.cpu_count": (
        _TIMING,
        "this computer's number of processors",
    ),
    "sessions[].timing_quality.load_average_start": (
        _TIMING,
        "how busy it was at the start",
    ),
    "sessions[].timing_quality.load_average_stop": (_TIMING, "and at the end"),
    "sessions[].timing_quality.unreleased_keys": (
        _TIMING,
        "keys held down when recording paused or stopped (their release is not known)",
    ),
    "sessions[].timing_quality.recorder_cpu_s": (
        _TIMING,
        "processor time the recorder used",
    ),
    "sessions[].timing_quality.notes": (_TIMING, "sentences on what the figures mean"),
}
for _list in ("pauses", "gaps", "cut_spans"):
    for _key, _words in _SPAN.items():
        FIELDS[f"sessions[].{_list}[].{_key}"] = ("each session", _words)

#: items described as a whole: their inner names are ids, kinds or file names
WHOLE = frozenset(
    {
        "files",
        "consent.checkboxes",
        "consent.capture",
        "consent.extra",
        "consent.purposes",
        "sessions[].event_counts",
        "sessions[].timing_quality.notes",
        "sessions[].timing_quality.load_average_start",
        "sessions[].timing_quality.load_average_stop",
    }
)


def paths(doc: Any, prefix: str = "") -> Iterator[str]:
    """Every item path ``doc`` holds, in document order (lists as ``[]``; whole items not entered)."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            if path not in WHOLE:
                yield from paths(value, path)
    elif isinstance(doc, list):
        for item in doc:
            yield from paths(item, prefix + "[]")


def check(doc: dict[str, Any]) -> None:
    """Refuse a document holding an item the preview would not name (a bug: nothing is made)."""
    unnamed = [p for p in paths(doc) if p not in FIELDS]
    if unnamed:
        raise BundleError(
            _("The bundle would hold {value!r}, which the preview does not name; nothing was made.").format(
                value=unnamed[0]
            )
        )


def described(doc: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """What ``doc`` holds, grouped as the preview shows it: (group, distinct words in order)."""
    groups: dict[str, list[str]] = {}
    for p in paths(doc):
        group, words = FIELDS.get(p, ("other items", p))
        seen = groups.setdefault(group, [])
        if words not in seen:
            seen.append(words)
    return list(groups.items())
