"""Manifests: valid, unsigned, wrongly signed, tampered, expired, malformed, absurd, huge, nested."""

from __future__ import annotations

import datetime as dt

import pytest
from study_helpers import OTHER, RECIPIENT, RESEARCHER, STUDY_ID, TODAY, body, edit, signed

from tallylight.errors import ManifestError, TallylightError
from tallylight.options import KeyMode
from tallylight.study import manifest, signing, template


def test_the_template_signs_and_parses_as_is() -> None:
    loaded = manifest.load(signed(), TODAY)
    m = loaded.manifest
    assert m.study_id == STUDY_ID
    assert m.version == 1
    assert m.schema == 1
    assert str(m.title) == "Typing rhythm and fatigue"
    assert m.recipients == (RECIPIENT,)
    assert m.upload_url is None
    assert m.capture.keys is KeyMode.CLASS
    assert m.capture.mouse_moves
    assert [t.id for t in m.tasks] == ["copy-text"]
    assert m.required_checkboxes == ("read", "agree")
    assert m.sessions.max_sessions == 20
    assert m.sessions.idle_stop_minutes == 10
    assert m.researcher.contact == "jane.example@example.edu"
    assert m.ethics.approval_expires == TODAY + dt.timedelta(days=90)
    assert len(loaded.fingerprint) == 19
    assert loaded.fingerprint.count("-") == 3
    assert loaded.hash == signing.body_hash(signing.split(signed()).body)


def test_the_hash_is_stable_and_covers_every_byte() -> None:
    a = manifest.load(signed(), TODAY)
    assert manifest.load(signed(signed()), TODAY).hash == a.hash  # re-signing the same body
    b = manifest.load(edit(signed(), "Dr. Jane Example", "Dr. Jane Exampel"), TODAY)
    assert b.hash != a.hash


@pytest.mark.parametrize("mode", list(KeyMode))
def test_every_key_mode_parses_to_the_capture_options(mode: KeyMode) -> None:
    m = manifest.load(edit(signed(), 'keys = "class"', f'keys = "{mode.label}"'), TODAY).manifest
    assert m.capture.keys is mode


@pytest.mark.parametrize("spelling", ["Class", " class", "everything"])
def test_a_key_mode_is_spelled_exactly(spelling: str) -> None:
    with pytest.raises(ManifestError, match=r"capture\.keys"):
        manifest.load(edit(signed(), 'keys = "class"', f'keys = "{spelling}"'), TODAY)


def test_upload_url_and_languages() -> None:
    raw = edit(
        signed(),
        '# upload_url = "https://files.example.edu/s/abc123"',
        'upload_url = "https://files.example.edu/s/abc123"',
    )
    raw = edit(raw, 'title = "Typing rhythm and fatigue"', 'title = { en = "Typing", de = "Tippen" }')
    m = manifest.load(raw, TODAY).manifest
    assert m.upload_url == "https://files.example.edu/s/abc123"
    assert m.title.get("de") == "Tippen"
    assert m.title.get("de-AT") == "Tippen"
    assert m.title.get("fr") == "Typing"


def test_unsigned_is_refused() -> None:
    with pytest.raises(ManifestError, match="not signed") as err:
        manifest.load(body(), TODAY)
    assert err.value.field == "signature"


def test_signed_by_another_key_is_valid_but_has_another_fingerprint() -> None:
    a = manifest.load(signed(), TODAY)
    b = manifest.load(signed(key=OTHER), TODAY)
    assert a.fingerprint != b.fingerprint
    assert a.hash == b.hash


def test_wrong_signature_is_refused() -> None:
    raw = signed()
    good, _, line = raw.rstrip(b"\n").rpartition(b"\n")
    other_line = signed(key=OTHER).rstrip(b"\n").rpartition(b"\n")[2]
    # another key's signature, with the first key's public key: does not verify
    parts = line.split()
    mixed = b" ".join([*parts[:3], parts[3], other_line.split()[4]])
    with pytest.raises(ManifestError, match="does not match"):
        manifest.load(good + b"\n" + mixed + b"\n", TODAY)


@pytest.mark.parametrize("position", [0, 100, 500, 1500, -200])
def test_one_changed_byte_anywhere_in_the_body_is_refused(position: int) -> None:
    raw = bytearray(signed())
    body_len = len(signing.split(bytes(raw)).body)
    i = position % body_len
    raw[i] ^= 0x01
    with pytest.raises(TallylightError):
        manifest.load(bytes(raw), TODAY)


def test_every_single_byte_flip_is_refused() -> None:
    raw = signed()
    for i in range(0, len(raw), 7):
        flipped = bytearray(raw)
        flipped[i] ^= 0x20
        if bytes(flipped) == raw:
            continue
        try:
            manifest.load(bytes(flipped), TODAY)
        except TallylightError:
            continue
        # flipping the case of a letter in the trailer prefix makes it an (ignored) comment:
        # the file is then unsigned, which is refused too; nothing else may pass
        raise AssertionError(f"flip at {i} accepted")


def test_text_after_the_signature_is_refused() -> None:
    with pytest.raises(ManifestError, match="very last line") as err:
        manifest.load(signed() + b"[extra]\n", TODAY)
    assert err.value.field == "signature"


def test_expired_approval_and_ended_study_are_refused() -> None:
    m = manifest.load(signed(), TODAY).manifest
    later = TODAY + dt.timedelta(days=91)
    with pytest.raises(ManifestError, match="approval expired") as err:
        manifest.load(signed(), later)
    assert err.value.field == "ethics.approval_expires"
    raw = edit(
        signed(), f"approval_expires = {m.end}", f"approval_expires = {m.end + dt.timedelta(days=400)}"
    )
    with pytest.raises(ManifestError, match="ended") as err:
        manifest.load(raw, later)
    assert err.value.field == "study.end"
    with pytest.raises(ManifestError, match="starts on"):
        manifest.check_running(m, TODAY - dt.timedelta(days=1))
    manifest.check_running(m, TODAY)


def test_unknown_schema_version() -> None:
    with pytest.raises(ManifestError, match="schema version 2") as err:
        manifest.load(edit(signed(), "schema = 1", "schema = 2"), TODAY)
    assert err.value.field == "schema"


# every field that must be present, with the text that holds it in the template
REQUIRED = {
    "schema": "schema = 1\n",
    "study.id": f'id = "{STUDY_ID}"',
    "study.version": "version = 1 ",
    "study.title": 'title = "Typing rhythm and fatigue"',
    "study.summary": 'summary = "How typing',
    "researcher.principal_investigator": "principal_investigator =",
    "researcher.institution": "institution =",
    "researcher.contact": "contact =",
    "ethics.board": "board =",
    "ethics.protocol": "protocol =",
    "capture.keys": 'keys = "class"',
    "capture.mouse_moves": "mouse_moves = true",
    "capture.clicks": "clicks = true",
    "capture.scrolls": "scrolls = true",
    "sessions.max_sessions": "max_sessions = 20",
    "sessions.idle_stop_minutes": "idle_stop_minutes = 10",
    "tasks[0].instructions": "instructions =",
    "data.retention": "retention =",
    "data.recipients": "recipients =",
    "withdrawal.procedure": "procedure =",
    "risks.compensation": "compensation =",
    "consent.checkboxes[0].required": "required = true",
}


@pytest.mark.parametrize("field", sorted(REQUIRED))
def test_a_missing_field_is_named(field: str) -> None:
    needle = REQUIRED[field]
    raw = edit(
        signed(), needle, "# (removed) " + needle.replace("\n", "") + ("\n" if needle.endswith("\n") else "")
    )
    with pytest.raises(ManifestError) as err:
        manifest.load(raw, TODAY)
    assert err.value.field == field, str(err.value)
    assert field in str(err.value)


MALFORMED = [
    ("study.id", f'id = "{STUDY_ID}"', 'id = "not-a-uuid"'),
    ("study.id", f'id = "{STUDY_ID}"', f'id = "{STUDY_ID.upper()}"'),
    ("study.version", "version = 1 ", "version = 0 "),
    ("study.version", "version = 1 ", 'version = "one" '),
    ("study.title", 'title = "Typing rhythm and fatigue"', 'title = ""'),
    ("study.title", 'title = "Typing rhythm and fatigue"', f'title = "{"x" * 201}"'),
    ("study.title", 'title = "Typing rhythm and fatigue"', "title = 5"),
    ("study.title.english", 'title = "Typing rhythm and fatigue"', 'title = { english = "x" }'),
    ("study.title", 'title = "Typing rhythm and fatigue"', "title = {}"),
    ("study.start", "start = 2026-11-29", 'start = "yesterday"'),
    ("study.start", "start = 2026-11-29", "start = 2026-11-29T10:00:00"),
    ("study.start", "start = 2026-11-29", "start = 1066-10-14"),
    ("study.end", "end = 2027-02-27 ", "end = 2026-01-01 "),
    ("study.titel", "[researcher]", 'titel = "typo"\n[researcher]'),
    ("capture.keys", 'keys = "class"', 'keys = "everything"'),
    ("capture.mouse_moves", "mouse_moves = true", 'mouse_moves = "yes"'),
    ("capture.move_min_interval_ms", "move_min_interval_ms = 0", "move_min_interval_ms = -1"),
    ("capture.move_min_interval_ms", "move_min_interval_ms = 0", "move_min_interval_ms = nan"),
    ("capture.move_min_distance_px", "move_min_distance_px = 0", "move_min_distance_px = 1e300"),
    ("capture.not_collected[0]", "not_collected = [", "not_collected = [ 5,"),
    ("sessions.max_duration_minutes", "max_duration_minutes = 60", "max_duration_minutes = 1e9"),
    ("sessions.max_sessions", "max_sessions = 20", "max_sessions = -5"),
    ("sessions.max_sessions", "max_sessions = 20", "max_sessions = 2.5"),
    ("tasks[0].id", 'id = "copy-text"', 'id = "Copy Text!"'),
    ("tasks[1].id", "[data]", '[[tasks]]\nid = "copy-text"\ntitle = "x"\ninstructions = "y"\n\n[data]'),
    ("data.recipients", f'["{RECIPIENT}"]', "[]"),
    ("data.recipients[0]", RECIPIENT, "age1notakey"),
    ("data.recipients[0]", RECIPIENT, "ssh-ed25519 AAAA"),
    ("data.recipients", f'["{RECIPIENT}"]', f'["{RECIPIENT}", "{RECIPIENT}"]'),
    ("data.upload_url", "# upload_url", 'upload_url = "http://files.example.edu/x"\n# upload_url'),
    ("data.upload_url", "# upload_url", 'upload_url = "ftp://x"\n# upload_url'),
    ("data.upload_url", "# upload_url", 'upload_url = "https://[::1"\n# upload_url'),
    (
        "consent.checkboxes",
        'required = true\n\n[[consent.checkboxes]]\nid = "agree"',
        'required = false\n\n[[consent.checkboxes]]\nid = "agree"',
    ),
    ("consent.text", 'text = """\n## Consent', 'text = """\n\\u0001## Consent'),
    ("file", "schema = 1", "schema = = 1"),
]


@pytest.mark.parametrize(("field", "old", "new"), MALFORMED)
def test_a_malformed_field_is_named(field: str, old: str, new: str) -> None:
    raw = body().decode()
    if field == "consent.checkboxes":  # both required boxes made optional
        raw = raw.replace("required = true", "required = false")
    else:
        assert old in raw, old
        raw = raw.replace(old, new, 1)
    with pytest.raises(ManifestError) as err:
        manifest.load(signed(raw.encode()), TODAY)
    assert err.value.field == field, str(err.value)
    assert "\n" not in str(err.value).strip() or field == "file"


def test_plain_http_to_loopback_is_allowed() -> None:
    raw = edit(signed(), "# upload_url", 'upload_url = "http://127.0.0.1:8080/u"\n# upload_url')
    assert manifest.load(raw, TODAY).manifest.upload_url == "http://127.0.0.1:8080/u"


def test_a_huge_file_is_refused_before_parsing() -> None:
    raw = signed() + b"#" * (100 * 1024 * 1024)
    with pytest.raises(ManifestError, match="at most") as err:
        manifest.load(raw, TODAY)
    assert err.value.field == "file"


@pytest.mark.parametrize("nest", ["[" * 50_000, "{a=" * 50_000, "[" * 20 + "1" + "]" * 20])
def test_deeply_nested_files_are_refused(nest: str) -> None:
    raw = body().decode().replace("schema = 1", f"schema = 1\nx = {nest}", 1).encode()
    with pytest.raises(ManifestError) as err:
        manifest.load(signed(raw), TODAY)
    assert err.value.field == "file"


def test_not_utf8_is_refused() -> None:
    with pytest.raises(ManifestError, match="UTF-8"):
        manifest.load(signed(body() + b"# \xff\xfe\n"), TODAY)


def test_damaged_signature_lines() -> None:
    raw = signed()
    head, _, line = raw.rstrip(b"\n").rpartition(b"\n")
    for bad in (
        b"# tallylight-signature: ed25519 abc",
        b"# tallylight-signature: rsa " + line.split()[3] + b" " + line.split()[4],
        b"# tallylight-signature: ed25519 !!!! " + line.split()[4],
        b"# tallylight-signature: ed25519 AAAA " + line.split()[4],
    ):
        with pytest.raises(ManifestError) as err:
            manifest.load(head + b"\n" + bad + b"\n", TODAY)
        assert err.value.field == "signature"
    with pytest.raises(ManifestError, match="more than one"):
        manifest.load(head + b"\n" + line + b"\n" + line + b"\n", TODAY)


def test_template_recipient_placeholder_is_a_clear_error() -> None:
    raw = template.render(today=TODAY).encode()
    with pytest.raises(ManifestError) as err:
        manifest.parse(raw)
    assert err.value.field == "data.recipients[0]"


def test_task_numbers() -> None:
    m = manifest.load(signed(), TODAY).manifest
    assert m.task_number("copy-text") == 1
    with pytest.raises(ManifestError, match="no task"):
        m.task("nope")


def test_the_full_example_in_docs_study_md_signs_and_parses() -> None:
    """docs/STUDY.md's example is a manifest a researcher can copy, fill in and sign."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "STUDY.md").read_text("utf-8")
    block = doc.split("## A full example", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    body = "".join(line for line in block.splitlines(keepends=True) if "tallylight-signature" not in line)
    loaded = manifest.load(signing.sign(body.encode(), RESEARCHER), dt.date(2026, 12, 1))
    m = loaded.manifest
    assert [t.id for t in m.tasks] == ["copy-text", "free-writing"]
    assert m.title.get("de") == "Tipprhythmus und Ermüdung"
    assert m.upload_url
    assert m.capture.move_min_interval_ms == 10
    assert m.capture.scrolls is False
    # every field of the table in the docs is in the example, and every field the parser knows is documented
    for field in (
        "schema",
        "study.id",
        "ethics.approval_expires",
        "capture.not_collected",
        "data.recipients",
        "data.upload_url",
        "consent.checkboxes[i].required",
        "sessions.idle_stop_minutes",
    ):
        assert f"`{field}`" in doc, field


@pytest.mark.parametrize(
    ("field", "old", "new"),
    [
        # terminal control (ESC, CR, a C1 CSI and NEL), then bidi embedding, override and isolate
        ("study.title", 'title = "Typing rhythm and fatigue"', 'title = "Typing \\u001b[2J rhythm"'),
        ("study.title", 'title = "Typing rhythm and fatigue"', 'title = "Typing\\rPAID STUDY"'),
        ("study.title", 'title = "Typing rhythm and fatigue"', 'title = "Typing \\u009b31m rhythm"'),
        ("study.title", 'title = "Typing rhythm and fatigue"', 'title = "Typing \\u0085 rhythm"'),
        ("study.title", 'title = "Typing rhythm and fatigue"', 'title = "Typing \\u202e mhtyhr"'),
        ("study.title", 'title = "Typing rhythm and fatigue"', 'title = "Typing \\u202a rhythm"'),
        ("study.title", 'title = "Typing rhythm and fatigue"', 'title = "Typing \\u2067 rhythm"'),
        ("tasks[0].title", 'title = "Copy a paragraph"', 'title = "Copy \\u007f a paragraph"'),
    ],
)
def test_control_and_bidi_characters_in_text_are_refused_with_the_field(
    field: str, old: str, new: str
) -> None:
    raw = body().decode()
    assert old in raw, old
    with pytest.raises(ManifestError) as err:
        manifest.load(signed(raw.replace(old, new, 1).encode()), TODAY)
    assert err.value.field == field, str(err.value)
    assert "control or text-direction character" in str(err.value)


def test_newline_tab_and_right_to_left_text_stay_allowed() -> None:
    hebrew = "\\u05e7\\u05e6\\u05d1\\t\\u05d4\\n\\u05d8"  # TOML escapes: Hebrew letters, a tab, a newline
    raw = body().decode().replace('title = "Typing rhythm and fatigue"', f'title = "{hebrew}"', 1)
    title = str(manifest.load(signed(raw.encode()), TODAY).manifest.title)
    assert title == "\u05e7\u05e6\u05d1\t\u05d4\n\u05d8"


@pytest.mark.parametrize(
    ("field", "old", "new"),
    [
        ("tasks[0].id", 'id = "copy-text"', 'id = "copy-text\\n"'),
        ("study.title.en\n", 'title = "Typing rhythm and fatigue"', 'title = { "en\\n" = "Typing" }'),
    ],
)
def test_a_pattern_is_matched_in_full_not_before_a_final_newline(field: str, old: str, new: str) -> None:
    raw = body().decode()
    assert old in raw, old
    with pytest.raises(ManifestError) as err:
        manifest.load(signed(raw.replace(old, new, 1).encode()), TODAY)
    assert err.value.field == field, str(err.value)
