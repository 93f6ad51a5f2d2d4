"""The words shown to people: one vocabulary for the CLI and the GUI.

Every state name, key-mode description, duration, count and stop reason a
participant reads comes from here, so the tray, the windows and the terminal
say the same thing in the same words (and a count of one is never "1 clicks").

Near the bottom of the stack: it imports only the capture options
(``tallylight.options``), so every layer (capture, store, recorder, cli, ui) may use it.
"""

from __future__ import annotations

import contextlib
import enum
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tallylight.errors import UsageError
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
        return _APP_STATE_WORDS[self]

    @property
    def active(self) -> bool:
        """A recorder process exists for this session (the light is on)."""
        return self in ACTIVE_STATES


_APP_STATE_WORDS = {
    AppState.IDLE: "Not recording",
    AppState.STARTING: "Starting to record…",
    AppState.RECORDING: "Recording",
    AppState.PAUSED: "Paused (not recording)",
    AppState.STOPPING: "Stopping…",
    AppState.ERROR: "Error",
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
    "participant": "you stopped it",
    "duration_limit": "the maximum duration was reached",
    "idle_timeout": "there was no input for a while",
    "controller_gone": "the app went away",
    "signal": "the system asked it to stop",
    "write_error": "the session could not be written",
    "quit": "the app was closed",
    "indicator_hidden": "the tally light was closed, hidden or moved off screen",
    "recorder_exited": "the recorder ended unexpectedly",
    "none": "it ended",
}


def stop_reason_words(reason: str) -> str:
    """Why a session stopped, as the end of "Recording stopped because …"."""
    return _reason_words(_STOP_REASON_WORDS, reason)


def _reason_words(table: Mapping[str, str], reason: str) -> str:
    """The words for an enum name (lower case); an unknown name is shown as words."""
    key = str(reason).lower()
    return table.get(key, key.replace("_", " "))


# ---------------------------------------------------------------- key modes


@dataclass(frozen=True)
class KeyModeWords:
    """One key mode in three lengths: a choice in a list, a status line, a full sentence."""

    title: str
    short: str
    plain: str


KEY_MODES: Mapping[KeyMode, KeyModeWords] = {  # narrowest to widest
    KeyMode.NONE: KeyModeWords("No keys", "no keys", "no keyboard events at all"),
    KeyMode.CLASS: KeyModeWords(
        "Kind of key only",
        "kind of key only (never which letter)",
        "when each key goes down and up and what kind of key it is (letter, digit, space, "
        "backspace…) — never which letter or what you typed",
    ),
    KeyMode.HASHED: KeyModeWords(
        "Kind of key + key code",
        "kind of key + a per-session key code (long texts can be decoded)",
        "when each key goes down and up, what kind of key it is, and a code for each physical key that "
        "changes every session. Within a session the same key always gets the same code: that is a simple "
        "substitution, so from a long enough text someone could work out, by how often each code occurs, "
        "which code is which letter, and so what you typed",
    ),
    KeyMode.FULL: KeyModeWords(
        "Exact keys",
        "exact keys",
        "when each key goes down and up and which key it was (the text you type can be read)",
    ),
}
FULL_KEYS_WARNING = (
    "Only choose this if your study asks for it: passwords you type would be recorded (encrypted)."
)


def key_mode(mode: KeyMode | str) -> KeyModeWords:
    """The words for a key mode or its label (``none``, ``class``, ``hashed``, ``full``).

    An unknown label (a damaged status line) is shown as it is.
    """
    try:
        return KEY_MODES[KeyMode.parse(mode)]
    except UsageError:
        return KeyModeWords(str(mode), str(mode), str(mode))


def describe_capture(options: CaptureOptions) -> list[str]:
    """Plain-language lines saying what a session with ``options`` captures (consent, start dialog)."""
    lines = [f"Keyboard: {key_mode(options.keys).plain}."]
    if options.mouse_moves:
        thin = []
        if options.move_min_interval_ms:
            thin.append(f"at most one every {options.move_min_interval_ms:g} ms")
        if options.move_min_distance_px:
            thin.append(f"only after moving {options.move_min_distance_px:g} px")
        lines.append("Mouse movement: the pointer position" + (f" ({', '.join(thin)})" if thin else "") + ".")
    else:
        lines.append("Mouse movement: not recorded.")
    lines.append("Mouse clicks: " + ("which button and where." if options.clicks else "not recorded."))
    lines.append("Scrolling: " + ("how far and where." if options.scrolls else "not recorded."))
    return lines


def capture_summary(options: Mapping[str, Any]) -> str:
    """One short line for an ``options`` object (CONTROL.md), e.g. for ``tallylight status``."""
    parts = [key_mode(str(options.get("keys"))).short]
    for name, text in (("mouse_moves", "mouse moves"), ("clicks", "clicks"), ("scrolls", "scrolls")):
        if options.get(name):
            parts.append(text)
    return ", ".join(parts)


# ---------------------------------------------------------------- counts and durations


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``1 click``, ``2 clicks``; ``plural`` for irregular words (``key press`` → ``key presses``)."""
    if plural is None:
        plural = singular + ("es" if singular.endswith(("s", "sh", "ch", "x")) else "s")
    return f"{n} {singular if n == 1 else plural}"


#: what the participant calls each counted event kind (counts are keyed by Kind name, lower case)
_COUNTED = (
    ("key_down", "key press"),
    ("move", "mouse move"),
    ("button_down", "click"),
    ("scroll", "scroll"),
)


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
    return ", ".join(count(_count_of(counts, name), noun) for name, noun in _COUNTED)


def clock(seconds: float) -> str:
    """Elapsed time as a clock: ``0:01:05``."""
    seconds = max(0, int(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}"


def recorded_and_paused(recorded_s: float, paused_s: float) -> str:
    """``0:01:02 recorded, 0:00:10 paused``: time captured and time paused, never added together."""
    text = f"{clock(recorded_s)} recorded"
    if paused_s >= 1:
        text += f", {clock(paused_s)} paused"
    return text


def minutes(n: int) -> str:
    """A limit in minutes in words: ``no limit``, ``1 minute``, ``2 hours``, ``90 minutes``."""
    if n <= 0:
        return "no limit"
    if n % 60 == 0:
        return count(n // 60, "hour")
    return count(n, "minute")


# ---------------------------------------------------------------- verdicts

_VERDICT_WORDS = {
    "complete": "complete",
    "recovered": "recovered after a crash (the last moments may be missing)",
    "incomplete": "not closed (still recording, or the recorder stopped unexpectedly)",
    "torn": "cut off in the middle of a write (crash); the partial part is ignored",
    "corrupt": "damaged: it does not authenticate, so none of it is shown",
}


def verdict_words(verdict: str) -> str:
    """Plain words for a reader verdict (``tallylight.store.reader.Verdict`` value)."""
    return _VERDICT_WORDS.get(str(verdict), str(verdict))


# ---------------------------------------------------------------- stretches without capture and durations

_GAP_REASON_WORDS = {
    "none": "capture was off",
    "paused_by_participant": "you paused",
    "private_app": "a private app was in front",
    "pause_hotkey": "you paused with the hotkey",
    "crash": "the recorder stopped unexpectedly",
    "queue_overflow": "input came faster than it could be kept",
    "write_error": "saving failed",
    "trimmed": "you cut this span out",
}


def gap_reason_words(reason: str) -> str:
    """Why nothing was captured for a while (a ``GapReason`` name, lower case), as the end of "because …"."""
    return _reason_words(_GAP_REASON_WORDS, reason)


def duration(seconds: float) -> str:
    """A length of time in words: ``3 h 02 min``, ``4 min 05 s``, ``12 s``, ``0.4 s``."""
    if seconds < 10:
        return f"{max(0.0, seconds):.1f} s"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{h} h {m:02d} min"
    if m:
        return f"{m} min {s:02d} s"
    return f"{s} s"


# ---------------------------------------------------------------- the capture ceiling

_NARROWED_KEYS = {
    "none": "none",
    "class": "kind only",
    "hashed": "kind and a per-session code",
    "full": "exact",
}


#: why a ceiling narrowed, per source (the end of a narrowing line)
PARTICIPANT_CEILING = "your settings do not allow more"
STUDY_CEILING = "your study does not allow more"
CONSENT_CEILING = "your consent allows no more"


def narrowed_option(option: str, effective: Any, because: str) -> str:
    """One line saying that a capture option was narrowed, and why.

    ``keys: kind only — your settings do not allow more``; ``because`` is the
    ceiling's clause (PARTICIPANT_CEILING, STUDY_CEILING).
    """
    if option == "keys":
        value = _NARROWED_KEYS.get(str(effective), str(effective))
        what = "keys"
    elif option == "move_min_interval_ms":
        value, what = f"at most one every {effective:g} ms", "mouse moves"
    elif option == "move_min_distance_px":
        value, what = f"only after {effective:g} px", "mouse moves"
    else:
        what = {"mouse_moves": "mouse moves", "clicks": "clicks", "scrolls": "scrolls"}.get(option, option)
        value = "on" if effective else "off"
    return f"{what}: {value} — {because}"


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
    "x11-server-time": "the X server's event times",
    "win32-hook-time": "Windows' input-hook times",
    "cgevent-timestamp": "macOS event timestamps",
}


def timing_summary(quality: Mapping[str, Any] | None) -> list[str]:
    """What a session's timing record (docs/FORMAT.md section 12) says, in a few lines."""
    if not quality:
        return [
            "No timing record (an older session, or one that did not stop normally): "
            "times may be when the recorder received each event."
        ]

    def ms(key: str) -> str:
        v = quality.get(key)
        return "-" if not isinstance(v, (int, float)) else f"{v / 1000:.2f} ms"

    source = quality.get("os_clock")
    lines = []
    if source in _OS_CLOCKS:
        res = quality.get("os_clock_resolution_ns")
        res_text = f" ({res / 1e6:g} ms steps)" if isinstance(res, (int, float)) and res >= 1e6 else ""
        lines.append(
            f"Times are the best estimate from {_OS_CLOCKS[source]}{res_text}; "
            f"{count(int(quality.get('retimed') or 0), 'event')} of "
            f"{int(quality.get('events_with_os_time') or 0)} reached the recorder late and were re-timed."
        )
        lines.append(
            f"Delivery lag: median {ms('delivery_lag_p50_us')}, 99th percentile {ms('delivery_lag_p99_us')}, "
            f"longest {ms('delivery_lag_max_us')}."
        )
    else:
        lines.append("Times are when the recorder received each event (this system gives no event times).")
    rate, peak = quality.get("rate_mean_per_s"), quality.get("rate_peak_per_s")
    if isinstance(rate, (int, float)) and isinstance(peak, (int, float)):
        lines.append(f"{rate:.1f} input events a second on average, {peak:.0f} in the busiest second.")
    load = [quality.get("load_average_start") or [], quality.get("load_average_stop") or []]
    if load[0] and load[1]:
        lines.append(
            f"Load average {load[0][0]:.2f} at the start, {load[1][0]:.2f} at the end, "
            f"on {quality.get('cpu_count') or '?'} CPUs."
        )
    lines += [printable(str(n)) for n in quality.get("notes") or [] if isinstance(n, str)]
    return lines
