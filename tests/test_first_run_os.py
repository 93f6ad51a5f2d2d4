"""The macOS Input Monitoring flow and the Windows hook watchdog, with the OS faked at one seam."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tallylight.capture.permission import REFUSAL, Grant, InputAccess, PermissionFlow
from tallylight.capture.watchdog import HookWatchdog, InputClock, check_clock


@dataclass
class FakeMac(InputAccess):
    granted: bool = False
    calls: list[str] = field(default_factory=list)

    def preflight(self) -> bool:
        self.calls.append("preflight")
        return self.granted

    def request(self) -> bool:
        self.calls.append("request")
        return self.granted

    def open_settings(self) -> None:
        self.calls.append("open")


def test_missing_grant_is_found_at_start_and_blocks_a_session() -> None:
    mac = FakeMac(granted=False)
    flow = PermissionFlow(mac)
    assert flow.check() == Grant.MISSING
    assert flow.may_start() == REFUSAL
    assert "Input Monitoring" in REFUSAL


def test_opening_settings_asks_once_then_rechecks_on_return() -> None:
    mac = FakeMac(granted=False)
    flow = PermissionFlow(mac)
    flow.check()
    flow.open_settings()
    flow.open_settings()
    assert mac.calls == ["preflight", "request", "open", "open"]  # the request only once
    mac.granted = True  # the participant switched it on and came back
    assert flow.check() == Grant.GRANTED
    assert flow.may_start() == ""


def test_a_revoked_grant_is_noticed_at_the_next_check() -> None:
    mac = FakeMac(granted=True)
    flow = PermissionFlow(mac)
    assert flow.check() == Grant.GRANTED
    mac.granted = False
    assert flow.may_start() == REFUSAL


class FakeTicks(InputClock):
    def __init__(self) -> None:
        self.now = 10_000
        self.last_input = 10_000

    def now_ms(self) -> int:
        return self.now

    def last_input_ms(self) -> int:
        return self.last_input


def make_watchdog() -> tuple[HookWatchdog, FakeTicks, list[str], list[int]]:
    clock = FakeTicks()
    restarts: list[str] = []
    gaps: list[int] = []
    dog = HookWatchdog(clock, restart=lambda: restarts.append("restart"), write_gap=gaps.append)
    return dog, clock, restarts, gaps


def test_a_silent_hook_while_input_goes_on_is_restarted_with_a_gap() -> None:
    dog, clock, restarts, gaps = make_watchdog()
    dog.heard()
    assert not dog.tick()  # the hook was heard at 10 000 ms
    clock.now, clock.last_input = 13_000, 12_900  # input went on; the hook heard nothing for 3 s
    assert dog.tick()
    assert restarts == ["restart"]
    assert gaps == [10_000]


def test_no_input_at_all_is_not_a_removed_hook() -> None:
    dog, clock, restarts, gaps = make_watchdog()
    dog.heard()
    dog.tick()
    clock.now = 60_000  # a minute without any input anywhere: the participant is away
    assert not dog.tick()
    assert restarts == [] and gaps == []  # noqa: PT018 - both stay empty


def test_a_working_hook_is_left_alone() -> None:
    dog, clock, restarts, _ = make_watchdog()
    for step in range(1, 20):
        clock.now = clock.last_input = 10_000 + step * 500
        dog.heard()
        assert not dog.tick()
    assert restarts == []


def test_the_tick_count_wrapping_around_is_still_a_removed_hook() -> None:
    """GetTickCount is 32 bits: it wraps after 49.7 days of uptime."""
    dog, clock, restarts, gaps = make_watchdog()
    clock.now = clock.last_input = 2**32 - 1_000
    dog.heard()
    dog.tick()
    clock.now, clock.last_input = 2_500, 2_400  # 3.5 s later, past the wrap
    assert dog.tick()
    assert gaps == [2**32 - 1_000] and restarts == ["restart"]  # noqa: PT018 - one event


def test_the_self_test_step_reads_the_clock_where_there_is_one() -> None:
    assert "not needed" in check_clock(None)
    clock = FakeTicks()
    clock.now, clock.last_input = 10_250, 10_000
    assert check_clock(clock) == "GetLastInputInfo answers (last input 250 ms ago)"
    clock.last_input = 11_000  # input "after now": the two calls disagree
    with pytest.raises(OSError, match="after now"):
        check_clock(clock)
