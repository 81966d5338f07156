"""Results kept beside the fits: read back equal, keyed by what they depend on, never lost or trusted damaged."""

import json

import numpy as np
import pandas as pd
import pytest

from sigah import machine
from sigah.stored_results import Provenance, computed_or_stored, provenance_phrase, result_key

MODULES = ["sigah.cs.measurements"]


def _frame():
    return pd.DataFrame({"method": ["itq", "sigah", "sgh"], "n": np.array([10, 20, 40], np.int64),
                         "fit_seconds": [0.5, np.nan, 2.25], "ok": [True, False, True]})


def _counted(value):
    calls = []

    def compute():
        calls.append(1)
        return value
    return compute, calls


def test_a_frame_is_computed_once_then_read_back_equal(tmp_path):
    compute, calls = _counted(_frame())
    first, made = computed_or_stored("timing", {"n": [10, 20, 40]}, compute, modules=MODULES, store=tmp_path)
    again, read = computed_or_stored("timing", {"n": [10, 20, 40]}, compute, modules=MODULES, store=tmp_path)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(again, _frame())
    assert first is not again and not made.from_store and read.from_store
    assert read.cpu == machine.cpu_model() and read.created == made.created
    assert read.seconds == pytest.approx(made.seconds)


def test_a_mapping_of_arrays_keeps_dtypes_and_shapes(tmp_path):
    value = {"rates": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.int64(7), "label": "bp"}
    computed_or_stored("grid", {}, lambda: value, modules=MODULES, store=tmp_path)
    back, provenance = computed_or_stored("grid", {}, lambda: 1 / 0, modules=MODULES, store=tmp_path)
    assert provenance.from_store
    assert back["rates"].dtype == np.float32 and back["rates"].shape == (2, 3)
    np.testing.assert_array_equal(back["rates"], value["rates"])
    assert back["n"] == 7 and back["label"] == "bp"


def test_the_key_names_inputs_array_contents_and_code():
    X = np.ones((3, 2), np.float32)
    key = result_key("r", {"X": X, "k": 1}, MODULES)[0]
    assert key == result_key("r", {"k": 1, "X": X.copy()}, MODULES)[0]  # order and identity do not matter
    assert key != result_key("r", {"X": X, "k": 2}, MODULES)[0]
    changed = X.copy()
    changed[0, 0] = 2
    assert key != result_key("r", {"X": changed, "k": 1}, MODULES)[0]
    assert key != result_key("other", {"X": X, "k": 1}, MODULES)[0]
    assert key != result_key("r", {"X": X, "k": 1}, ["sigah.cs.l1"])[0]
    parts = result_key("r", {"k": 1}, MODULES)[1]
    assert set(parts["source"]) == set(MODULES) and parts["versions"] == machine.library_versions()
    with pytest.raises(ValueError, match="needs the modules"):
        result_key("r", {}, [])


def test_reuse_false_and_no_store_compute_again(tmp_path):
    compute, calls = _counted({"x": 1})
    computed_or_stored("r", {}, compute, modules=MODULES, store=tmp_path)
    _, provenance = computed_or_stored("r", {}, compute, modules=MODULES, store=tmp_path, reuse=False)
    computed_or_stored("r", {}, compute, modules=MODULES, store=None)
    computed_or_stored("r", {}, compute, modules=MODULES, store=None)
    assert len(calls) == 4 and not provenance.from_store


def test_a_damaged_result_is_computed_again(tmp_path):
    computed_or_stored("r", {}, lambda: {"x": 1}, modules=MODULES, store=tmp_path)
    (path,) = tmp_path.rglob("*.json")
    body = json.loads(path.read_text())
    body["body"]["result"]["values"]["x"] = 2  # an edit the checksum does not match
    path.write_text(json.dumps(body))
    value, provenance = computed_or_stored("r", {}, lambda: {"x": 3}, modules=MODULES, store=tmp_path)
    assert value == {"x": 3} and not provenance.from_store


@pytest.mark.parametrize("value, reason", [
    (_frame().set_index("method"), "default index"),
    (pd.DataFrame({1: [1.0], 2: [2.0]}), "string column labels"),
    (pd.DataFrame({"c": pd.Categorical(["a", "b"])}), "has dtype category"),
    (pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}), "has dtype Int64"),
    ({32: np.ones(2)}, "string keys"),
    ({"t": pd.Timestamp("2026-01-01")}, "not JSON"),
    ([1, 2], "DataFrame or a mapping, got list"),
])
def test_what_cannot_be_read_back_equal_is_returned_unstored(tmp_path, value, reason):
    with pytest.warns(RuntimeWarning, match=f"computed but not stored .*{reason}"):
        out, provenance = computed_or_stored("r", {}, lambda: value, modules=MODULES, store=tmp_path)
    assert out is value and not provenance.from_store
    assert not list(tmp_path.rglob("*.json"))


def test_a_mapping_of_frames_reads_back_frame_by_frame(tmp_path):
    value = {"by size": _frame(), "repeated": _frame().iloc[:2].reset_index(drop=True)}
    computed_or_stored("study", {}, lambda: value, modules=MODULES, store=tmp_path)
    back, provenance = computed_or_stored("study", {}, lambda: 1 / 0, modules=MODULES, store=tmp_path)
    assert provenance.from_store and list(back) == ["by size", "repeated"]
    for name in value:
        pd.testing.assert_frame_equal(back[name], value[name])


def test_a_bad_store_argument_is_named():
    with pytest.raises(ValueError, match="store must be a folder, DEFAULT or None, got int"):
        computed_or_stored("r", {}, lambda: {}, modules=MODULES, store=3)


def test_an_unwritable_store_warns_and_returns_the_result(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.warns(RuntimeWarning, match="computed but not stored"):
        value, provenance = computed_or_stored("r", {}, lambda: {"x": 1}, modules=MODULES, store=blocker)
    assert value == {"x": 1} and not provenance.from_store


def test_each_lookup_is_logged_for_the_status_page(tmp_path, monkeypatch):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("SIGAH_STORE_LOG", str(log))
    computed_or_stored("r", {}, lambda: {"x": 1}, modules=MODULES, store=tmp_path / "s")
    computed_or_stored("r", {}, lambda: {"x": 1}, modules=MODULES, store=tmp_path / "s")
    events = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert events == ["result-miss", "result-hit"]


def test_provenance_phrase_says_which_run_computed_it():
    now = Provenance(False, 12.4, "AMD EPYC", "2026-12-04T10:00:00Z")
    assert provenance_phrase(now) == "computed in this run (12\u00a0s)"
    stored = Provenance(True, 0.25, "Intel Xeon", "2026-12-03T10:00:00Z")
    assert provenance_phrase(stored) == ("read from the store of runs (computed on 2026-12-03 in 0.25\u00a0s, "
                                         "on Intel Xeon)")
    assert provenance_phrase(now, "measured") == "measured in this run (12\u00a0s)"
