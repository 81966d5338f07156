"""The timed studies of chapter *Training time*: what each measures, and that the store keeps them whole."""

import numpy as np
import pandas as pd
import pytest

from sigah.studies.fit_timing import dimension_study, scaling_study, stored_timing

X = np.random.default_rng(0).standard_normal((120, 16)).astype(np.float32)


def test_scaling_study_times_the_sweep_its_repetitions_and_the_longer_schedule_together():
    out = scaling_study(X, ["lsh", "itq"], [40, 80, 120], n_bits=8, seeds=[3, 4], params={},
                        repeat_methods=["itq"], longer_params={}, longer_methods=["lsh"])
    assert list(out) == ["by size", "repeated", "longer"]
    assert sorted(out["by size"]["n"].unique()) == [40, 80, 120] and set(out["by size"]["method"]) == {"lsh", "itq"}
    repeated = out["repeated"]
    assert set(repeated["n"]) == {40, 120} and sorted(repeated["seed"].unique()) == [3, 4]
    first = out["by size"].query("method == 'itq' and n in (40, 120)")["fit_seconds"].to_numpy()
    np.testing.assert_array_equal(repeated.query("seed == 3")["fit_seconds"].to_numpy(), first)  # the sweep's fits
    assert set(out["longer"]["method"]) == {"lsh"} and len(out["longer"]) == 4
    assert (pd.concat(out.values())["fit_seconds"] > 0).all()


def test_dimension_study_projects_below_the_dimension_and_keeps_the_data_own():
    out = dimension_study(X, ["lsh", "qolsh"], [4, 8, 64], n_bits=8, seed=0, params={})
    assert sorted(out["d"].unique()) == [4, 8, 16]  # 64 is above d = 16: left out; 16 always timed
    assert out.query("method == 'qolsh'").set_index("d")["bits"].to_dict() == {4: 8, 8: 8, 16: 16}
    assert (out["n"] == len(X)).all()


def test_a_stored_study_is_read_back_and_measured_again_when_its_data_change(tmp_path):
    calls = []

    def measure(data):
        calls.append(1)
        return {"by size": pd.DataFrame({"method": ["lsh"], "fit_seconds": [float(len(calls))]})}

    first, made = stored_timing("s", lambda: measure(X), methods=["lsh"], store=tmp_path, X=X, threads=1)
    again, read = stored_timing("s", lambda: measure(X), methods=["lsh"], store=tmp_path, X=X, threads=1)
    pd.testing.assert_frame_equal(again["by size"], first["by size"])
    assert len(calls) == 1 and read.from_store and not made.from_store
    other = X.copy()
    other[0, 0] += 1
    stored_timing("s", lambda: measure(other), methods=["lsh"], store=tmp_path, X=other, threads=1)
    stored_timing("s", lambda: measure(X), methods=["lsh"], store=tmp_path, X=X, threads=2)  # other threads
    stored_timing("s", lambda: measure(X), methods=["lsh", "itq"], store=tmp_path, X=X, threads=1)
    stored_timing("s", lambda: measure(X), methods=["lsh"], store=tmp_path, reuse=False, X=X, threads=1)
    assert len(calls) == 5


def test_no_store_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGAH_CACHE", str(tmp_path))
    _, made = stored_timing("s", lambda: {"x": 1}, methods=["lsh"], store=None)
    _, again = stored_timing("s", lambda: {"x": 1}, methods=["lsh"], store=None)
    assert not made.from_store and not again.from_store and not list(tmp_path.rglob("*.json"))


@pytest.mark.parametrize("sizes", [[0, 10], [10, 500]])
def test_sizes_outside_the_data_are_named(sizes):
    with pytest.raises(ValueError, match=r"sizes must lie in \[1, 120\]"):
        scaling_study(X, ["lsh"], sizes, n_bits=8, seeds=[0], params={}, repeat_methods=[], longer_params={},
                      longer_methods=[])
