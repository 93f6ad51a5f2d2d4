"""The words shown to people: one vocabulary for the CLI and the GUI.

Every state name, key-mode description, duration, count and stop reason a
participant reads comes from here, so the tray, the windows and the terminal
say the same thing in the same words (and a count of one is never "1 clicks").

Near the bottom of the stack: it imports only the capture options
(``tallylight.options``) and :mod:`tallylight.i18n`, so every layer (capture, store,
recorder, cli, ui) may use it. Tables hold English marked with ``N_`` and are
translated where they are read, so the words follow the participant's language
whenever it is chosen.
"""

from __future__ import annotations

import contextlib
import enum
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tallylight.errors import UsageError
from tallylight.i18n import N_, _, ngettext
from tallylight.options import CaptureOptions, KeyMode

# ---------------------------------------------------------------- states


class AppState(enum.StrEnum):
    """The tally light's states (tray, fallback window, ``tallylight status``).

    ``starting`` already shows the recording light: the light turns on before
    the first event could be captured and goes off only after the recorder exited.
    """

    IDLE = "idle"
    STARTING = "starting"
    RECORDING = "recording"
    PAUSED = "paused"
    STOPPING = "stopping"
    ERROR = "error"

    @property
    def words(self) -> str:
        return _(_APP_STATE_WORDS[self])

    @property
    def active(self) -> bool:
        """A recorder process exists for this session (the light is on)."""
        return self in ACTIVE_STATES


_APP_STATE_WORDS = {
    AppState.IDLE: N_("Not recording"),
    AppState.STARTING: N_("Starting to record…"),
    AppState.RECORDING: N_("Recording"),
    AppState.PAUSED: N_("Paused (not recording)"),
    AppState.STOPPING: N_("Stopping…"),
    AppState.ERROR: N_("Error"),
}
ACTIVE_STATES = frozenset({AppState.STARTING, AppState.RECORDING, AppState.PAUSED, AppState.STOPPING})


class RecorderState(enum.StrEnum):
    """A recorder session's states, as its ``status`` message names them (docs/CONTROL.md)."""

    IDLE = "idle"
    RECORDING = "recording"
    PAUSED = "paused"
    STOPPED = "stopped"


def app_state_words(state: str) -> str:
    """Plain words for an app state name (an unknown name is shown as it is)."""
    try:
        return AppState(state).words
    except ValueError:
        return str(state)


# ---------------------------------------------------------------- stop reasons

_STOP_REASON_WORDS = {
    "participant": N_("you stopped it"),
    "duration_limit": N_("the maximum duration was reached"),
    "idle_timeout": N_("there was no input for a while"),
    "controller_gone": N_("the app went away"),
    "signal": N_("the system asked it to stop"),
    "write_error": N_("the session could not be written"),
    "quit": N_("the app was closed"),
    "indicator_hidden": N_("the tally light was closed, hidden or moved off screen"),
    "recorder_exited": N_("the recorder ended unexpectedly"),
    "none": N_("it ended"),
}


def stop_reason_words(reason: str) -> str:
    """Why a session stopped, as the end of "Recording stopped because …"."""
    return _reason_words(_STOP_REASON_WORDS, reason)


_SHARE_ACTION_WORDS = {
    "queued": N_("queued"),
    "saved": N_("saved"),
    "sent": N_("sent"),
    "failed": N_("not sent"),
    "dropped": N_("dropped"),
}


def share_action_words(action: str) -> str:
    """What happened to a bundle, as the share log names it (``tallylight share --log``)."""
    return _reason_words(_SHARE_ACTION_WORDS, action)


def _reason_words(table: Mapping[str, str], reason: str) -> str:
    """The words for an enum name (lower case); an unknown name is shown as words."""
    key = str(reason).lower()
    return _(table[key]) if key in table else key.replace("_", " ")


# ---------------------------------------------------------------- key modes


@dataclass(frozen=True)
class KeyModeWords:
    """One key mode in three lengths: a choice in a list, a status line, a full sentence."""

    title: str
    short: str
    plain: str


KEY_MODES: Mapping[KeyMode, KeyModeWords] = {  # narrowest to widest
    KeyMode.NONE: KeyModeWords(N_("No keys"), N_("no keys"), N_("no keyboard events at all")),
    KeyMode.CLASS: KeyModeWords(
        N_("Kind of key only"),
        N_("kind of key only (never which letter)"),
        N_(
            "when each key goes down and up and what kind of key it is (letter, digit, space, "
            "backspace…) — never which letter or what you typed"
        ),
    ),
    KeyMode.HASHED: KeyModeWords(
        N_("Kind of key + key code"),
        N_("kind of key + a per-session key code (long texts can be decoded)"),
        N_(
            "when each key goes down and up, what kind of key it is, and a code for each physical key that "
            "changes every session. Within a session the same key always gets the same code: that is a "
            "simple substitution, so from a long enough text someone could work out, by how often each "
            "code occurs, which code is which letter, and so what you typed"
        ),
    ),
    KeyMode.FULL: KeyModeWords(
        N_("Exact keys"),
        N_("exact keys"),
        N_("when each key goes down and up and which key it was (the text you type can be read)"),
    ),
}
#: shown with ``_()`` where it is used
FULL_KEYS_WARNING = N_(
    "Only choose this if your study asks for it: passwords you type would be recorded (encrypted)."
)


def key_mode(mode: KeyMode | str) -> KeyModeWords:
    """The words for a key mode or its label (``none``, ``class``, ``hashed``, ``full``), translated.

    An unknown label (a damaged status line) is shown as it is.
    """
    try:
        w = KEY_MODES[KeyMode.parse(mode)]
    except UsageError:
        return KeyModeWords(str(mode), str(mode), str(mode))
    return KeyModeWords(_(w.title), _(w.short), _(w.plain))


def describe_capture(options: CaptureOptions) -> list[str]:
    """Plain-language lines saying what a session with ``options`` captures (consent, start dialog)."""
    lines = [_("Keyboard: {keys}.").format(keys=key_mode(options.keys).plain)]
    if options.mouse_moves:
        thin = []
        if options.move_min_interval_ms:
            thin.append(_("at most one every {ms} ms").format(ms=f"{options.move_min_interval_ms:g}"))
        if options.move_min_distance_px:
            thin.append(_("only after moving {px} px").format(px=f"{options.move_min_distance_px:g}"))
        if thin:
            lines.append(_("Mouse movement: the pointer position ({limits}).").format(limits=", ".join(thin)))
        else:
            lines.append(_("Mouse movement: the pointer position."))
    else:
        lines.append(_("Mouse movement: not recorded."))
    lines.append(
        _("Mouse clicks: which button and where.") if options.clicks else _("Mouse clicks: not recorded.")
    )
    lines.append(_("Scrolling: how far and where.") if options.scrolls else _("Scrolling: not recorded."))
    return lines


_OPTION_NAMES = {"mouse_moves": N_("mouse moves"), "clicks": N_("clicks"), "scrolls": N_("scrolls")}


def capture_summary(options: Mapping[str, Any]) -> str:
    """One short line for an ``options`` object (CONTROL.md), e.g. for ``tallylight status``."""
    parts = [key_mode(str(options.get("keys"))).short]
    for name, text in _OPTION_NAMES.items():
        if options.get(name):
            parts.append(_(text))
    return ", ".join(parts)


# ---------------------------------------------------------------- counts and durations


#: the counted nouns, each with its plural forms from the catalog
_COUNT_NOUNS: Mapping[str, Callable[[int], str]] = {
    "bundle": lambda n: ngettext("{n} bundle", "{n} bundles", n),
    "click": lambda n: ngettext("{n} click", "{n} clicks", n),
    "consent record": lambda n: ngettext("{n} consent record", "{n} consent records", n),
    "entry": lambda n: ngettext("{n} entry", "{n} entries", n),
    "event": lambda n: ngettext("{n} event", "{n} events", n),
    "hour": lambda n: ngettext("{n} hour", "{n} hours", n),
    "item": lambda n: ngettext("{n} item", "{n} items", n),
    "key": lambda n: ngettext("{n} key", "{n} keys", n),
    "key press": lambda n: ngettext("{n} key press", "{n} key presses", n),
    "marker": lambda n: ngettext("{n} marker", "{n} markers", n),
    "minute": lambda n: ngettext("{n} minute", "{n} minutes", n),
    "mouse move": lambda n: ngettext("{n} mouse move", "{n} mouse moves", n),
    "scroll": lambda n: ngettext("{n} scroll", "{n} scrolls", n),
    "segment": lambda n: ngettext("{n} segment", "{n} segments", n),
    "session": lambda n: ngettext("{n} session", "{n} sessions", n),
    "study": lambda n: ngettext("{n} study", "{n} studies", n),
    "time": lambda n: ngettext("{n} time", "{n} times", n),
}


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``1 click``, ``2 clicks``, in the participant's language for the nouns in the catalog.

    ``plural`` for an irregular English word not in the catalog (English only).
    """
    if singular in _COUNT_NOUNS:
        return _COUNT_NOUNS[singular](n).format(n=n)
    if plural is None:
        plural = singular + ("es" if singular.endswith(("s", "sh", "ch", "x")) else "s")
    return f"{n} {singular if n == 1 else plural}"


#: each counted noun (a key of _COUNT_NOUNS) -> its Kind name (counts are keyed by it, lower case)
_COUNTED = {
    "key press": "key_down",
    "mouse move": "move",
    "click": "button_down",
    "scroll": "scroll",
}


def _count_of(counts: Mapping[str, Any], name: str) -> int:
    total = 0
    for key, value in counts.items():
        if str(key).lower() == name:
            with contextlib.suppress(TypeError, ValueError):  # a junk count is no count
                total += int(value)
    return total


def counts_summary(counts: Mapping[str, Any] | None) -> str:
    """Plain words for a recorder ``counts`` object (kind name -> count)."""
    counts = counts or {}
    return ", ".join(count(_count_of(counts, name), noun) for noun, name in _COUNTED.items())


def clock(seconds: float) -> str:
    """Elapsed time as a clock: ``0:01:05``."""
    seconds = max(0, int(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}"


def recorded_and_paused(recorded_s: float, paused_s: float) -> str:
    """``0:01:02 recorded, 0:00:10 paused``: time captured and time paused, never added together."""
    if paused_s >= 1:
        return _("{recorded} recorded, {paused} paused").format(
            recorded=clock(recorded_s), paused=clock(paused_s)
        )
    return _("{recorded} recorded").format(recorded=clock(recorded_s))


def minutes(n: int) -> str:
    """A limit in minutes in words: ``no limit``, ``1 minute``, ``2 hours``, ``90 minutes``."""
    if n <= 0:
        return _("no limit")
    if n % 60 == 0:
        return count(n // 60, "hour")
    return count(n, "minute")


# ---------------------------------------------------------------- verdicts

_VERDICT_WORDS = {
    "complete": N_("complete"),
    "recovered": N_("recovered after a crash (the last moments may be missing)"),
    "incomplete": N_("not closed (still recording, or the recorder stopped unexpectedly)"),
    "torn": N_("cut off in the middle of a write (crash); the partial part is ignored"),
    "corrupt": N_("damaged: it does not authenticate, so none of it is shown"),
}


def verdict_words(verdict: str) -> str:
    """Plain words for a reader verdict (``tallylight.store.reader.Verdict`` value)."""
    key = str(verdict)
    return _(_VERDICT_WORDS[key]) if key in _VERDICT_WORDS else key


# ---------------------------------------------------------------- stretches without capture and durations

_GAP_REASON_WORDS = {
    "none": N_("capture was off"),
    "paused_by_participant": N_("you paused"),
    "private_app": N_("a private app was in front"),
    "pause_hotkey": N_("you paused with the hotkey"),
    "crash": N_("the recorder stopped unexpectedly"),
    "queue_overflow": N_("input came faster than it could be kept"),
    "write_error": N_("saving failed"),
    "trimmed": N_("you cut this span out"),
    "hook_removed": N_("the system stopped passing input to Tallylight until it was reconnected"),
}


def gap_reason_words(reason: str) -> str:
    """Why nothing was captured for a while (a ``GapReason`` name, lower case), as the end of "because …"."""
    return _reason_words(_GAP_REASON_WORDS, reason)


def duration(seconds: float) -> str:
    """A length of time in words: ``3 h 02 min``, ``4 min 05 s``, ``12 s``, ``0.4 s``."""
    if seconds < 10:
        return _("{s} s").format(s=f"{max(0.0, seconds):.1f}")
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    if h:
        return _("{h} h {m} min").format(h=h, m=f"{m:02d}")
    if m:
        return _("{m} min {s} s").format(m=m, s=f"{s:02d}")
    return _("{s} s").format(s=s)


# ---------------------------------------------------------------- the capture ceiling

_NARROWED_KEYS = {
    "none": N_("none"),
    "class": N_("kind only"),
    "hashed": N_("kind and a per-session code"),
    "full": N_("exact"),
}


#: why a ceiling narrowed, per source (the end of a narrowing line; translated when shown)
PARTICIPANT_CEILING = N_("your settings do not allow more")
STUDY_CEILING = N_("your study does not allow more")
CONSENT_CEILING = N_("your consent allows no more")


def narrowed_option(option: str, effective: Any, because: str) -> str:
    """One line saying that a capture option was narrowed, and why.

    ``keys: kind only — your settings do not allow more``; ``because`` is the
    ceiling's clause (PARTICIPANT_CEILING, STUDY_CEILING).
    """
    if option == "keys":
        key = str(effective)
        value = _(_NARROWED_KEYS[key]) if key in _NARROWED_KEYS else key
        what = _("keys")
    elif option == "move_min_interval_ms":
        value, what = _("at most one every {ms} ms").format(ms=f"{effective:g}"), _("mouse moves")
    elif option == "move_min_distance_px":
        value, what = _("only after {px} px").format(px=f"{effective:g}"), _("mouse moves")
    else:
        what = _(_OPTION_NAMES[option]) if option in _OPTION_NAMES else option
        value = _("on") if effective else _("off")
    return _("{option}: {value} — {because}").format(option=what, value=value, because=_(because))


# ---------------------------------------------------------------- stored text shown to people

_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def printable(text: str) -> str:
    """``text`` with control, format and line-separator characters escaped (``\\x1b``, ``\\u202e``).

    Labels and other stored text may hold anything; printed raw, an escape
    sequence could retitle the terminal or hide what follows, and a bidi
    override could reorder the line. Every place that prints stored text uses this.
    """
    if text.isprintable() and "\\x7f" not in text:
        return text
    out = []
    for ch in text:
        if unicodedata.category(ch) in _UNPRINTABLE:
            code = ord(ch)
            out.append(
                f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
            )
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------- timing quality

_OS_CLOCKS = {
    "x11-server-time": N_("the X server's event times"),
    "win32-hook-time": N_("Windows' input-hook times"),
    "cgevent-timestamp": N_("macOS event timestamps"),
}


def timing_summary(quality: Mapping[str, Any] | None) -> list[str]:
    """What a session's timing record (docs/FORMAT.md section 12) says, in a few lines."""
    if not quality:
        return [
            _(
                "No timing record (an older session, or one that did not stop normally): "
                "times may be when the recorder received each event."
            )
        ]

    def ms(key: str) -> str:
        v = quality.get(key)
        return "-" if not isinstance(v, (int, float)) else _("{ms} ms").format(ms=f"{v / 1000:.2f}")

    source = quality.get("os_clock")
    lines = []
    if source in _OS_CLOCKS:
        res = quality.get("os_clock_resolution_ns")
        res_text = (
            _(" ({ms} ms steps)").format(ms=f"{res / 1e6:g}")
            if isinstance(res, (int, float)) and res >= 1e6
            else ""
        )
        retimed = int(quality.get("retimed") or 0)
        lines.append(
            ngettext(
                "Times are the best estimate from {clock}{steps}; {n} event of {total} reached the recorder "
                "late and was re-timed.",
                "Times are the best estimate from {clock}{steps}; {n} events of {total} reached the recorder "
                "late and were re-timed.",
                retimed,
            ).format(
                clock=_(_OS_CLOCKS[source]),
                steps=res_text,
                n=retimed,
                total=int(quality.get("events_with_os_time") or 0),
            )
        )
        lines.append(
            _("Delivery lag: median {p50}, 99th percentile {p99}, longest {max}.").format(
                p50=ms("delivery_lag_p50_us"), p99=ms("delivery_lag_p99_us"), max=ms("delivery_lag_max_us")
            )
        )
    else:
        lines.append(_("Times are when the recorder received each event (this system gives no event times)."))
    rate, peak = quality.get("rate_mean_per_s"), quality.get("rate_peak_per_s")
    if isinstance(rate, (int, float)) and isinstance(peak, (int, float)):
        lines.append(
            _("{rate} input events a second on average, {peak} in the busiest second.").format(
                rate=f"{rate:.1f}", peak=f"{peak:.0f}"
            )
        )
    load = [quality.get("load_average_start") or [], quality.get("load_average_stop") or []]
    if load[0] and load[1]:
        lines.append(
            _("Load average {start} at the start, {stop} at the end, on {cpus} CPUs.").format(
                start=f"{load[0][0]:.2f}", stop=f"{load[1][0]:.2f}", cpus=quality.get("cpu_count") or "?"
            )
        )
    lines += [printable(str(n)) for n in quality.get("notes") or [] if isinstance(n, str)]
    return lines


def timing_plain(quality: Mapping[str, Any] | None) -> list[str]:
    """How exact a session's times are, in everyday words, for the participant's own review.

    :func:`timing_summary` is the researcher's account (lag percentiles, load average); in the
    review it read as jargon, and its sentences contradicted the store's notes (re-timed from
    the X server's times, or from the OS clock?). After a cut, the per-event figures are unknown
    (``None``) and are not said at all, so removed events are never counted here.
    """
    if not quality:
        return [_("This session has no record of how exact its times are.")]
    source = quality.get("os_clock")
    if source in _OS_CLOCKS:
        lines = [_("Times come from {clock}.").format(clock=_(_OS_CLOCKS[source]))]
        late, total = quality.get("retimed"), quality.get("events_with_os_time")
        if isinstance(late, int) and isinstance(total, int) and 0 < late <= total:
            lines.append(
                ngettext(
                    "{n} of {total} events reached Tallylight late; its time is a close estimate.",
                    "{n} of {total} events reached Tallylight late; their times are close estimates.",
                    late,
                ).format(n=late, total=total)
            )
    else:
        lines = [_("Times are when Tallylight received each event (this computer gives no event times).")]
    lost = quality.get("dropped_or_merged")
    if isinstance(lost, int) and lost > 0:
        lines.append(
            ngettext(
                "{n} mouse movement never reached Tallylight (the computer was too busy); "
                "the movements around it are kept.",
                "{n} mouse movements never reached Tallylight (the computer was too busy); "
                "the movements around them are kept.",
                lost,
            ).format(n=lost)
        )
    cpus = quality.get("cpu_count") or 1
    loads = [(quality.get(k) or [0])[:1] for k in ("load_average_start", "load_average_stop")]
    busiest = max((v[0] for v in loads if v and isinstance(v[0], (int, float))), default=0)
    if isinstance(cpus, int) and busiest > cpus:
        lines.append(_("The computer was busy during this session, so some times may be a little late."))
    return lines


# ---------------------------------------------------------------- study tasks (docs/TASKS.md)

#: the consent screen's own choice for typing tasks (CLI and window say the same)
TYPING_CONSENT = N_(
    "Typing tasks: record the characters I type into the task window's own text field "
    "(only there, only while a typing task runs: the study's phrases, nothing else I type)"
)
#: why a typing task cannot run without that choice
TYPING_NOT_ALLOWED = N_(
    "This typing task records the characters you type into its field, and you did not allow that "
    "when you joined the study, so it cannot run. Nothing else you type is ever recorded as characters."
)


#: why a free task cannot start in a session that records only the task window (Wayland)
FREE_TASK_NEEDS_CAPTURE = N_(
    "This task records what you do in other programs, and this desktop lets no program see that, "
    "so it cannot run here. The study's typing and pointing tasks can."
)
#: said when a study session starts on a desktop without global capture
WINDOW_TASKS_ONLY = N_(
    "This desktop lets no program see your keyboard and mouse in other programs, so this session "
    "records only the study's typing and pointing tasks, in Tallylight's own window."
)


def task_result_lines(blocks: dict[str, Any]) -> list[str]:
    """A participant's own task results (tallylight.tasks.results.blocks), in plain words."""
    lines = []
    pointing = blocks.get("pointing")
    if pointing:
        seqs = pointing["sequences"]
        tp = pointing.get("throughput_bps")
        errors = sum(s["error_rate"] * s["trials"] for s in seqs) / max(1, sum(s["trials"] for s in seqs))
        lines.append(
            _("Pointing: throughput {tp} bits/s over {n} sequences, {errors} of targets missed.").format(
                tp="-" if tp is None else f"{tp:.2f}", n=len(seqs), errors=f"{errors:.0%}"
            )
        )
    typing = blocks.get("typing")
    if typing:
        wpm = typing.get("wpm")
        trials = typing["trials"]
        errors = sum(t["total_error_rate"] for t in trials) / max(1, len(trials))
        lines.append(
            _("Typing: {wpm} words a minute over {n} phrases, {errors} error rate.").format(
                wpm="-" if wpm is None else f"{wpm:.1f}", n=len(trials), errors=f"{errors:.1%}"
            )
        )
    return lines


# ---------------------------------------------------------------- exports


def plaintext_export_warning() -> str:
    """Said inside the export dialog itself (not only in its title bar, which is easy to miss):
    an export is the one file Tallylight writes without encryption."""
    return _(
        "This file is NOT encrypted: anyone who can open it can read every event in it. "
        "Keep it safe and delete it when you are done."
    )
