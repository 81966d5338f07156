"""Faults made for real against the store of runs, the caches and the files the package writes.

Each test damages something the way a crash, an upgrade, an attacker or a careless user would (a
re-signed entry, a process killed with SIGKILL, a truncated cache, a file where a folder goes, a
crafted archive, a pipe instead of a terminal) and checks that the package notices, says so in one
line and recomputes, never uses the damaged result.
"""

import hashlib
import io
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import sigah.machine
from sigah import store as store_mod
from sigah import storage
from sigah.hashers import METHODS, Hasher, make_hasher
from sigah.readers import load_array
from sigah.store import RunStore, counts, data_fingerprint, fit_cached, fit_key
from sigah.tools.cli import main
from store_fixtures import X, _zero_counts, store  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parent.parent



def _entry(store: RunStore) -> Path:
    (entry,) = store.folder.rglob("entry.json")
    return entry


def _resign(entry: Path, edit) -> None:
    """Edit an entry's body and recompute its checksum, as someone with write access to the store can."""
    wrapper = json.loads(entry.read_text())
    edit(wrapper["body"])
    text = json.dumps(wrapper["body"], sort_keys=True, separators=(",", ":"))
    wrapper["checksum"] = hashlib.sha256(text.encode()).hexdigest()
    entry.write_text(json.dumps(wrapper))


def _python(code: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-c", code, *args], env=env, **kwargs)


# -- which results get reused ----------------------------------------------------------------------
@pytest.mark.parametrize("method, attribute", [("lsh", "projection_"), ("itq", "rotation_")])
def test_resigned_entry_setting_an_undeclared_attribute_is_refused_and_refitted(store, X, method, attribute):
    fresh = make_hasher(method, 16, seed=3).fit(X).encode(X)
    fit_cached(make_hasher(method, 16, seed=3), X, store=store)
    learned = getattr(make_hasher(method, 16, seed=3).fit(X), attribute)
    forged = np.random.default_rng(9).standard_normal(learned.shape).astype(learned.dtype)
    _resign(_entry(store), lambda body: body["attributes"].update(
        {attribute: {"__ndarray__": forged.dtype.str, "shape": list(forged.shape), "values": forged.ravel().tolist()}}))
    with pytest.warns(RuntimeWarning, match=rf"sets attributes \['{attribute}'\].*does not declare"):
        again = fit_cached(make_hasher(method, 16, seed=3), X, store=store)
    np.testing.assert_array_equal(again.encode(X), fresh)
    assert counts()["hits"] == 0 and counts()["misses"] == 2
    assert attribute not in json.loads(_entry(store).read_text())["body"]["attributes"]  # the refit rewrote it


def test_resigned_entry_is_refused_also_where_only_its_record_is_read(store, X):
    from sigah.data import Dataset, make_protocol
    from sigah.studies.experiments import run_grid

    protocol = make_protocol(Dataset(name="toy", features=X, labels=None, queries=None, groundtruth=None,
                                     source="test"), n_queries=30, seed=0)
    first = run_grid(protocol, ["lsh"], [16], k=20, progress=False, store=store)
    _resign(_entry(store), lambda body: body["attributes"].update(projection_=[[0.0]]))
    with pytest.warns(RuntimeWarning, match="does not declare"):
        again = run_grid(protocol, ["lsh"], [16], k=20, progress=False, store=store)
    assert not again["from_store"].any()
    assert again.drop(columns=["fit_seconds", "encode_seconds"]).equals(
        first.drop(columns=["fit_seconds", "encode_seconds"]))


def test_resigned_entry_pointing_at_another_model_file_is_refused(store, X):
    fit_cached(make_hasher("lsh", 16, seed=0), X, store=store)
    fit_cached(make_hasher("lsh", 16, seed=1), X, store=store)
    by_seed = {json.loads(e.read_text())["body"]["parts"]["seed"]: e for e in store.folder.rglob("entry.json")}
    mine, other_entry = by_seed[0], by_seed[1]
    other = json.loads(other_entry.read_text())["body"]
    outside = store.folder.parent / "elsewhere.npz"
    make_hasher("lsh", 16, seed=0).fit(X).save(outside)
    outside_sha = hashlib.sha256(outside.read_bytes()).hexdigest()
    for model_file, sha in [(os.path.relpath(other_entry.parent / other["model_file"], mine.parent), other["model_sha256"]),
                            (os.path.relpath(outside, mine.parent), outside_sha)]:
        _resign(mine, lambda body: body.update(model_file=model_file, model_sha256=sha))
        assert (mine.parent / model_file).is_file()  # a real file, with the checksum the entry names
        assert store.get_model(mine.parent.name) is None
    # the other seed's model, copied in and named by its content, is still not this key's model
    (mine.parent / other["model_file"]).write_bytes((other_entry.parent / other["model_file"]).read_bytes())
    _resign(mine, lambda body: body.update(model_file=other["model_file"], model_sha256=other["model_sha256"]))
    assert store.get_model(mine.parent.name) is None


@pytest.mark.parametrize("method", list(METHODS))
def test_every_fitted_attribute_the_model_file_lacks_is_declared(method, X):
    """What a fit sets beyond its model file is exactly what the store may restore: nothing is lost
    on a hit, and the allow-list names nothing a model file already restores."""
    quick = {"sigah": dict(epochs=1, min_steps=0, progress=False), "sgh": dict(n_iter=3), "ba": dict(n_iter=2),
             "och": dict(n_steps=3), "sph": dict(max_iter=3), "itq": dict(n_iter=3)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a collapse warning of so short a fit is beside the point
        fitted = make_hasher(method, 24 if method == "qolsh" else 16, seed=0, **quick.get(method, {})).fit(X)
    reloaded = type(fitted)(**fitted.get_params())
    reloaded._set_state(fitted._state())
    outside_file = {name for name in vars(fitted) if name.endswith("_") and not name.startswith("_")
                    and name not in vars(reloaded) and name != "n_features_"}
    assert outside_file == set(type(fitted).stored_attributes)


@pytest.mark.parametrize("library", ["python", "machine", *sigah.machine.LIBRARIES])
def test_a_library_upgrade_changes_every_key(store, X, monkeypatch, library):
    fit_cached(make_hasher("lsh", 16, seed=0), X, store=store)
    before, parts = fit_key(make_hasher("lsh", 16, seed=0), data_fingerprint(X))
    assert parts["versions"] == sigah.machine.library_versions()
    upgraded = {**sigah.machine.library_versions(), library: "999.0"}
    monkeypatch.setattr(sigah.machine, "library_versions", lambda: upgraded)
    after, _ = fit_key(make_hasher("lsh", 16, seed=0), data_fingerprint(X))
    assert after != before
    fit_cached(make_hasher("lsh", 16, seed=0), X, store=store)
    assert counts() == {"hits": 0, "misses": 2, "unstored": 0}  # the old fit was not read back


def test_entry_records_the_cpu_it_ran_on(store, X):
    fit_cached(make_hasher("lsh", 16), X, store=store)
    assert json.loads(_entry(store).read_text())["body"]["cpu"] == sigah.machine.cpu_model() != ""


@pytest.mark.parametrize("level", ["entry", "prefix"])
def test_entry_folder_replaced_by_a_file_is_refitted_and_rewritten_once(store, X, level):
    fit_cached(make_hasher("lsh", 16), X, store=store)
    folder = _entry(store).parent if level == "entry" else _entry(store).parent.parent
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    folder.rmdir()
    folder.write_text("not a folder")
    with pytest.warns(RuntimeWarning, match="was a file, not a folder"):
        got = fit_cached(make_hasher("lsh", 16), X, store=store)
    np.testing.assert_array_equal(got.encode(X), make_hasher("lsh", 16).fit(X).encode(X))
    assert folder.is_dir()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # later runs: a plain hit, no warning
        fit_cached(make_hasher("lsh", 16), X, store=store)
    assert counts()["hits"] == 1


# -- killed writers ------------------------------------------------------------------------------
_KILLED_WRITER = textwrap.dedent("""
    import sys, time
    import numpy as np
    import sigah.hashers.base as base
    import sigah.store as store_module
    from sigah.hashers import make_hasher
    from sigah.storage import atomic_open

    folder, data, point = sys.argv[1:4]

    def stop(where):
        print(where, flush=True)
        time.sleep(120)

    if point == "model":  # half of the model file written
        def half_save(path, arrays):
            with atomic_open(path, "wb") as fh:
                fh.write(b"PK" + b"\\0" * 1000)
                fh.flush()
                stop("writing the model")
        base.atomic_save_npz = half_save
    elif point == "entry":  # the model file in place, entry.json half written
        def half_entry(path, body):
            with atomic_open(path, "w") as fh:
                fh.write('{"checksum": "')
                fh.flush()
                stop("writing the entry")
        store_module._write_checked_json = half_entry
    store_module.fit_cached(make_hasher("lsh", 16, seed=0), np.load(data), store=store_module.RunStore(folder))
    print("not killed", flush=True)
""")


@pytest.mark.parametrize("point", ["model", "entry"])
def test_a_writer_killed_half_way_leaves_nothing_that_outlives_the_next_run(tmp_path, X, point):
    np.save(tmp_path / "X.npy", X)
    folder = tmp_path / "fits"
    writer = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(folder), str(tmp_path / "X.npy"), point],
        stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"})
    try:
        assert writer.stdout.readline().startswith("writing")
        writer.send_signal(signal.SIGKILL)
        writer.wait(30)
    finally:
        writer.kill()
    leftovers = [p for p in folder.rglob("*") if p.is_file()]
    temporaries = [p for p in leftovers if p.name.endswith(".tmp")]
    assert temporaries, f"the kill left no temporary file: {leftovers}"
    orphans = [p for p in leftovers if p.name.startswith("model-")]
    assert len(orphans) == (1 if point == "entry" else 0)

    store = RunStore(folder)  # a later run opens the store: the dead writer's temporaries go
    assert not any(p.exists() for p in temporaries)
    for orphan in orphans:  # a model file no entry names stays for a while (a live writer names it next)
        assert orphan.exists()
        old = time.time() - store_mod.ORPHAN_SECONDS - 60
        os.utime(orphan, (old, old))
        assert orphan in store.tidy() and not orphan.exists()

    got = fit_cached(make_hasher("lsh", 16, seed=0), X, store=store)
    np.testing.assert_array_equal(got.encode(X), make_hasher("lsh", 16, seed=0).fit(X).encode(X))
    assert counts()["misses"] == 1
    fit_cached(make_hasher("lsh", 16, seed=0), X, store=store)
    assert counts()["hits"] == 1
    names = sorted(p.name for p in folder.rglob("*") if p.is_file())
    assert [n for n in names if n.endswith(".tmp")] == [] and sum(n.startswith("model-") for n in names) == 1


def test_a_live_writers_temporary_file_is_left_alone(tmp_path):
    folder = tmp_path / "fits" / "ab" / ("ab" + "0" * 62)
    folder.mkdir(parents=True)
    live = storage.temporary_name(folder / "entry.json")  # this process' own name: a write in progress
    live.write_text("{")
    RunStore(tmp_path / "fits").tidy()
    assert live.exists()
    old = time.time() - storage.STALE_SECONDS - 60
    os.utime(live, (old, old))  # ... unless it is older than any write takes
    RunStore(tmp_path / "fits").tidy()
    assert not live.exists()


# -- the features cache ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 64)
    pictures = rng.integers(0, 60, size=(64, 12, 12)).astype(np.uint8)
    for i, label in enumerate(labels):
        pictures[i, (0 if label == 0 else 6):(6 if label == 0 else 12)] += 180
    return pictures[:48], labels[:48], pictures[48:], labels[48:]


def _damage_features(paths: dict, how: str) -> None:
    if how == "truncated array":
        data = paths["train_features"].read_bytes()
        paths["train_features"].write_bytes(data[: len(data) // 2])
    elif how == "flipped byte":
        data = bytearray(paths["test_features"].read_bytes())
        data[-3] ^= 0xFF
        paths["test_features"].write_bytes(bytes(data))
    elif how == "garbled metadata":
        paths["meta"].write_text('{"network": "tiny", "test_acc')
    elif how == "labels of another length":
        np.save(paths["train_labels"], np.zeros(5, np.int64))
        meta = json.loads(paths["meta"].read_text())
        meta.pop("sha256", None)  # as written before checksums were recorded
        paths["meta"].write_text(json.dumps(meta))


@pytest.mark.parametrize("how", ["truncated array", "flipped byte", "garbled metadata", "labels of another length"])
def test_damaged_features_cache_trains_again(images, tmp_path, how):
    from sigah.studies.features import cached_features

    options = dict(cache_dir=tmp_path, epochs=1, batch_size=16, seed=0)
    first, paths = cached_features("tiny", *images, **options)
    _damage_features(paths, how)
    with pytest.warns(RuntimeWarning, match="damaged.*training the network again"):
        again, again_paths = cached_features("tiny", *images, **options)
    assert again_paths == paths
    np.testing.assert_array_equal(again.test_features, first.test_features)
    np.testing.assert_array_equal(again.train_labels, images[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rewritten: the next call reads it back quietly
        third, _ = cached_features("tiny", *images, **options)
    np.testing.assert_array_equal(third.train_features, first.train_features)


# -- SIGAH_CACHE and the command line -----------------------------------------------------------
@pytest.fixture()
def base_file(tmp_path, X):
    path = tmp_path / "base.npy"
    np.save(path, X)
    return path


_EVALUATE = ["evaluate", "--methods", "lsh", "--bits", "16", "--k", "10", "--n-queries", "20"]


@pytest.mark.parametrize("where", ["the file", "below the file"])
def test_sigah_cache_at_a_file_is_one_line_naming_it(tmp_path, base_file, monkeypatch, capsys, where):
    blocker = tmp_path / "cache-file"
    blocker.write_text("precious")
    monkeypatch.setenv("SIGAH_CACHE", str(blocker if where == "the file" else blocker / "sub"))
    assert main([*_EVALUATE, "--data", str(base_file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("sigah: error: SIGAH_CACHE=") and str(blocker) in err and "not a folder" in err
    assert blocker.read_text() == "precious"


def test_unusable_sigah_cache_does_not_matter_with_no_store(tmp_path, base_file, monkeypatch, capsys):
    blocker = tmp_path / "cache-file"
    blocker.write_text("precious")
    monkeypatch.setenv("SIGAH_CACHE", str(blocker))
    assert main([*_EVALUATE, "--data", str(base_file), "--no-store", "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["method"] == "lsh" and 0 <= record["map"] <= 1 and record["from_store"] is False
    assert blocker.read_text() == "precious"


def test_a_store_and_cache_that_cannot_be_written_cost_time_not_the_result(tmp_path, base_file, monkeypatch, capsys):
    cache = tmp_path / "cache"
    cache.mkdir()
    for name in ("fits", "groundtruth"):  # files where the store's and the ground truth's folders go
        (cache / name).write_text("precious")
    monkeypatch.setenv("SIGAH_CACHE", str(cache))
    with pytest.warns(RuntimeWarning) as caught:
        assert main([*_EVALUATE, "--data", str(base_file), "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["method"] == "lsh" and 0 <= record["map"] <= 1
    messages = [str(w.message) for w in caught]
    assert any("store of runs" in m and "cannot be written" in m for m in messages)
    assert any("ground-truth cache" in m and "cannot be written" in m for m in messages)
    assert all((cache / name).read_text() == "precious" for name in ("fits", "groundtruth"))


def _npz_claiming(path: Path, shape: tuple, *, compression: int, payload: bytes = b"\0" * 16,
                  name: str = "x", genuine: dict | None = None) -> Path:
    """A ``.npz`` whose member ``name`` has a .npy header claiming ``shape`` of float64 but holds ``payload``."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for key, array in (genuine or {}).items():
            member = io.BytesIO()
            np.save(member, array)
            archive.writestr(f"{key}.npy", member.getvalue())
        archive.writestr(f"{name}.npy", header.getvalue() + payload)
    return path


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_tiny_npz_claiming_terabytes_is_one_line(tmp_path, compression, capsys):
    bomb = _npz_claiming(tmp_path / "bomb.npz", (10**6, 10**6), compression=compression)
    assert bomb.stat().st_size < 1000
    with pytest.raises(ValueError, match=r"claims shape \(1000000, 1000000\).*8,000,000,000,000 bytes"):
        load_array(bomb)
    assert main([*_EVALUATE, "--data", str(bomb)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sigah: error:") and str(bomb) in err[0]


def test_npz_whose_zip_header_claims_more_than_deflate_can_give_is_refused(tmp_path):
    bomb = _npz_claiming(tmp_path / "bomb.npz", (4,), compression=zipfile.ZIP_DEFLATED, payload=b"\0" * 32)
    data = bytearray(bomb.read_bytes())
    # the uncompressed size, in the local header (offset 22) and the central directory (offset 24)
    central = data.rindex(b"PK\x01\x02")
    for offset in (22, central + 24):
        data[offset:offset + 4] = (2**32 - 2).to_bytes(4, "little")
    bomb.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="more than its compression can give"):
        load_array(bomb)


def test_model_file_claiming_terabytes_is_refused(tmp_path, X):
    genuine = tmp_path / "genuine.npz"
    make_hasher("lsh", 16).fit(X).save(genuine)
    with np.load(genuine) as f:
        parts = {key: f[key] for key in f.files if key != "state__projection"}
    bomb = _npz_claiming(tmp_path / "model.npz", (10**7, 10**6), compression=zipfile.ZIP_STORED,
                         name="state__projection", genuine=parts)
    with pytest.raises(ValueError, match=r"claims shape \(10000000, 1000000\)"):
        Hasher.load(bomb)


def test_several_arrays_hint_names_no_option_the_command_lacks(tmp_path, capsys):
    np.savez(tmp_path / "two.npz", first=np.zeros((200, 8), np.float32), second=np.ones((200, 8), np.float32))
    assert main([*_EVALUATE, "--data", str(tmp_path / "two.npz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "several arrays ['first', 'second']" in err[0]
    assert "pass key=" not in err[0] and "save the one to use alone" in err[0]


# -- atomic writes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_atomic_writes_take_the_mode_the_umask_gives(tmp_path, X, umask, mode):
    old = os.umask(umask)
    try:
        storage.atomic_write_text(tmp_path / "a.txt", "text")
        storage.atomic_save_npy(tmp_path / "b.npy", np.zeros(3))
        store = RunStore(tmp_path / "fits")
        fit_cached(make_hasher("lsh", 16), X, store=store)
    finally:
        os.umask(old)
    written = [tmp_path / "a.txt", tmp_path / "b.npy", *(p for p in store.folder.rglob("*") if p.is_file())]
    assert len(written) >= 4
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in written} == {oct(mode)}


def test_atomic_write_flushes_the_file_and_its_folder(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}") if os.path.exists(f"/proc/self/fd/{fd}") else fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    storage.atomic_write_text(tmp_path / "out.txt", "text")
    assert len(synced) == 2
    assert Path(synced[0]).name.startswith(".out.txt.") and Path(synced[1]) == tmp_path  # data, then the rename


def test_failed_write_names_the_file_not_its_temporary(tmp_path):
    (tmp_path / "codes.npy").mkdir()  # a folder where the output goes: the final rename fails
    (tmp_path / "codes.npy" / "keep").write_text("x")
    with pytest.raises(OSError) as failure:
        storage.atomic_save_npy(tmp_path / "codes.npy", np.zeros(3))
    assert str(tmp_path / "codes.npy") in str(failure.value) and ".tmp" not in str(failure.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["codes.npy"]  # no temporary left behind


def test_a_write_removes_the_stale_leftovers_of_its_own_name(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    leftover = storage.temporary_name(tmp_path / "out.txt")
    leftover = leftover.with_name(leftover.name.replace(f".{os.getpid()}@", f".{pid}@"))
    leftover.write_text("half")
    other = tmp_path / ".unrelated.txt.tmp"
    other.write_text("not ours")
    storage.atomic_write_text(tmp_path / "out.txt", "whole")
    assert not leftover.exists() and other.exists()
    assert (tmp_path / "out.txt").read_text() == "whole"


# -- progress in a pipe ------------------------------------------------------------------------------
def test_a_sigah_fit_piped_to_a_log_writes_one_line_not_a_bar(base_file, tmp_path):
    command = ("import sys; from sigah.tools.cli import main; sys.exit(main())")
    run = _python(command, *_EVALUATE[:2], "sigah", *_EVALUATE[3:], "--data", str(base_file), "--no-store",
                  "--param", "epochs=4", "--param", "min_steps=0", "--param", "batch_size=64",
                  capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "\r" not in run.stderr and "\x1b[" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("SiGAH (")]
    assert len(lines) == 1 and "fitted in" in lines[0] and lines[0].endswith("training vectors)")
    assert len(run.stderr.splitlines()) < 10, run.stderr
    assert len(run.stdout.splitlines()) == 2  # the table's header and its one record
