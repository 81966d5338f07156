"""The `sigah` command: its contract (fit, encode, search, evaluate) and one-line user errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sigah.tools.cli import main
from sigah.studies.experiments import RECORD_COLUMNS
from sigah.hashers import Hasher


@pytest.fixture()
def vectors(tmp_path):
    rng = np.random.default_rng(0)
    base = (rng.standard_normal((600, 24)) @ rng.standard_normal((24, 24))).astype(np.float32)
    queries = (rng.standard_normal((20, 24)) @ rng.standard_normal((24, 24))).astype(np.float32)
    np.save(tmp_path / "base.npy", base)
    np.save(tmp_path / "queries.npy", queries)
    return tmp_path, base, queries


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_fit_encode_search(vectors, capsys):
    folder, base, queries = vectors
    model = folder / "itq.npz"
    code, out, _ = _run(capsys, "fit", "--method", "itq", "--bits", "16", "--data", str(folder / "base.npy"),
                        "--seed", "3", "--model", str(model))
    assert code == 0 and "saved" in out
    code, _, _ = _run(capsys, "encode", "--model", str(model), "--data", str(folder / "base.npy"),
                      "--out", str(folder / "codes.npy"))
    assert code == 0
    codes = np.load(folder / "codes.npy")
    assert codes.dtype == np.uint8 and codes.shape == (600, 2)
    np.testing.assert_array_equal(codes, Hasher.load(model).encode(base))
    code, _, _ = _run(capsys, "search", "--model", str(model), "--database", str(folder / "codes.npy"),
                      "--queries", str(folder / "queries.npy"), "--k", "5", "--out", str(folder / "knn.npz"))
    assert code == 0
    with np.load(folder / "knn.npz") as knn:
        assert knn["indices"].shape == (20, 5) and np.all(np.diff(knn["distances"], axis=1) >= 0)


def test_evaluate_json_records_and_determinism(vectors, capsys):
    folder, _, _ = vectors
    argv = ["evaluate", "--data", str(folder / "base.npy"), "--queries", str(folder / "queries.npy"), "--k", "50",
            "--methods", "lsh,itq", "--bits", "8,16", "--repeats", "2", "--format", "json"]
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 2 * 2 * 2
    assert all(list(r) == list(RECORD_COLUMNS) for r in records)
    assert {(r["method"], r["bits"], r["seed"]) for r in records} == {
        (m, b, s) for m in ("lsh", "itq") for b in (8, 16) for s in (0, 1)}
    assert all(r["n_queries"] == 20 and r["n_database"] == 600 and r["k"] == 50 for r in records)
    assert all(0 <= r[m] <= 1 for r in records for m in ("map", "map_stable", "map_pr_area", "precision_at_100"))
    assert not any(r["from_store"] for r in records) and all(r["n_train"] == 600 for r in records)
    strip = lambda rs: [{k: v for k, v in r.items() if not k.endswith("_seconds") and k != "from_store"}  # noqa: E731
                        for r in rs]
    _, refit, _ = _run(capsys, *argv, "--no-store")  # the same seeds fitted again give the same records
    refit = [json.loads(line) for line in refit.splitlines()]
    assert strip(records) == strip(refit) and not any(r["from_store"] for r in refit)
    _, stored, _ = _run(capsys, *argv)  # the second run with the store reads every fit back, timings included
    stored = [json.loads(line) for line in stored.splitlines()]
    assert strip(records) == strip(stored) and all(r["from_store"] for r in stored)
    assert [r["fit_seconds"] for r in stored] == [r["fit_seconds"] for r in records]


def test_evaluate_no_store_leaves_the_store_empty(vectors, capsys, tmp_path, monkeypatch):
    folder, _, _ = vectors
    monkeypatch.setenv("SIGAH_CACHE", str(tmp_path / "cache"))
    argv = ["evaluate", "--data", str(folder / "base.npy"), "--n-queries", "10", "--k", "20", "--methods", "lsh",
            "--bits", "8", "--format", "json", "--no-store"]
    code, out, _ = _run(capsys, *argv)
    assert code == 0 and json.loads(out)["from_store"] is False
    assert not (tmp_path / "cache" / "fits").exists()
    code, out, _ = _run(capsys, *argv[:-1])  # with the store: computed, then stored
    assert code == 0 and json.loads(out)["from_store"] is False
    assert len(list((tmp_path / "cache" / "fits").rglob("entry.json"))) == 1


def test_evaluate_siftsmall_itq_beats_lsh(capsys):
    code, out, _ = _run(capsys, "evaluate", "--data", "siftsmall", "--methods", "lsh,itq", "--bits", "32",
                        "--k", "100", "--format", "json")
    assert code == 0
    scores = {r["method"]: r for r in map(json.loads, out.splitlines())}
    assert scores["itq"]["n_queries"] == 100 and scores["itq"]["n_database"] == 10000
    for metric in ("map", "map_pr_area", "precision_at_100"):
        assert scores["itq"][metric] > scores["lsh"][metric]


def test_table_format_has_header_and_rows(vectors, capsys):
    folder, _, _ = vectors
    code, out, _ = _run(capsys, "evaluate", "--data", str(folder / "base.npy"), "--n-queries", "10", "--k", "20",
                        "--methods", "itq", "--bits", "8")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == list(RECORD_COLUMNS) and len(lines) == 2


@pytest.mark.parametrize(
    "argv, message",
    [
        (["evaluate", "--data", "missing.fvecs", "--methods", "lsh", "--bits", "32"], "missing.fvecs"),
        (["evaluate", "--data", "{base}", "--methods", "lsh", "--bits", "12"], "positive multiple of 8"),
        (["evaluate", "--data", "{base}", "--queries", "{short}", "--methods", "lsh", "--bits", "8"], "dimension"),
        (["evaluate", "--data", "{nan}", "--methods", "lsh", "--bits", "8"], "NaN"),
        (["evaluate", "--data", "{base}", "--methods", "nope", "--bits", "8"], "unknown method 'nope'"),
        (["evaluate", "--data", "{garbage}", "--methods", "lsh", "--bits", "8"], "garbage.xyz"),
        (["fit", "--method", "itq", "--bits", "64", "--data", "{base}", "--model", "{out}"], "at most 24 bits"),
    ],
)
def test_user_errors_are_one_line(vectors, capsys, argv, message):
    folder, base, _ = vectors
    np.save(folder / "short.npy", base[:5, :10])
    bad = base.copy()
    bad[1, 2] = np.nan
    np.save(folder / "nan.npy", bad)
    (folder / "garbage.xyz").write_text("not data")
    paths = {"base": folder / "base.npy", "short": folder / "short.npy", "nan": folder / "nan.npy",
             "garbage": folder / "garbage.xyz", "out": folder / "m.npz"}
    argv = [a.format(**paths) for a in argv]
    with pytest.raises(SystemExit) if "12" in argv else _no_exit():
        code = main(argv)
        assert code == 2
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sigah") and "error" in lines[0], err
    assert message in lines[0]
    assert "Traceback" not in err


class _no_exit:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_console_script_reports_without_traceback(tmp_path):
    exe = [sys.executable, "-m", "sigah.tools.cli"]
    proc = subprocess.run([*exe, "encode", "--model", str(tmp_path / "none.npz"), "--data", "mnist", "--out", "x.npy"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "none.npz" in proc.stderr


def test_evaluate_routes_params_to_the_methods_that_take_them(vectors, capsys):
    folder, _, _ = vectors
    base = ["evaluate", "--data", str(folder / "base.npy"), "--n-queries", "10", "--k", "20", "--bits", "8",
            "--format", "json"]
    code, out, _ = _run(capsys, *base, "--methods", "lsh,itq", "--param", "n_iter=3", "--param", "lsh.center=False")
    assert code == 0 and len(out.splitlines()) == 2
    code, _, err = _run(capsys, *base, "--methods", "lsh,itq", "--param", "margin=1")
    assert code == 2 and "no method among lsh,itq takes an argument 'margin'" in err
    code, _, err = _run(capsys, *base, "--methods", "lsh", "--param", "itq.n_iter=3")
    assert code == 2 and "method 'itq' is not among --methods lsh" in err


def test_book_build_fresh_flag_reaches_the_build(monkeypatch):
    import sigah.tools.build

    calls = []
    monkeypatch.setattr(sigah.tools.build, "build_book", lambda size, **kw: calls.append((size, kw)))
    assert main(["book", "build", "--size", "ci", "--fresh"]) == 0
    assert main(["book", "build", "--size", "ci"]) == 0
    assert [kw["fresh"] for _, kw in calls] == [True, False]


def test_book_build_fresh_without_execution_is_a_user_error(capsys):
    code, _, err = _run(capsys, "book", "build", "--fresh", "--no-execute")
    assert code == 2 and "--fresh" in err and "--no-execute" in err


def test_installed_package_finds_data_from_a_checkout_or_says_where(tmp_path, monkeypatch, capsys):
    """After ``pip install .`` the data are not beside the package: ./data of a checkout, else one clear line."""
    import shutil

    import sigah.data as sdata

    monkeypatch.delenv("SIGAH_DATA_DIR", raising=False)
    monkeypatch.setattr(sdata, "_DEFAULT_DATA_DIR", tmp_path / "site-packages" / "data")
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "evaluate", "--data", "siftsmall", "--methods", "lsh", "--bits", "8", "--k", "10")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "SIGAH_DATA_DIR" in err and "data/ folder of the sigah-book repository" in err
    shipped = Path(sdata.__file__).resolve().parent.parent / "data"
    (tmp_path / "data").mkdir()
    shutil.copytree(shipped / "siftsmall", tmp_path / "data" / "siftsmall")
    shutil.copy(shipped / "checksums.json", tmp_path / "data" / "checksums.json")
    assert sdata.data_dir() == tmp_path / "data"
    code, out, _ = _run(capsys, "evaluate", "--data", "siftsmall", "--methods", "lsh", "--bits", "8", "--k", "10",
                        "--format", "json")
    assert code == 0 and json.loads(out)["n_database"] == 10000


def test_evaluate_n_train_trains_on_a_sample_and_searches_the_whole_database(vectors, capsys):
    folder, _, _ = vectors
    argv = ["evaluate", "--data", str(folder / "base.npy"), "--queries", str(folder / "queries.npy"), "--k", "20",
            "--methods", "itq", "--bits", "8", "--format", "json"]
    code, out, err = _run(capsys, *argv, "--n-train", "100")
    assert code == 0
    assert "600 database points, 100 training points drawn from the database" in err
    assert json.loads(out.splitlines()[0])["n_database"] == 600
    code, out, err = _run(capsys, *argv, "--n-train", "601")  # more than the database: lowered, with a note
    assert code == 0 and "n_train = 601 capped to 600" in err and json.loads(out.splitlines()[0])["n_train"] == 600


@pytest.fixture()
def search_files(vectors, capsys):
    folder, base, queries = vectors
    model = folder / "itq.npz"
    assert _run(capsys, "fit", "--method", "itq", "--bits", "16", "--data", str(folder / "base.npy"),
                "--model", str(model))[0] == 0
    assert _run(capsys, "encode", "--model", str(model), "--data", str(folder / "base.npy"),
                "--out", str(folder / "codes.npy"))[0] == 0
    return folder, base, queries, model


def _search(capsys, folder, model, *extra):
    code, out, err = _run(capsys, "search", "--model", str(model), "--database", str(folder / "codes.npy"),
                          "--queries", str(folder / "queries.npy"), "--out", str(folder / "knn.npz"), *extra)
    assert code == 0, err
    with np.load(folder / "knn.npz") as knn:
        return knn["distances"], knn["indices"], out


@pytest.mark.parametrize("index", ["flat", "mih", "ivf", "hnsw"])
def test_search_with_each_index_returns_true_hamming_distances(search_files, capsys, index):
    from sigah.codes import hamming_distances, hamming_knn

    folder, _, queries, model = search_files
    distances, ids, out = _search(capsys, folder, model, "--index", index, "--k", "7")
    codes, query_codes = np.load(folder / "codes.npy"), Hasher.load(model).encode(queries)
    assert ids.shape == (20, 7) and f"{index} index" in out
    found = ids >= 0
    true = np.take_along_axis(hamming_distances(query_codes, codes), np.where(found, ids, 0), axis=1)
    np.testing.assert_array_equal(true[found], distances[found])
    if index == "flat":  # exact: the same distances as the reference
        np.testing.assert_array_equal(distances, hamming_knn(query_codes, codes, 7, engine="numpy")[0])


def test_search_rerank_of_the_whole_database_is_the_exact_ground_truth(search_files, capsys):
    from sigah.groundtruth import euclidean_ground_truth

    folder, base, queries, model = search_files
    distances, ids, out = _search(capsys, folder, model, "--k", "5", "--rerank", "600",
                                  "--vectors", str(folder / "base.npy"))
    np.testing.assert_array_equal(ids, euclidean_ground_truth(queries, base, 5))
    np.testing.assert_allclose(distances[:, 0], ((base[ids[:, 0]] - queries) ** 2).sum(axis=1), rtol=1e-5)
    assert "re-ranked" in out
    _, ids_few, _ = _search(capsys, folder, model, "--k", "5", "--rerank", "50", "--index", "hnsw",
                            "--vectors", str(folder / "base.npy"))
    truth = euclidean_ground_truth(queries, base, 5)
    _, hamming_only, _ = _search(capsys, folder, model, "--k", "5")
    overlap = [len(set(a) & set(t)) for a, t in zip(ids_few, truth)]
    assert np.mean(overlap) >= np.mean([len(set(a) & set(t)) for a, t in zip(hamming_only, truth)])


@pytest.mark.parametrize(("extra", "message"), [
    (["--rerank", "50"], "--rerank needs the database vectors: give --vectors FILE"),
    (["--rerank", "3", "--k", "5", "--vectors", "{base}"], "--rerank 3 must be at least --k 5"),
    (["--vectors", "{base}"], "--vectors is read only for --rerank L"),
    (["--rerank", "50", "--vectors", "{short}"], "--vectors holds 5 vectors but the database has 600"),
])
def test_search_user_errors_are_one_line(search_files, capsys, extra, message):
    folder, base, _, model = search_files
    np.save(folder / "short.npy", base[:5])
    extra = [e.format(base=folder / "base.npy", short=folder / "short.npy") for e in extra]
    code = main(["search", "--model", str(model), "--database", str(folder / "codes.npy"),
                 "--queries", str(folder / "queries.npy"), "--out", str(folder / "x.npz"), *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and message in err, err


def test_search_unknown_index_is_a_usage_error(search_files, capsys):
    folder, _, _, model = search_files
    with pytest.raises(SystemExit):
        main(["search", "--model", str(model), "--database", str(folder / "codes.npy"), "--queries",
              str(folder / "queries.npy"), "--out", str(folder / "x.npz"), "--index", "lsh"])
    assert "invalid choice: 'lsh'" in capsys.readouterr().err


def test_search_k_and_rerank_beyond_the_database_are_capped_with_a_note(search_files, capsys):
    from sigah.groundtruth import euclidean_ground_truth

    folder, base, queries, model = search_files
    code, out, err = _run(capsys, "search", "--model", str(model), "--database", str(folder / "codes.npy"),
                          "--queries", str(folder / "queries.npy"), "--out", str(folder / "knn.npz"),
                          "--k", "700", "--rerank", "900", "--vectors", str(folder / "base.npy"))
    assert code == 0 and "--k 700 capped to the 600 codes" in err and "--rerank 900 capped" in err
    with np.load(folder / "knn.npz") as knn:
        np.testing.assert_array_equal(knn["indices"], euclidean_ground_truth(queries, base, 600))
