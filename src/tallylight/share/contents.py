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
from tallylight.i18n import N_, _

_TIMING = N_("timing figures")
_SPAN = {"start_ms": N_("when it began"), "end_ms": N_("when it ended"), "reason": N_("why")}

#: path -> (group shown in the preview, plain words); English marked for the catalog, translated
#: where it is shown (:func:`described`)
FIELDS: dict[str, tuple[str, str]] = {
    "format": (N_("the bundle"), N_("that it is a Tallylight bundle")),
    "version": (N_("the bundle"), N_("its format version")),
    "bundle_id": (N_("the bundle"), N_("a random bundle id")),
    "created_utc": (N_("the bundle"), N_("when it was made (UTC)")),
    "app_version": (N_("the bundle"), N_("the version of Tallylight that made it")),
    "codebook": (N_("the bundle"), N_("the name of the file that explains every column")),
    "files": (N_("the bundle"), N_("the list of its files with their sizes and checksums")),
    "study": (N_("the study"), N_("the study")),
    "study.id": (N_("the study"), N_("its id")),
    "study.version": (N_("the study"), N_("its version")),
    "study.title": (N_("the study"), N_("its title")),
    "study.manifest_sha256": (N_("the study"), N_("a checksum of its manifest")),
    "study.recipients": (N_("the study"), N_("the researcher's key")),
    "study.tasks": (N_("the study"), N_("the ids of its tasks")),
    "participant_id": (N_("you"), N_("your participant id in this study")),
    "participant_public_key": (
        N_("you"),
        N_("the public half of your key for this study (shows the bundle is yours)"),
    ),
    "consent": (N_("you"), N_("your consent record")),
    "consent.consent_id": (N_("you"), N_("its id")),
    "consent.study_id": (N_("you"), N_("the study it is for")),
    "consent.study_version": (N_("you"), N_("the study version you consented to")),
    "consent.manifest_hash": (N_("you"), N_("a checksum of that manifest")),
    "consent.signer_fingerprint": (N_("you"), N_("the fingerprint of the researcher's signing key")),
    "consent.participant_id": (N_("you"), N_("your participant id again")),
    "consent.given_at": (N_("you"), N_("when you consented (UTC)")),
    "consent.checkboxes": (N_("you"), N_("the consent boxes you ticked")),
    "consent.capture": (N_("you"), N_("what you agreed may be recorded")),
    "consent.app_version": (N_("you"), N_("the version of Tallylight you consented with")),
    "consent.format": (N_("you"), N_("the consent record's format")),
    "consent.version": (N_("you"), N_("its format version")),
    "consent.extra": (N_("you"), N_("any further items of your consent record")),
    "consent.purposes": (N_("you"), N_("what your data may be used for: each purpose, allowed or declined")),
    "environment": (N_("this computer"), N_("facts about this computer")),
    "environment.observed": (N_("this computer"), N_("that they were read when the bundle was made")),
    "environment.os": (N_("this computer"), N_("its operating system")),
    "environment.os.system": (N_("this computer"), N_("the system's name")),
    "environment.os.release": (N_("this computer"), N_("its release")),
    "environment.os.machine": (N_("this computer"), N_("the processor type")),
    "environment.screens": (N_("this computer"), N_("its screens")),
    "environment.screens[].x_px": (N_("this computer"), N_("each screen's position")),
    "environment.screens[].y_px": (N_("this computer"), N_("each screen's position")),
    "environment.screens[].width_px": (N_("this computer"), N_("size in pixels")),
    "environment.screens[].height_px": (N_("this computer"), N_("size in pixels")),
    "environment.screens[].dpi": (N_("this computer"), N_("pixel density")),
    "environment.screens[].width_mm": (N_("this computer"), N_("size in millimetres")),
    "environment.screens[].height_mm": (N_("this computer"), N_("size in millimetres")),
    "environment.keyboard_layout": (N_("this computer"), N_("the keyboard layout")),
    "sessions": (N_("each session"), N_("the sessions")),
    "sessions[].session_id": (N_("each session"), N_("its id")),
    "sessions[].label": (N_("each session"), N_("its label")),
    "sessions[].file": (N_("each session"), N_("the name of its events file")),
    "sessions[].trials_file": (
        N_("each session"),
        N_("the name of its task trials file (what each typing or pointing task showed and what you did)"),
    ),
    "sessions[].trials": (N_("each session"), N_("how many task trials it holds")),
    "sessions[].start_utc": (N_("each session"), N_("when it started (UTC)")),
    "sessions[].start_unix_ns": (N_("each session"), N_("when it started (as a number)")),
    "sessions[].time_zone": (N_("each session"), N_("this computer's time zone")),
    "sessions[].time_zone.name": (N_("each session"), N_("the time zone's name")),
    "sessions[].time_zone.utc_offset_minutes": (N_("each session"), N_("its offset from UTC")),
    "sessions[].duration_ms": (N_("each session"), N_("how long it lasted")),
    "sessions[].events": (N_("each session"), N_("how many events it holds")),
    "sessions[].event_counts": (N_("each session"), N_("how many of each kind")),
    "sessions[].capture": (N_("each session"), N_("what was recorded")),
    "sessions[].capture.key_mode": (N_("each session"), N_("how keys were recorded")),
    "sessions[].capture.mouse_moves": (N_("each session"), N_("whether mouse moves were recorded")),
    "sessions[].capture.move_min_interval_ms": (N_("each session"), N_("how often a move was kept")),
    "sessions[].capture.move_min_distance_px": (
        N_("each session"),
        N_("how far the mouse moved before a move was kept"),
    ),
    "sessions[].capture.clicks": (N_("each session"), N_("whether clicks were recorded")),
    "sessions[].capture.scrolls": (N_("each session"), N_("whether scrolling was recorded")),
    "sessions[].clock": (N_("each session"), N_("the clock its times come from")),
    "sessions[].clock.source": (N_("each session"), N_("that clock's name")),
    "sessions[].clock.resolution_ns": (N_("each session"), N_("its resolution")),
    "sessions[].verdict": (N_("each session"), N_("whether it is complete")),
    "sessions[].verdict_note": (N_("each session"), N_("a note on that")),
    "sessions[].stop_reason": (N_("each session"), N_("why it stopped")),
    "sessions[].pauses": (N_("each session"), N_("your pauses")),
    "sessions[].gaps": (N_("each session"), N_("gaps in recording and their reasons")),
    "sessions[].cut_spans": (N_("each session"), N_("where you cut spans out (not what was in them)")),
    "sessions[].tasks": (N_("each session"), N_("the study tasks you ran")),
    "sessions[].tasks[].task": (N_("each session"), N_("which task")),
    "sessions[].tasks[].start_ms": (N_("each session"), N_("when it began")),
    "sessions[].tasks[].end_ms": (N_("each session"), N_("when it ended")),
    "sessions[].notes": (N_("each session"), N_("when you added notes (not their text)")),
    "sessions[].notes[].note_number": (N_("each session"), N_("each note's number")),
    "sessions[].notes[].t_ms": (N_("each session"), N_("its time")),
    "sessions[].platform": (N_("each session"), N_("the kind of system it was recorded on")),
    "sessions[].recorded_with_app_version": (
        N_("each session"),
        N_("the version of Tallylight that recorded it"),
    ),
    "sessions[].timing_quality": (_TIMING, N_("figures on each session's timing")),
    "sessions[].timing_quality.version": (_TIMING, N_("their format version")),
    "sessions[].timing_quality.stored_time": (_TIMING, N_("which time is stored")),
    "sessions[].timing_quality.session_clock": (_TIMING, N_("the recorder's clock")),
    "sessions[].timing_quality.os_clock": (_TIMING, N_("the system's event clock")),
    "sessions[].timing_quality.os_clock_resolution_ns": (_TIMING, N_("its resolution")),
    "sessions[].timing_quality.input_events": (_TIMING, N_("how many input events")),
    "sessions[].timing_quality.events_with_os_time": (
        _TIMING,
        N_("how many had a system time"),
    ),
    "sessions[].timing_quality.events_without_os_time": (_TIMING, N_("how many had none")),
    "sessions[].timing_quality.retimed": (_TIMING, N_("how many were re-timed")),
    "sessions[].timing_quality.delivery_lag_p50_us": (_TIMING, N_("typical delivery delay")),
    "sessions[].timing_quality.delivery_lag_p99_us": (_TIMING, N_("near-worst delivery delay")),
    "sessions[].timing_quality.delivery_lag_max_us": (_TIMING, N_("worst delivery delay")),
    "sessions[].timing_quality.drift_ppm": (_TIMING, N_("clock drift")),
    "sessions[].timing_quality.clock_resets": (_TIMING, N_("clock resets")),
    "sessions[].timing_quality.late_reordered": (_TIMING, N_("late events put in order")),
    "sessions[].timing_quality.rate_mean_per_s": (_TIMING, N_("mean events per second")),
    "sessions[].timing_quality.rate_peak_per_s": (_TIMING, N_("peak events per second")),
    "sessions[].timing_quality.dropped_or_merged": (_TIMING, N_("events lost or merged")),
    "sessions[].timing_quality.cpu_count": (
        _TIMING,
        N_("this computer's number of processors"),
    ),
    "sessions[].timing_quality.load_average_start": (
        _TIMING,
        N_("how busy it was at the start"),
    ),
    "sessions[].timing_quality.load_average_stop": (_TIMING, N_("and at the end")),
    "sessions[].timing_quality.unreleased_keys": (
        _TIMING,
        N_("keys held down when recording paused or stopped (their release is not known)"),
    ),
    "sessions[].timing_quality.recorder_cpu_s": (
        _TIMING,
        N_("processor time the recorder used"),
    ),
    "sessions[].timing_quality.notes": (_TIMING, N_("sentences on what the figures mean")),
}
for _list in ("pauses", "gaps", "cut_spans"):
    for _key, _words in _SPAN.items():
        FIELDS[f"sessions[].{_list}[].{_key}"] = (N_("each session"), _words)

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
    """What ``doc`` holds, grouped as the preview shows it: (group, distinct words in order).

    In the participant's language: the table holds English marked for the catalog, translated
    here, when it is shown (an item the table lacks is shown by its path).
    """
    groups: dict[str, list[str]] = {}
    for p in paths(doc):
        group, words = FIELDS[p] if p in FIELDS else (N_("other items"), p)
        group, words = _(group), _(words) if p in FIELDS else words
        seen = groups.setdefault(group, [])
        if words not in seen:
            seen.append(words)
    return list(groups.items())
