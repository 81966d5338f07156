"""Every chapter that takes a file runs its own check and caps on a file smaller than its full-size
counts and on one with fewer dimensions than its shortest code: the chapter's parameters cell and
its cells up to the check and the caps are executed as they stand, with the file as the dataset,
and the counts and code lengths that come out fit the file, with a note for each lowered one.

Chapters 03-06 and the appendix take no file (MNIST, synthetic data or the shipped sweep log);
chapter 06, whose counts are MNIST's split, lowers those a reader sets beyond MNIST in its check.
"""

from __future__ import annotations

import os

import jupytext
import numpy as np
import pytest
from loopback import ROOT

from sigah.tools.params import ChapterParameterError
from sigah.readers import write_fvecs

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

#: the file parameters of each chapter that takes one, and the name of its dataset parameter
FILE_CHAPTERS = {
    "01_evaluation": "dataset",
    "02_baselines": "dataset",
    "07_retrieval_quality": "dataset",
    "08_training_time": "dataset",
    "09_ablations": "dataset",
    "10_reconstruction": "dataset",
    "11_deep_features": "features_path",
    "12_search": "dataset",
}
#: the chapters whose check cell lowers the counts too (the others lower them per dataset later)
COUNTS_IN_CHECK = {"01_evaluation", "02_baselines", "08_training_time", "11_deep_features"}
N_VECTORS = 60
N_QUERY_VECTORS = 30


def _cells(chapter: str) -> list[str]:
    notebook = jupytext.read(ROOT / "book" / f"{chapter}.md")
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def _run_to_the_caps(chapter: str, overrides: dict) -> dict:
    """Execute the parameters cell, the overrides, and every cell up to the last that checks or caps."""
    cells = _cells(chapter)
    markers = ("check_chapter_parameters(", "cap_bits(", "cap_chapter_parameters(")
    last = max(i for i, source in enumerate(cells) if any(m in source for m in markers))
    namespace: dict = {}
    exec(cells[0], namespace)  # the parameters cell
    namespace.update(overrides)
    for source in cells[1 : last + 1]:
        exec(compile(source, f"<{chapter}>", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("reader-data")
    rng = np.random.default_rng(0)
    out = {}
    for dim in (12, 4):  # fewer dimensions than every chapter's shortest code; fewer than one byte
        for role, n in (("base", N_VECTORS), ("query", N_QUERY_VECTORS)):
            path = folder / f"{role}{dim}.fvecs"
            write_fvecs(path, rng.standard_normal((n, dim)).astype(np.float32))
            out[role, dim] = str(path)
    for role, n in (("labels", N_VECTORS), ("query_labels", N_QUERY_VECTORS)):
        path = folder / f"{role}.npy"
        np.save(path, rng.integers(0, 3, size=n))
        out[role] = str(path)
    return out


def _overrides(chapter: str, files: dict, dim: int) -> dict:
    if chapter == "11_deep_features":
        return {"features_path": files["base", dim], "labels_path": files["labels"],
                "queries_features_path": files["query", dim], "queries_labels_path": files["query_labels"]}
    return {FILE_CHAPTERS[chapter]: files["base", dim]}


@pytest.mark.parametrize("chapter", sorted(FILE_CHAPTERS))
def test_a_small_low_dimensional_file_gets_counts_and_codes_it_can_hold(chapter, files):
    parameters: dict = {}
    exec(_cells(chapter)[0], parameters)
    if "bits" not in parameters:  # chapter 12 sets its code lengths in bytes per vector
        parameters["bits"] = [8 * b for b in parameters["bytes_per_vector"]]
    shortest = min([parameters["bits"]] if isinstance(parameters["bits"], int) else parameters["bits"])
    assert shortest > 12, "the file must have fewer dimensions than the chapter's shortest code"
    namespace = _run_to_the_caps(chapter, _overrides(chapter, files, 12))
    bits = [namespace["bits"]] if isinstance(namespace["bits"], int) else namespace["bits"]
    assert bits == [8], f"{chapter}: bits {bits} on 12-dimensional data"
    notes = list(namespace["notes"])
    assert any(note.startswith("bits ") and "capped to 8" in note for note in notes), notes
    if chapter in COUNTS_IN_CHECK:
        n_queries, k = namespace["n_queries"], namespace.get("k")
        pool = N_QUERY_VECTORS if chapter == "11_deep_features" else N_VECTORS // 2
        assert n_queries is None or n_queries <= pool
        assert parameters["n_queries"] is None or parameters["n_queries"] > pool  # so it was lowered
        assert any(note.startswith("n_queries ") for note in notes), notes
        if k is not None:
            assert k <= N_VECTORS - (0 if chapter == "11_deep_features" else n_queries)
    if chapter == "08_training_time":
        assert namespace["scaling_bits"] == 8
    if chapter == "11_deep_features":
        assert namespace["table7_bits"] == 8
    if chapter == "12_search":
        assert namespace["bytes_per_vector"] == [1]


@pytest.mark.parametrize("chapter", sorted(FILE_CHAPTERS))
def test_data_of_fewer_than_8_dimensions_stop_at_the_check_in_one_sentence(chapter, files):
    with pytest.raises(ChapterParameterError) as info:
        _run_to_the_caps(chapter, _overrides(chapter, files, 4))
    message = str(info.value)
    assert "dimension 4, fewer than the 8 bits of the shortest code" in message and "\n" not in message


def test_chapter_06_lowers_counts_beyond_mnist_in_its_check():
    namespace = _run_to_the_caps("06_hash_learning", {"n_queries": 50_000, "n_database": 100_000, "k": 80_000})
    assert (namespace["n_queries"], namespace["n_database"], namespace["k"]) == (35_000, 35_000, 35_000)
    assert [note.split(" ")[0] for note in namespace["notes"]] == ["n_queries", "n_database", "k"]


def test_chapter_01_runs_on_a_small_file_of_12_dimensions(tmp_path):
    """End to end, at CI size: its ITQ of the sections on ties runs at 8 bits instead of 32.

    300 vectors: the chapter's sections on ties look at the 100th ranked item, so its database
    must hold at least 100 (the CI preset's 300 queries are lowered to 150)."""
    from sigah.tools.build import run_chapter

    base = tmp_path / "base.fvecs"
    write_fvecs(base, np.random.default_rng(1).standard_normal((300, 12)).astype(np.float32))
    out = run_chapter("01_evaluation", {"dataset": str(base)}, output_dir=tmp_path, size="ci")
    executed = out.read_text()
    assert "Size preset lowered" in executed and "capped to 8" in executed
    assert '"output_type": "error"' not in executed
    assert "8 bits, Pre@100" in executed  # the comparison at the end, at the one length the data allow


def test_chapter_11_runs_on_own_feature_files_of_300_queries(tmp_path):
    """End to end, at CI size but asking for the full 1,000 queries: they are drawn from the 300."""
    from sigah.tools.build import run_chapter

    rng = np.random.default_rng(2)
    centres = rng.standard_normal((3, 32))
    paths = {}
    for split, n in (("train", 500), ("test", 300)):
        labels = rng.integers(0, 3, size=n)
        features = (centres[labels] + 0.5 * rng.standard_normal((n, 32))).astype(np.float32)
        paths[split], paths[f"{split}_labels"] = tmp_path / f"{split}.npy", tmp_path / f"{split}_labels.npy"
        np.save(paths[split], features)
        np.save(paths[f"{split}_labels"], labels)
    parameters = {"features_path": str(paths["train"]), "labels_path": str(paths["train_labels"]),
                  "queries_features_path": str(paths["test"]), "queries_labels_path": str(paths["test_labels"]),
                  "n_queries": 1000}
    executed = run_chapter("11_deep_features", parameters, output_dir=tmp_path, size="ci").read_text()
    assert '"output_type": "error"' not in executed
    assert "n_queries = 1,000 capped to 300" in executed and "bits 64 capped to 32" in executed
    assert "300 test queries, 500 training-split database" in executed
