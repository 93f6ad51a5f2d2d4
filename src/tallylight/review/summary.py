"""One session in numbers and in plain words (the review window, ``sessions summary``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from tallylight.events import Kind, SessionInfo
from tallylight.i18n import _
from tallylight.review.keystrokes import KeyIntervals, Keystrokes, key_intervals, pair_keys
from tallylight.review.pointer import path_length
from tallylight.review.timeline import (
    IDLE_PAUSE_NS,
    Stretch,
    idle_pauses,
    no_capture_stretches,
    session_span,
    stretch_starts,
    task_spans,
    window,
)
from tallylight.store.encoding import EventColumns
from tallylight.words import count, duration, gap_reason_words


@dataclass(frozen=True)
class Gap:
    start_s: float
    end_s: float
    reason: str  # GapReason name, lower case
    words: str

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class TaskTimes:
    """How one task's time was spent, counted only inside the task (seconds)."""

    number: int  # 1-based position in the manifest's [[tasks]]
    start_s: float  # from the session's start
    end_s: float
    duration_s: float  # task start to end
    recorded_s: float  # minus stretches without capture inside the task
    idle_s: float  # idle pauses (>= 2 s without input) inside the task
    active_s: float  # recorded minus idle
    idle_pauses: int


@dataclass(frozen=True)
class Summary:
    """The numbers the review shows. Times in seconds, intervals in milliseconds."""

    duration_s: float  # session start to stop
    recorded_s: float  # minus every stretch without capture
    paused_s: float  # the participant's own pauses
    other_gaps_s: float  # private apps, cut spans and other stretches without capture
    counts: dict[str, int]  # Kind name (lower case) -> events
    key_presses: int
    clicks: int
    scrolls: int
    moves: int
    path_px: float
    longest_pause_s: float  # longest stretch of recorded time without input
    idle_pauses: int  # how many stretches ≥ 2 s without input
    median_hold_ms: float | None
    median_down_down_ms: float | None
    median_up_down_ms: float | None
    gaps: list[Gap] = field(default_factory=list)
    session_id: str = ""
    label: str = ""
    started_wall_ns: int = 0
    key_mode: str = ""
    verdict: str = ""
    verdict_note: str = ""
    timing: dict[str, Any] | None = None  # the session's TIMING record (docs/FORMAT.md section 12), if any
    moves_recorded: bool = True  # the capture options said mouse_moves (path_px means nothing otherwise)
    tasks: list[TaskTimes] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for g, src in zip(d["gaps"], self.gaps, strict=True):
            g["duration_s"] = src.duration_s
        return d

    def plain_language(self, screen_width_px: int | None = None) -> list[str]:
        """A few sentences a participant understands without numbers training.

        ``screen_width_px`` is the width of the screen the reader looks at (the review window's),
        to say how far the pointer went in screens; without it (the CLI) that comparison is left
        out rather than made against a screen nobody has."""
        lines = [_("You recorded for {duration}.").format(duration=duration(self.recorded_s))]
        paused = [g for g in self.gaps if g.reason in ("paused_by_participant", "pause_hotkey")]
        if paused:
            lines.append(
                _("You paused {times}, for {duration} in all; nothing was captured then.").format(
                    times=count(len(paused), "time"), duration=duration(self.paused_s)
                )
            )
        others: dict[str, list[Gap]] = {}
        for g in self.gaps:
            if g not in paused:
                others.setdefault(g.words, []).append(g)
        for words, gs in others.items():
            total = sum(g.duration_s for g in gs)
            if len(gs) > 1:
                line = _("Nothing was captured for {duration} because {why} ({times}).")
            else:
                line = _("Nothing was captured for {duration} because {why}.")
            lines.append(line.format(duration=duration(total), why=words, times=count(len(gs), "time")))
        lines.append(
            _("You pressed {keys}, clicked {clicks} and scrolled {scrolls}.").format(
                keys=count(self.key_presses, "key"),
                clicks=count(self.clicks, "time"),
                scrolls=count(self.scrolls, "time"),
            )
        )
        if not self.moves_recorded:
            lines.append(_("Mouse movement was not recorded, so there is no distance to show."))
        elif self.path_px > 0:
            widths = self.path_px / screen_width_px if screen_width_px else 0.0
            across = (
                _(" — about {widths:,.0f} times across a {width}-pixel-wide screen").format(
                    widths=widths, width=screen_width_px
                )
                if widths >= 1.5
                else ""
            )
            lines.append(
                _("The pointer travelled {px:,.0f} pixels{across}.").format(px=self.path_px, across=across)
            )
        if self.longest_pause_s > 0:
            lines.append(
                _("Your longest pause without any input was {duration}.").format(
                    duration=duration(self.longest_pause_s)
                )
            )
        if self.median_hold_ms is not None:
            if self.median_down_down_ms is not None:
                typing = _(
                    "A key was usually held down for {hold:.0f} ms, and the next key followed about "
                    "{next:.0f} ms later."
                )
            else:
                typing = _("A key was usually held down for {hold:.0f} ms.")
            lines.append(typing.format(hold=self.median_hold_ms, next=self.median_down_down_ms or 0))
        for t in self.tasks:
            lines.append(
                _(
                    "Task {number} took {duration}: {recorded} recorded, {idle} of it without any input."
                ).format(
                    number=t.number,
                    duration=duration(t.duration_s),
                    recorded=duration(t.recorded_s),
                    idle=duration(t.idle_s),
                )
            )
        if self.verdict and self.verdict != "complete":
            lines.append(
                _("This session was {verdict}: {note}")
                .format(verdict=self.verdict, note=self.verdict_note)
                .rstrip(": ")
            )
        return lines


def recorded_and_idle(
    cols: EventColumns, threshold_ns: int = IDLE_PAUSE_NS
) -> tuple[float, float, float, int]:
    """(duration, recorded, idle seconds, idle pauses) of a session or of a ``timeline.window``."""
    start, end = session_span(cols)
    stretches = no_capture_stretches(cols)
    gaps = sum(s.duration_ns for s in stretches) / 1e9
    _, idle = idle_pauses(cols, stretches, threshold_ns)
    total = (end - start) / 1e9
    return total, max(0.0, total - gaps), float(idle.sum()) / 1e9, int(idle.size)


def task_times(cols: EventColumns, threshold_ns: int = IDLE_PAUSE_NS) -> list[TaskTimes]:
    """Each task's times, counted only between its start and end (``timeline.window``)."""
    origin, _ = session_span(cols)
    out = []
    for span in task_spans(cols):
        total, recorded, idle, n = recorded_and_idle(window(cols, span.start_ns, span.end_ns), threshold_ns)
        out.append(
            TaskTimes(
                number=span.number,
                start_s=(span.start_ns - origin) / 1e9,
                end_s=(span.end_ns - origin) / 1e9,
                duration_s=total,
                recorded_s=recorded,
                idle_s=idle,
                active_s=max(0.0, recorded - idle),
                idle_pauses=n,
            )
        )
    return out


def _median_ms(a: np.ndarray) -> float | None:
    return float(np.median(a)) / 1e6 if a.size else None


@dataclass(frozen=True)
class Analysis:
    """The intermediate results the summary and the review's plots share (computed once)."""

    start_ns: int
    end_ns: int
    stretches: list[Stretch]
    breaks: np.ndarray  # start of every stretch without capture
    keystrokes: Keystrokes
    intervals: KeyIntervals
    idle_ns: np.ndarray  # durations of idle pauses


def analyse(cols: EventColumns) -> Analysis:
    start, end = session_span(cols)
    stretches = no_capture_stretches(cols)
    breaks = stretch_starts(stretches)
    ks = pair_keys(cols)
    _, idle = idle_pauses(cols, stretches)
    return Analysis(start, end, stretches, breaks, ks, key_intervals(ks, breaks), idle)


def summarize(
    cols: EventColumns,
    info: SessionInfo | None = None,
    verdict: str = "",
    verdict_note: str = "",
    analysis: Analysis | None = None,
    timing: dict[str, Any] | None = None,
    moves: tuple[int, float] | None = None,
) -> Summary:
    """Every number of the review, from the decoded columns (and the session's info/verdict/timing).

    ``moves``: (how many, path length in px) of the mouse moves, when ``cols`` holds only some
    of them (the review of a long session keeps its moves apart: :mod:`tallylight.review.prepare`)."""
    a = analysis if analysis is not None else analyse(cols)
    start, end, stretches, breaks = a.start_ns, a.end_ns, a.stretches, a.breaks
    ks, iv, idle = a.keystrokes, a.intervals, a.idle_ns
    total = (end - start) / 1e9
    paused = sum(s.duration_ns for s in stretches if s.participant_pause) / 1e9
    other = sum(s.duration_ns for s in stretches if not s.participant_pause) / 1e9
    kinds = np.bincount(cols.kind, minlength=8)
    if moves is not None:
        kinds[Kind.MOVE] = moves[0]
    counts = {k.name.lower(): int(kinds[k]) for k in Kind if kinds[k]}
    gaps = [
        Gap(
            (s.start_ns - start) / 1e9,
            (s.end_ns - start) / 1e9,
            s.reason.name.lower(),
            gap_reason_words(s.reason.name),
        )
        for s in stretches
    ]
    return Summary(
        duration_s=total,
        recorded_s=max(0.0, total - paused - other),
        paused_s=paused,
        other_gaps_s=other,
        counts=counts,
        key_presses=int(kinds[Kind.KEY_DOWN]) - ks.repeats,
        clicks=int(kinds[Kind.BUTTON_DOWN]),
        scrolls=int(kinds[Kind.SCROLL]),
        moves=int(kinds[Kind.MOVE]),
        path_px=path_length(cols, breaks) if moves is None else moves[1],
        longest_pause_s=float(idle.max()) / 1e9 if idle.size else 0.0,
        idle_pauses=int(idle.size),
        median_hold_ms=_median_ms(ks.hold_ns),
        median_down_down_ms=_median_ms(iv.down_down),
        median_up_down_ms=_median_ms(iv.up_down),
        gaps=gaps,
        session_id=info.session_id if info else "",
        label=info.label if info else "",
        started_wall_ns=info.started_wall_ns if info else 0,
        key_mode=info.options.keys.label if info else "",
        verdict=verdict,
        verdict_note=verdict_note,
        timing=timing,
        moves_recorded=info.options.mouse_moves if info else True,
        tasks=task_times(cols),
    )


def list_summary(cols: EventColumns, info: SessionInfo, verdict: str, verdict_note: str) -> dict[str, Any]:
    """What ``summary.tls`` keeps of a session version (the store's ``Summarizer``)."""
    return index_doc(summarize(cols, info, verdict, verdict_note), len(cols))


def index_doc(summary: Summary, events: int) -> dict[str, Any]:
    """What the encrypted per-session summary (the sessions list) keeps of a summary (not the timing)."""
    doc = summary.to_dict()
    del doc["timing"]
    return {**doc, "events": events}
