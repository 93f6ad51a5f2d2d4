"""``tallylight sessions summary ID [--json]``: the numbers the review window shows."""

from __future__ import annotations

import argparse
import json
from typing import Any

from tallylight.cli.unlock import add_passphrase_option, require_data, unlock_vault
from tallylight.i18n import _
from tallylight.review import Summary, summarize
from tallylight.store import recovery, sessions
from tallylight.store.reader import Keys
from tallylight.tasks import results
from tallylight.words import duration, printable, task_result_lines


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("summary", help=_("what a session holds: durations, counts, pauses, typing rhythm"))
    p.add_argument("session_id", metavar="ID")
    p.add_argument("--json", action="store_true", help=_("print the numbers as one JSON object"))
    add_passphrase_option(p)
    p.set_defaults(func=cmd_summary)


def session_summary(session_id: str, keys: Keys) -> Summary:
    data = sessions.read(session_id, keys)
    rep = data.report
    return summarize(data.columns(), data.info, rep.verdict.value, rep.problem, timing=data.timing)


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f} ms"


def _timing(t: dict[str, Any] | None) -> str:
    """The TIMING record's clock source, delivery lag and re-timed events, in one row."""
    if not t:
        return "none recorded (an older session, or one that did not stop normally)"

    def num(key: str, scale: float = 1.0, fmt: str = "g") -> str:
        v = t.get(key)
        return "-" if isinstance(v, bool) or not isinstance(v, (int, float)) else format(v / scale, fmt)

    lag = "/".join(num(f"delivery_lag_{p}_us", 1000, ".2f") for p in ("p50", "p99", "max"))
    return (
        f"clock {printable(str(t.get('os_clock', '-')))}; delivery lag p50/p99/max {lag} ms; "
        f"{num('retimed')} of {num('events_with_os_time')} events re-timed"
    )


def cmd_summary(args: argparse.Namespace) -> int:
    require_data()
    recovery.recover_unfinished()
    keys = unlock_vault(args)
    s = session_summary(args.session_id, keys)
    tasks = results.blocks(sessions.read(args.session_id, keys).trials)  # typing and pointing tasks
    if args.json:
        print(json.dumps({**s.to_dict(), **tasks}, ensure_ascii=False, indent=1))
        return 0
    for line in s.plain_language():
        print(line)
    print()
    rows = [
        ("session", s.session_id),
        ("state", s.verdict),
        ("duration", f"{duration(s.duration_s)} ({s.duration_s:.1f} s)"),
        ("recorded", f"{s.recorded_s:.1f} s"),
        ("paused", f"{s.paused_s:.1f} s"),
        ("other gaps", f"{s.other_gaps_s:.1f} s"),
        ("counts", ", ".join(f"{k} {v}" for k, v in s.counts.items()) or "-"),
        ("path length", f"{s.path_px:,.0f} px" if s.moves_recorded else "mouse moves not recorded"),
        ("longest pause", f"{s.longest_pause_s:.1f} s ({s.idle_pauses} pauses of 2 s or more)"),
        ("median hold", _ms(s.median_hold_ms)),
        ("median key-to-key", _ms(s.median_down_down_ms)),
        ("median up-to-down", _ms(s.median_up_down_ms)),
        ("timing", _timing(s.timing)),
    ]
    for g in s.gaps:
        rows.append(("gap", f"{g.start_s:.1f}-{g.end_s:.1f} s: {g.words}"))
    for name, value in rows:
        print(f"  {name + ':':<19} {value}")
    for line in task_result_lines(tasks):
        print(f"  {line}")
    return 0
