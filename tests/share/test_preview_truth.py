"""The preview tells the whole truth: every item bundle.json holds is named in it, and nothing in a
bundle comes from the time since boot (the monotonic clock's origin)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from share_helpers import fixed_rng, identity, inputs, sample_events
from store_helpers import timing_record

from tallylight import events as ev
from tallylight.errors import BundleError
from tallylight.share import bundle, contents
from tallylight.share.preview import destination_words, preview_lines


def _rich_doc() -> dict:
    """A bundle using every optional part: timing record, tasks and notes, screens, gaps, a time zone."""
    marks = [
        ev.marker(1_500_000, ev.Marker.TASK_START, 1),
        ev.marker(2_000_000, ev.Marker.NOTE, 1),
        ev.marker(2_600_000, ev.Marker.TASK_END, 1),
    ]
    evs = sorted([*sample_events(), *marks], key=lambda e: e.t_ns)
    inp = inputs([str(identity().to_public())], sessions=(("s1", evs),))
    part = dataclasses.replace(
        inp.sessions[0],
        timing={**timing_record(), "session_clock_origin_ns": 123_000_000},  # as older recorders wrote
        info=dataclasses.replace(
            inp.sessions[0].info, extra={"time_zone": {"name": "CET", "utc_offset_minutes": 60}}
        ),
    )
    env = {
        "observed": "when the bundle was made",
        "os": {"system": "Linux", "release": "6.1", "machine": "x86_64"},
        "screens": [
            {
                "x_px": 0,
                "y_px": 0,
                "width_px": 1280,
                "height_px": 800,
                "dpi": 96.0,
                "width_mm": 338,
                "height_mm": 211,
            }
        ],
        "keyboard_layout": "de(nodeadkeys)",
    }
    study = dataclasses.replace(inp.study, tasks=("copy-text", "click-targets"))
    inp = dataclasses.replace(inp, sessions=[part], environment=env, study=study)
    return bundle.build(inp, rng=fixed_rng, clock=lambda: 1_800_000_000_000_000_000).doc


def test_every_item_bundle_json_holds_is_named_in_the_preview() -> None:
    doc = _rich_doc()
    text = "\n".join(preview_lines(doc, destination_words("b.age", None)))
    written = list(contents.paths(doc))
    assert "sessions[].timing_quality.delivery_lag_p99_us" in written
    assert "environment.screens[].dpi" in written
    for path in written:
        group, words = contents.FIELDS[path]
        assert f"  {group}: " in text, path
        assert words in text, path
    # the real file, not only the document: every key of the bundle.json that is written
    assert set(contents.paths(json.loads(json.dumps(doc)))) == set(written)


def test_an_item_the_preview_does_not_name_is_never_written(monkeypatch: pytest.MonkeyPatch) -> None:
    real = bundle.session_entry
    monkeypatch.setattr(bundle, "session_entry", lambda *a: {**real(*a), "boot_time_ns": 1})
    with pytest.raises(BundleError, match="boot_time_ns"):
        bundle.build(inputs([str(identity().to_public())]), rng=fixed_rng)


def test_nothing_in_a_bundle_comes_from_the_time_since_boot() -> None:
    doc = _rich_doc()
    assert "session_clock_origin_ns" not in timing_record()  # the recorder no longer writes it
    body = json.dumps(doc)
    assert "origin" not in body
    assert "123000000" not in body
    assert not any("boot" in p or "monotonic" in p for p in contents.paths(doc))


def test_the_time_zone_is_shown_when_it_is_sent() -> None:
    doc = _rich_doc()
    assert doc["sessions"][0]["time_zone"] == {"name": "CET", "utc_offset_minutes": 60}
    text = "\n".join(preview_lines(doc, "nowhere yet"))
    assert "time zone CET, UTC+01:00" in text


def test_a_marker_only_session_is_described_too() -> None:
    inp = inputs([str(identity().to_public())], sessions=(("s1", [ev.marker(0, ev.Marker.SESSION_START)]),))
    doc = bundle.build(inp, rng=fixed_rng).doc
    contents.check(doc)
