"""Consent per purpose in the researcher's dataset (issue 22): the ``purposes`` column, ``open
--purpose``, ``features --purpose``, and purpose withdrawals (``lab withdraw`` and among bundles)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from share_helpers import participant_seed
from test_lab_open import N, Study, _count, _open, _sql

from tallylight.errors import BundleError
from tallylight.lab import removal
from tallylight.lab.main import main as lab_main
from tallylight.share import withdrawal_request

TRAIN = "model-training"
YES = {"analysis": True, TRAIN: True}
NO = {"analysis": True, TRAIN: False}


def _purpose_request(
    study: Study,
    folder: Path,
    participant: str,
    seed: bytes | None = None,
    declined: tuple[str, ...] = (TRAIN,),
) -> Path:
    doc = {
        "format": withdrawal_request.PURPOSE_REQUEST_FORMAT,
        "version": 1,
        "request_id": f"purpose-{participant}",
        "study_id": study.study_id,
        "participant_id": participant,
        "purposes_declined": list(declined),
        "purposes_allowed": [p for p in ("analysis", TRAIN) if p not in declined],
        "declined_at": "2099-01-01T00:00:00Z",  # after the bundles were made
    }
    sealed = withdrawal_request.seal(doc, seed or participant_seed(participant), list(study.ref.recipients))
    path = folder / f"purpose-{participant}{withdrawal_request.SUFFIX}"
    path.write_bytes(sealed)
    return path


def _purposes(out: Path) -> dict[str, list[str]]:
    rows = _sql(
        f"select participant, purposes from read_parquet('{out}/sessions/**/*.parquet', "
        "hive_partitioning=true, hive_types_autocast=false) order by participant"
    )
    return {p: sorted(ps) for p, ps in rows}


def _held(out: Path) -> int:
    """Rows of the events table (0 when it holds no file at all: DuckDB refuses an empty glob)."""
    return _count(out) if any((out / "events").rglob("*.parquet")) else 0


def _two(tmp_path: Path) -> tuple[Study, Path]:
    a = Study(tmp_path, "a")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    a.bundle(inbox, "p1", ["s1"], seed=1, purposes=YES)
    a.bundle(inbox, "p2", ["s2"], seed=2, purposes=NO)
    return a, inbox


def _withdraw(study: Study, request: Path, out: Path) -> int:
    return lab_main(["withdraw", str(request), "--identity", str(study.identity), "--dataset", str(out)])


def test_the_sessions_table_lists_each_participants_purposes_and_open_purpose_filters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, inbox = _two(tmp_path)
    every, train = tmp_path / "every", tmp_path / "train"
    assert _open(a, every, inbox) == 0
    assert _purposes(every) == {"p1": ["analysis", TRAIN], "p2": ["analysis"]}
    capsys.readouterr()
    assert _open(a, train, inbox, extra=("--purpose", TRAIN)) == 0
    text = capsys.readouterr().out
    assert "left out:" in text
    assert f"did not allow the purpose {TRAIN}" in text
    assert _count(train) == N
    assert _count(train, "participant = 'p2'") == 0
    # the dataset stays for that purpose: another purpose, or everything, goes elsewhere
    assert _open(a, train, inbox, extra=("--purpose", "analysis")) == 2
    assert _open(a, every, inbox, extra=("--purpose", TRAIN)) == 2
    assert "--purpose" not in capsys.readouterr().out


def test_features_purpose_keeps_only_the_sessions_allowed_for_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, inbox = _two(tmp_path)
    out = tmp_path / "every"
    assert _open(a, out, inbox) == 0
    capsys.readouterr()
    assert lab_main(["features", str(out), "--purpose", TRAIN, "--quiet"]) == 0
    assert "1 session(s) left out" in capsys.readouterr().out
    rows = _sql(
        f"select distinct participant from read_parquet('{out}/features/**/*.parquet', "
        "hive_partitioning=true, hive_types_autocast=false)"
    )
    assert rows == [("p1",)]


def _participants_in(out: Path, table: str) -> list[str]:
    if not any((out / table).rglob("*.parquet")):
        return []
    rows = _sql(
        f"select distinct participant from read_parquet('{out}/{table}/**/*.parquet', "
        "hive_partitioning=true, hive_types_autocast=false) order by participant"
    )
    return [r[0] for r in rows]


def test_features_purpose_leaves_no_features_of_other_sessions_computed_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Features computed for every purpose, then for one: the tables a model is trained on must
    not still hold the sessions whose participant said no (nor, after a purpose withdrawal, theirs)."""
    a, inbox = _two(tmp_path)
    out = tmp_path / "every"
    assert _open(a, out, inbox) == 0
    assert lab_main(["features", str(out), "--quiet"]) == 0
    assert _participants_in(out, "features") == ["p1", "p2"]
    assert lab_main(["features", str(out), "--purpose", TRAIN, "--quiet"]) == 0
    for table in ("features", "keystrokes", "digraphs", "writing", "trajectories"):
        assert _participants_in(out, table) in (["p1"], []), table
    assert _participants_in(out, "features") == ["p1"]
    # p1 then declines: the same command leaves nobody's features for that purpose
    assert _withdraw(a, _purpose_request(a, tmp_path, "p1"), out) == 0
    capsys.readouterr()
    assert lab_main(["features", str(out), "--purpose", TRAIN, "--quiet"]) == 0
    assert "features of other sessions computed before were removed" in capsys.readouterr().out
    for table in ("features", "keystrokes", "digraphs", "writing", "trajectories", "task_results"):
        assert _participants_in(out, table) == [], table
    # the dataset itself keeps everyone (the features are derived and computed again)
    assert _count(out, "participant = 'p1'") == N
    assert lab_main(["features", str(out), "--quiet"]) == 0
    assert _participants_in(out, "features") == ["p1", "p2"]


def test_a_purpose_withdrawal_updates_the_purposes_and_empties_a_dataset_for_that_purpose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, inbox = _two(tmp_path)
    every, train = tmp_path / "every", tmp_path / "train"
    assert _open(a, every, inbox) == 0
    assert _open(a, train, inbox, extra=("--purpose", TRAIN)) == 0
    request = _purpose_request(a, tmp_path, "p1")
    capsys.readouterr()
    assert _withdraw(a, request, every) == 0
    report = capsys.readouterr().out
    assert f"no longer allows {TRAIN}" in report
    assert "sessions whose purposes changed: s1" in report
    # which column says it now: the consent column keeps the bundle's consent as shared
    assert "the consent column keeps each bundle's consent as it was shared" in report
    (consent,) = _sql(
        f"select consent from read_parquet('{every}/sessions/**/*.parquet', hive_partitioning=true, "
        "hive_types_autocast=false) where participant = 'p1'"
    )
    assert json.loads(consent[0])["purposes"] == YES
    assert _purposes(every) == {"p1": ["analysis"], "p2": ["analysis"]}
    assert _count(every, "participant = 'p1'") == N  # they stay in the study
    assert not (every / "_withdrawn").exists()
    assert _withdraw(a, request, train) == 0
    assert "sessions removed: s1" in capsys.readouterr().out
    assert _held(train) == 0
    # their old bundle no longer comes back for that purpose, not even with --reopen
    assert _open(a, train, inbox, extra=("--reopen",)) == 0
    assert _held(train) == 0
    # and a plain dataset opened again keeps the purpose off their rows
    assert _open(a, every, inbox, extra=("--reopen",)) == 0
    assert _purposes(every) == {"p1": ["analysis"], "p2": ["analysis"]}
    remembered = json.loads((every / "_purposes" / "p1.json").read_text())
    assert remembered["declined"] == {TRAIN: "2099-01-01T00:00:00Z"}


@pytest.mark.parametrize("for_purpose", [False, True])
def test_a_purpose_withdrawal_declining_a_required_purpose_withdraws_the_participant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], for_purpose: bool
) -> None:
    """The app never sends one, but a participant's key can sign one: declining a required
    purpose is a withdrawal from the study (issue 22), so every row goes and a tombstone stays."""
    a, inbox = _two(tmp_path)
    out = tmp_path / "every"
    assert _open(a, out, inbox, extra=("--purpose", "analysis") if for_purpose else ()) == 0
    request = _purpose_request(a, tmp_path, "p1", declined=("analysis",))
    capsys.readouterr()
    assert _withdraw(a, request, out) == 0
    report = capsys.readouterr().out
    assert "declining a required purpose is a withdrawal from the study" in report
    assert "tombstone written" in report
    assert _count(out, "participant = 'p1'") == 0
    assert _count(out, "participant = 'p2'") == N
    tombstone = json.loads((out / "_withdrawn" / "p1.json").read_text())
    assert tombstone["required_purposes_declined"] == ["analysis"]
    # their bundles are refused from then on, also by --reopen
    assert _open(a, out, inbox, extra=("--reopen",)) == 9
    assert "participant p1 withdrew from the study" in capsys.readouterr().out
    assert _count(out, "participant = 'p1'") == 0


def test_a_required_purpose_declined_among_the_bundles_withdraws_the_participant(tmp_path: Path) -> None:
    a, inbox = _two(tmp_path)
    _purpose_request(a, inbox, "p1", declined=(TRAIN, "analysis"))
    out = tmp_path / "every"
    assert _open(a, out, inbox) == 0
    assert _purposes(out) == {"p2": ["analysis"]}
    assert (out / "_withdrawn" / "p1.json").is_file()


def test_a_purpose_withdrawal_naming_an_unknown_purpose_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, inbox = _two(tmp_path)
    out = tmp_path / "every"
    assert _open(a, out, inbox) == 0
    request = _purpose_request(a, tmp_path, "p1", declined=(TRAIN, "selling"))
    capsys.readouterr()
    assert _withdraw(a, request, out) == 0
    report = capsys.readouterr().out
    assert "not a purpose of any manifest of the study given so far: selling" in report
    assert _purposes(out)["p1"] == ["analysis"]


def test_a_purpose_withdrawal_needs_to_know_the_required_purposes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dataset opened without --manifest cannot tell a withdrawal from the study from a purpose
    withdrawal: it refuses in one sentence until the manifest is given, then applies it."""
    a, inbox = _two(tmp_path)
    out = tmp_path / "every"
    args = ["open", str(inbox), "--out", str(out), "--identity", str(a.identity), "--quiet"]
    assert lab_main(args) == 0
    request = _purpose_request(a, tmp_path, "p1", declined=("analysis",))
    capsys.readouterr()
    assert _withdraw(a, request, out) == 9
    assert "give the study's manifest with --manifest" in capsys.readouterr().out
    assert _count(out, "participant = 'p1'") == N
    withdraw = ["withdraw", str(request), "--identity", str(a.identity), "--dataset", str(out)]
    assert lab_main([*withdraw, "--manifest", str(a.manifest)]) == 0
    assert _count(out, "participant = 'p1'") == 0


def test_open_applies_purpose_withdrawals_found_among_the_bundles(tmp_path: Path) -> None:
    a, inbox = _two(tmp_path)
    _purpose_request(a, inbox, "p1")
    out = tmp_path / "every"
    assert _open(a, out, inbox) == 0
    assert _purposes(out) == {"p1": ["analysis"], "p2": ["analysis"]}


def test_a_purpose_withdrawal_signed_by_another_key_is_refused(tmp_path: Path) -> None:
    a, inbox = _two(tmp_path)
    out = tmp_path / "every"
    assert _open(a, out, inbox) == 0
    forged = _purpose_request(a, tmp_path, "p1", seed=b"\x66" * 32)
    assert _withdraw(a, forged, out) == 9
    assert _purposes(out)["p1"] == ["analysis", TRAIN]


def test_a_purpose_withdrawal_never_removes_the_participant(tmp_path: Path) -> None:
    a, _inbox = _two(tmp_path)
    request = withdrawal_request.open_request(
        _purpose_request(a, tmp_path, "p1").read_bytes(),
        __import__("tallylight.share.agecrypt", fromlist=["x"]).identities_from_text(a.identity.read_text()),
    )
    assert request.is_purpose_withdrawal
    assert request.purposes_declined == (TRAIN,)
    with pytest.raises(BundleError, match="purpose withdrawal"):
        removal.remove_participant(tmp_path, request)


@pytest.mark.parametrize(
    "change",
    [
        {"purposes_declined": []},
        {"purposes_declined": "model-training"},
        {"purposes_declined": [1]},
        {"declined_at": None},
    ],
)
def test_a_malformed_purpose_withdrawal_is_refused(tmp_path: Path, change: dict[str, object]) -> None:
    seed = participant_seed("p1")
    doc = {
        "format": withdrawal_request.PURPOSE_REQUEST_FORMAT,
        "version": 1,
        "request_id": "r",
        "study_id": "s",
        "participant_id": "p1",
        "purposes_declined": [TRAIN],
        "declined_at": "2026-12-01T00:00:00Z",
        **change,
    }
    with pytest.raises(BundleError, match="malformed"):
        withdrawal_request.open_envelope(withdrawal_request.envelope(doc, seed))


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=8,
)


@given(
    st.fixed_dictionaries(
        {"format": st.sampled_from(withdrawal_request.FORMATS)},
        optional={
            "request_id": st.text(max_size=8) | _json_values,
            "study_id": st.text(max_size=8),
            "participant_id": st.text(max_size=8) | _json_values,
            "purposes_declined": st.lists(st.text(max_size=70), max_size=3) | _json_values,
            "declined_at": st.text(max_size=20) | _json_values,
        },
    )
)
def test_any_signed_request_document_opens_or_is_refused_in_one_sentence(doc: dict[str, object]) -> None:
    """What a stranger can sign with a key of their own: a verified request, or one BundleError."""
    try:
        request = withdrawal_request.open_envelope(withdrawal_request.envelope(doc, participant_seed("x")))
    except BundleError as exc:
        assert "\n" not in str(exc)  # noqa: PT017
        return
    assert request.participant_id == doc["participant_id"]
    if request.is_purpose_withdrawal:
        assert request.purposes_declined
        assert all(isinstance(p, str) and 0 < len(p) <= 64 for p in request.purposes_declined)


@pytest.mark.parametrize("purposes", [{TRAIN: "yes"}, {"": True}, {"x" * 65: True}])
def test_a_bundle_with_malformed_purposes_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], purposes: dict[str, object]
) -> None:
    a = Study(tmp_path, "a")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    a.bundle(inbox, "p1", ["s1"], purposes=purposes)  # type: ignore[arg-type]
    assert _open(a, tmp_path / "every", inbox) == 9
    assert "malformed value" in capsys.readouterr().out


def test_features_purpose_on_a_dataset_without_purposes_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyarrow.parquet as pq

    a, inbox = _two(tmp_path)
    out = tmp_path / "every"
    assert _open(a, out, inbox) == 0
    for path in (out / "sessions").rglob("*.parquet"):  # as an older Tallylight wrote it
        pq.write_table(pq.read_table(path).drop_columns(["purposes"]), path)
    assert lab_main(["features", str(out), "--purpose", TRAIN, "--quiet"]) == 2
    assert "--reopen" in capsys.readouterr().err


def test_manifest_verify_lists_the_purposes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = Study(tmp_path, "a")
    assert lab_main(["manifest", "verify", str(a.manifest)]) == 0
    assert "Purposes participants say yes or no to: analysis (required)" in capsys.readouterr().out


def test_a_bundle_allowing_a_purpose_its_manifest_never_asked_about_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A changed or forged consent record cannot hand data to a use nobody was asked about."""
    a = Study(tmp_path, "a")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    a.bundle(inbox, "p1", ["s1"], seed=1, purposes=YES)
    a.bundle(inbox, "p2", ["s2"], seed=2, purposes={"analysis": True, "third-party": True})
    out = tmp_path / "every"
    capsys.readouterr()
    assert _open(a, out, inbox) == 9
    text = capsys.readouterr().out
    assert "third-party, which its manifest never asked the participant about" in text
    assert _purposes(out) == {"p1": ["analysis", TRAIN]}
    assert _count(out, "participant = 'p2'") == 0


def test_open_purpose_names_the_manifests_purposes_for_an_unknown_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typing mistake must not leave a folder marked for a purpose nobody was asked about."""
    a, inbox = _two(tmp_path)
    out = tmp_path / "train"
    capsys.readouterr()
    assert _open(a, out, inbox, extra=("--purpose", "model-trainin")) == 2
    err = capsys.readouterr().err
    assert "No manifest given asks participants about the purpose 'model-trainin'" in err
    assert f"analysis, {TRAIN}" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_features_purpose_refuses_an_id_nobody_was_asked_about_and_keeps_the_features(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typing mistake in --purpose would leave every session out and drop all their features."""
    a, inbox = _two(tmp_path)
    out = tmp_path / "every"
    assert _open(a, out, inbox) == 0
    assert lab_main(["features", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert lab_main(["features", str(out), "--purpose", "model-trainin", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "No participant in" in err
    assert f"was asked about the purpose 'model-trainin' (the purposes asked: analysis, {TRAIN})" in err
    assert _participants_in(out, "features") == ["p1", "p2"]


_ids = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True), max_size=5, unique=True)


@given(manifests=st.dictionaries(st.from_regex(r"[0-9a-f]{8}", fullmatch=True), _ids, max_size=4))
def test_the_studies_ledger_round_trips_what_open_remembers(
    tmp_path_factory: pytest.TempPathFactory, manifests: dict[str, list[str]]
) -> None:
    from tallylight.lab import ledger

    out = tmp_path_factory.mktemp("ds")
    for h, ids in manifests.items():
        ledger.add_manifest_purposes(out, "s1", h, ids, ids[:1])
    got = ledger.manifest_purposes(out, "s1")
    assert got == {h: (frozenset(ids), frozenset(ids[:1])) for h, ids in manifests.items()}


@given(
    data=st.binary(max_size=300)
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=12,
    ).map(lambda v: json.dumps({"manifests": v}).encode())
)
def test_any_studies_ledger_file_reads_as_a_mapping_or_nothing(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    from tallylight.lab import ledger

    out = tmp_path_factory.mktemp("ds")
    (out / ledger.STUDIES).mkdir()
    (out / ledger.STUDIES / "s1.json").write_bytes(data)
    got = ledger.manifest_purposes(out, "s1")  # a damaged file is no required purpose, never a crash
    for h, (ids, required) in got.items():
        assert isinstance(h, str)
        assert all(isinstance(i, str) for i in ids | required)
