"""The store of runs: keys, hits and misses, damaged entries, concurrent writers, run_grid through it."""

import dataclasses
import json
import multiprocessing
import shutil
from pathlib import Path

import numpy as np
import pytest

from sigah import store as store_mod
from sigah.data import Dataset, make_protocol
from sigah.studies import experiments
from sigah.studies.experiments import run_grid
from sigah.hashers import make_hasher
from sigah.store import RunStore, counts, data_fingerprint, fit_cached, fit_key, method_source_files, reset_counts
from store_fixtures import X, _zero_counts, store  # noqa: F401 (fixtures)



def _entries(store: RunStore) -> list[Path]:
    return sorted(store.folder.rglob("entry.json"))


def test_miss_then_hit_gives_identical_codes(store, X):
    first = fit_cached(make_hasher("itq", 16, seed=1, n_iter=5), X, store=store)
    assert counts() == {"hits": 0, "misses": 1, "unstored": 0}
    again = fit_cached(make_hasher("itq", 16, seed=1, n_iter=5), X, store=store)
    assert counts() == {"hits": 1, "misses": 1, "unstored": 0}
    np.testing.assert_array_equal(again.encode(X), first.encode(X))
    np.testing.assert_array_equal(again.rotation_, first.rotation_)
    # what the model file does not keep (the loss history) comes back too
    assert again.loss_history_ == first.loss_history_
    assert len(_entries(store)) == 1


@pytest.mark.parametrize("value", [np.arange(6, dtype=np.float32).reshape(2, 3) / 7, np.float32(1 / 3), np.int64(5),
                                   [{"epoch": 0, "loss": np.float64(0.25)}], ("a", None, True), {"k": [1.5, 2]}])
def test_fitted_attributes_come_back_with_their_types(value):
    back = store_mod._from_json(json.loads(json.dumps(store_mod._to_json(value))))
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and np.array_equal(back, value)
    elif isinstance(value, np.generic):
        assert type(back) is type(value) and back == value
    else:
        assert back == (list(value) if isinstance(value, tuple) else value)


def test_hit_fills_the_callers_instance(store, X):
    fit_cached(make_hasher("lsh", 16, seed=2), X, store=store)
    hasher = make_hasher("lsh", 16, seed=2)
    assert fit_cached(hasher, X, store=store) is hasher
    np.testing.assert_array_equal(hasher.encode(X), make_hasher("lsh", 16, seed=2).fit(X).encode(X))


def test_disabled_store_fits_and_writes_nothing(tmp_path, X, monkeypatch):
    monkeypatch.setenv("SIGAH_CACHE", str(tmp_path / "root"))
    fit_cached(make_hasher("lsh", 8), X, store=None)
    assert counts()["unstored"] == 1 and not (tmp_path / "root").exists()
    fit_cached(make_hasher("lsh", 8), X)  # the default store follows SIGAH_CACHE at call time
    assert len(list((tmp_path / "root" / "fits").rglob("entry.json"))) == 1


@pytest.mark.parametrize("change", ["params", "bits", "seed", "data", "dtype", "shape", "method"])
def test_key_changes_with_everything_the_fit_depends_on(X, change):
    base = make_hasher("itq", 16, seed=1, n_iter=5)
    key, _ = fit_key(base, data_fingerprint(X))
    other_X = X
    if change == "params":
        other = make_hasher("itq", 16, seed=1, n_iter=6)
    elif change == "bits":
        other = make_hasher("itq", 8, seed=1, n_iter=5)
    elif change == "seed":
        other = make_hasher("itq", 16, seed=2, n_iter=5)
    elif change == "method":
        other = make_hasher("lsh", 16, seed=1)
    else:
        other = make_hasher("itq", 16, seed=1, n_iter=5)
        if change == "data":
            other_X = X.copy()
            other_X[7, 3] = np.nextafter(other_X[7, 3], np.float32(np.inf))  # one ulp of one entry
        elif change == "dtype":
            other_X = X.astype(np.float64)
        else:
            other_X = X[:-1]
    assert fit_key(other, data_fingerprint(other_X))[0] != key
    # and the same inputs give the same key
    assert fit_key(make_hasher("itq", 16, seed=1, n_iter=5), data_fingerprint(X.copy()))[0] == key


def test_progress_display_is_not_part_of_the_key(X):
    fingerprint = data_fingerprint(X)
    quiet = fit_key(make_hasher("sph", 16, progress=False), fingerprint)[0]
    assert fit_key(make_hasher("sph", 16, progress=True), fingerprint)[0] == quiet
    assert fit_key(make_hasher("sph", 16, progress=False, max_iter=3), fingerprint)[0] != quiet


def test_source_files_follow_the_imports_of_each_method():
    lsh = method_source_files("sigah.hashers.lsh")
    assert {"sigah.hashers.lsh", "sigah.hashers.base", "sigah.codes"} <= set(lsh)
    assert not any(name.startswith("sigah.sigah_model") for name in lsh)
    assert "sigah.hashers.sigah" not in lsh and "sigah.storage" not in lsh
    sigah_files = method_source_files("sigah.hashers.sigah")
    assert {"sigah.hashers.sigah", "sigah.sigah_model.training", "sigah.sigah_model.losses",
            "sigah.sigah_model.networks"} <= set(sigah_files)


def test_source_edit_invalidates_exactly_the_methods_that_read_it(tmp_path):
    package = tmp_path / "sigah"
    shutil.copytree(Path(store_mod.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    hashes = lambda: {m: store_mod.method_source_hash(f"sigah.hashers.{m}", root=package)  # noqa: E731
                      for m in ("lsh", "itq", "sigah")}
    before = hashes()
    with open(package / "sigah_model" / "losses.py", "a") as fh:
        fh.write("\n# an edit\n")
    after_model = hashes()
    assert after_model["sigah"] != before["sigah"]
    assert (after_model["lsh"], after_model["itq"]) == (before["lsh"], before["itq"])
    with open(package / "hashers" / "lsh.py", "a") as fh:
        fh.write("\n# an edit\n")
    after_lsh = hashes()
    assert after_lsh["lsh"] != after_model["lsh"]
    assert (after_lsh["itq"], after_lsh["sigah"]) == (after_model["itq"], after_model["sigah"])
    with open(package / "codes.py", "a") as fh:
        fh.write("\n# an edit\n")
    assert all(a != b for a, b in zip(hashes().values(), after_lsh.values()))  # every method packs codes


def test_source_hash_is_part_of_the_key(X, monkeypatch):
    hasher = make_hasher("lsh", 8)
    key, parts = fit_key(hasher, data_fingerprint(X))
    monkeypatch.setattr(store_mod, "method_source_hash", lambda module, root=None: "edited")
    edited, edited_parts = fit_key(hasher, data_fingerprint(X))
    assert edited != key and edited_parts["source"] == "edited" and parts["source"] != "edited"


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flip":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:])
    else:
        path.write_bytes(b"")


@pytest.mark.parametrize("target", ["model", "entry"])
@pytest.mark.parametrize("how", ["truncate", "flip", "empty"])
def test_damaged_entry_is_recomputed_never_used(store, X, target, how):
    fitted = fit_cached(make_hasher("itq", 16, seed=0, n_iter=5), X, store=store)
    (entry,) = _entries(store)
    victim = entry if target == "entry" else next(entry.parent.glob("model-*.npz"))
    _damage(victim, how)
    reset_counts()
    again = fit_cached(make_hasher("itq", 16, seed=0, n_iter=5), X, store=store)
    assert counts() == {"hits": 0, "misses": 1, "unstored": 0}
    np.testing.assert_array_equal(again.encode(X), fitted.encode(X))
    reset_counts()
    fit_cached(make_hasher("itq", 16, seed=0, n_iter=5), X, store=store)  # the rewrite is good again
    assert counts()["hits"] == 1


def test_model_file_swapped_for_another_model_is_rejected(store, X):
    fit_cached(make_hasher("lsh", 16, seed=0), X, store=store)
    fit_cached(make_hasher("lsh", 16, seed=1), X, store=store)
    model_a, model_b = (next(e.parent.glob("model-*.npz")) for e in _entries(store))
    shutil.copyfile(model_b, model_a)  # a valid model file, but not the one entry.json names
    assert store.get_model(_entries(store)[0].parent.name) is None


def test_damaged_codes_and_records_read_as_absent(store, X):
    key = "ab" * 32
    codes = np.arange(40, dtype=np.uint8).reshape(20, 2)
    store.put_codes(key, "split-1", codes[:5], codes, 0.5)
    got = store.get_codes(key, "split-1")
    np.testing.assert_array_equal(got[1], codes)
    assert store.get_codes(key, "split-2") is None
    store.put_record(key, "eval", {"map": 0.5})
    assert store.get_record(key, "eval") == {"map": 0.5}
    store.put_scores(key, "eval", {"map": np.linspace(0, 1, 5)})
    np.testing.assert_array_equal(store.get_scores(key, "eval")["map"], np.linspace(0, 1, 5))
    assert store.get_scores(key, "other eval") is None
    for path in store.entry_dir(key).iterdir():
        _damage(path, "flip")
    assert store.get_codes(key, "split-1") is None and store.get_record(key, "eval") is None
    assert store.get_scores(key, "eval") is None


def _fit_in_child(folder: str, X: np.ndarray, seed: int, barrier) -> str:
    barrier.wait()  # both processes fit and write at the same moment
    hasher = fit_cached(make_hasher("itq", 16, seed=seed, n_iter=20), X, store=RunStore(folder))
    return hasher.encode(X).tobytes().hex()


def test_concurrent_writers_of_the_same_key_lose_nothing(tmp_path, X):
    folder = str(tmp_path / "fits")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(4)
        with ctx.Pool(4) as pool:
            # two writers of one key, two of another key in the same store
            results = pool.starmap(_fit_in_child, [(folder, X, 0, barrier), (folder, X, 0, barrier),
                                                   (folder, X, 1, barrier), (folder, X, 1, barrier)])
    assert results[0] == results[1] and results[2] == results[3]
    store = RunStore(folder)
    assert len(_entries(store)) == 2
    assert not list(Path(folder).rglob("*.tmp"))  # no temporary file left behind
    for seed, expected in ((0, results[0]), (1, results[2])):
        reset_counts()
        hasher = fit_cached(make_hasher("itq", 16, seed=seed, n_iter=20), X, store=store)
        assert counts()["hits"] == 1 and hasher.encode(X).tobytes().hex() == expected


def test_store_log_gets_one_line_per_fit(store, X, tmp_path, monkeypatch):
    log = tmp_path / "fits.jsonl"
    monkeypatch.setenv("SIGAH_STORE_LOG", str(log))
    for _ in range(2):
        fit_cached(make_hasher("lsh", 8, seed=4), X, store=store)
    fit_cached(make_hasher("lsh", 8, seed=4), X, store=None)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["event"] for line in lines] == ["miss", "hit", "unstored"]
    assert {(line["method"], line["bits"], line["seed"]) for line in lines} == {("lsh", 8, 4)}


@pytest.fixture(scope="module")
def protocol():
    rng = np.random.default_rng(1)
    features = (rng.standard_normal((400, 16)) @ rng.standard_normal((16, 16))).astype(np.float32)
    return make_protocol(Dataset(name="toy", features=features, labels=None, queries=None, groundtruth=None,
                                 source="test"), n_queries=20, seed=0)


def test_run_grid_second_call_is_all_from_store_with_identical_records(store, protocol):
    kw = dict(repeats=2, k=30, progress=False, store=store, params={"itq": {"n_iter": 5}})
    first = run_grid(protocol, ["lsh", "itq"], [8, 16], **kw)
    assert not first.from_store.any() and (first.n_train == protocol.n_train).all()
    assert counts() == {"hits": 0, "misses": 8, "unstored": 0}
    second = run_grid(protocol, ["lsh", "itq"], [8, 16], **kw)
    assert second.from_store.all() and counts()["hits"] == 8
    assert first.drop(columns="from_store").equals(second.drop(columns="from_store"))  # fit_seconds included
    fresh = run_grid(protocol, ["lsh", "itq"], [8, 16], **{**kw, "store": None})
    metrics = ["map", "map_stable", "map_pr_area", "precision_at_100"]
    assert fresh[metrics].equals(first[metrics]) and not fresh.from_store.any()


def test_run_grid_returns_models_that_reproduce_the_records(store, protocol, monkeypatch):
    kw = dict(k=30, progress=False, store=store, return_models=True)
    records, models = run_grid(protocol, ["lsh", "itq"], [16], **kw)

    def scored_again(*args, **kwargs):
        raise AssertionError("a stored record was scored again because its model was asked for")

    monkeypatch.setattr(experiments, "evaluate_hasher", scored_again)
    reset_counts()
    again, stored_models = run_grid(protocol, ["lsh", "itq"], [16], **kw)
    assert counts()["hits"] == 2  # one per fit: the record and the model read together count once
    assert set(models) == set(stored_models) == {("lsh", 16, 0), ("itq", 16, 0)}
    assert again.from_store.all()
    for key, model in models.items():
        np.testing.assert_array_equal(stored_models[key].encode(protocol.database), model.encode(protocol.database))
    assert records.drop(columns="from_store").equals(again.drop(columns="from_store"))


def test_encoded_split_reads_the_codes_a_run_stored_and_encodes_a_new_split(store, protocol, monkeypatch):
    records, models = run_grid(protocol, ["itq"], [16], k=30, progress=False, store=store, return_models=True)
    model = models[("itq", 16, 0)]
    fresh = (model.encode(protocol.queries), model.encode(protocol.database))
    n_check = min(experiments.CODE_CHECK_ROWS, len(protocol.queries))
    encoded = []
    original = type(model).encode
    monkeypatch.setattr(type(model), "encode", lambda self, X: encoded.append(len(X)) or original(self, X))
    for stored, expected in zip(experiments.encoded_split(model, protocol, store=store), fresh):
        np.testing.assert_array_equal(stored, expected)
    assert encoded == [n_check]  # only the check rows: the database is read, not encoded
    split = dataclasses.replace(protocol, queries=protocol.queries[:10], query_index=protocol.query_index[:10])
    queries, database = experiments.encoded_split(model, split, store=store)  # not stored: encoded
    np.testing.assert_array_equal(queries, fresh[0][:10])
    assert len(list(_entries(store)[0].parent.glob("codes-*.npz"))) == 1  # and nothing written


def test_encoded_split_encodes_a_model_that_is_not_the_stored_fit(store, protocol):
    run_grid(protocol, ["itq"], [16], k=30, progress=False, store=store)
    other = make_hasher("itq", 16, seed=0).fit(protocol.train[::-1][:50])  # same key, other training rows
    stored_queries, _, _ = store.get_codes(fit_key(other, data_fingerprint(protocol.train))[0],
                                           experiments._split_key(protocol))
    assert not np.array_equal(stored_queries, other.encode(protocol.queries))  # the stored codes are not its own
    queries, database = experiments.encoded_split(other, protocol, store=store)
    np.testing.assert_array_equal(queries, other.encode(protocol.queries))
    np.testing.assert_array_equal(database, other.encode(protocol.database))


def test_a_stored_record_whose_model_is_gone_is_fitted_and_scored_again(store, protocol):
    run_grid(protocol, ["itq"], [16], k=30, progress=False, store=store)
    (entry,) = _entries(store)
    for model_file in entry.parent.glob("model-*.npz"):
        model_file.unlink()
    reset_counts()
    records, models = run_grid(protocol, ["itq"], [16], k=30, progress=False, store=store, return_models=True)
    assert counts() == {"hits": 0, "misses": 1, "unstored": 0} and not records.from_store.any()
    assert ("itq", 16, 0) in models


def test_new_split_with_same_training_set_reuses_the_model_not_the_codes(store, protocol):
    run_grid(protocol, ["itq"], [8], k=30, progress=False, store=store)
    split = dataclasses.replace(protocol, queries=protocol.queries[:10], query_index=protocol.query_index[:10])
    assert split.fingerprint() != protocol.fingerprint()
    reset_counts()
    records = run_grid(split, ["itq"], [8], k=30, progress=False, store=store)
    assert counts()["hits"] == 1 and records.from_store.all() and records.n_queries.iloc[0] == 10
    (entry,) = _entries(store)
    assert len(list(entry.parent.glob("codes-*.npz"))) == 2  # codes of each split, one model
    assert len(list(entry.parent.glob("model-*.npz"))) == 1


def test_large_database_is_encoded_in_blocks(protocol):
    from sigah.studies.experiments import encode_batched

    hasher = make_hasher("lsh", 16).fit(protocol.train)
    np.testing.assert_array_equal(encode_batched(hasher, protocol.database, batch=7),
                                  hasher.encode(protocol.database))
