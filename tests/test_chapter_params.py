"""A chapter given a bad parameter stops at once with one sentence naming it."""

import numpy as np
import pytest

from sigah.tools.build import BookBuildError, run_chapter
from sigah.tools.params import (
    ChapterParameterError,
    check_chapter_parameters,
    parameter_error_message,
    vector_file_shape,
)
from sigah.readers import write_bvecs, write_fvecs


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    base = tmp_path / "base.fvecs"
    write_fvecs(base, rng.normal(size=(50, 12)).astype(np.float32))
    queries = tmp_path / "queries.fvecs"
    write_fvecs(queries, rng.normal(size=(7, 12)).astype(np.float32))
    wrong_dim = tmp_path / "wrong.npy"
    np.save(wrong_dim, rng.normal(size=(7, 10)).astype(np.float32))
    labels = tmp_path / "labels.npy"
    np.save(labels, rng.integers(0, 3, size=50))
    short_labels = tmp_path / "short_labels.npy"
    np.save(short_labels, rng.integers(0, 3, size=49))
    return {"base": base, "queries": queries, "wrong_dim": wrong_dim, "labels": labels, "short_labels": short_labels}


@pytest.mark.parametrize("shape", [(50, 12), (3, 1), (1, 300)])
def test_vector_file_shape_reads_headers_like_the_readers(tmp_path, shape):
    rng = np.random.default_rng(1)
    data = rng.normal(size=shape).astype(np.float32)
    write_fvecs(tmp_path / "x.fvecs", data)
    write_bvecs(tmp_path / "x.bvecs", rng.integers(0, 255, size=shape).astype(np.uint8))
    np.save(tmp_path / "x.npy", data)
    np.savetxt(tmp_path / "x.csv", data, delimiter=",")
    for name in ("x.fvecs", "x.bvecs", "x.npy", "x.csv"):
        assert vector_file_shape(tmp_path / name) == shape, name


def test_good_parameters_pass_and_report_the_shape(files):
    found = check_chapter_parameters(dataset=files["base"], queries_path=files["queries"],
                                     labels_path=files["labels"], bits=[32, 64], n_queries=5, k=10)
    assert found == {"n_vectors": 50, "dimension": 12, "n_query_vectors": 7}
    assert check_chapter_parameters(dataset="mnist", bits=8) == {"n_vectors": 70_000, "dimension": 784,
                                                                 "n_query_vectors": None}
    assert check_chapter_parameters(dataset="SiftSmall") == {"n_vectors": 10_000, "dimension": 128,
                                                             "n_query_vectors": 100}


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"dataset": "no/such/file.fvecs"}, ["dataset", "no/such/file.fvecs", "does not exist"]),
        ({"queries_path": "wrong_dim"}, ["queries_path", "dimension 10", "dimension 12"]),
        ({"labels_path": "short_labels"}, ["labels_path", "49 labels", "50 vectors"]),
        ({"bits": [32, 12]}, ["bits", "multiples of 8", "12"]),
        ({"bits": 0}, ["bits", "0"]),
        ({"n_queries": 0}, ["n_queries", "positive"]),
        ({"k": 2.5}, ["k", "2.5"]),
    ],
)
def test_bad_parameter_is_one_sentence_naming_it(files, kwargs, words):
    kwargs = {key: files.get(value, value) if isinstance(value, str) else value for key, value in kwargs.items()}
    kwargs.setdefault("dataset", files["base"])
    with pytest.raises(ChapterParameterError) as info:
        check_chapter_parameters(**kwargs)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message
    # in a notebook, IPython shows the sentence instead of a traceback
    assert info.value._render_traceback_() == [f"ChapterParameterError: {message}"]


def test_query_file_with_a_shipped_dataset_is_refused(files):
    with pytest.raises(ChapterParameterError, match="shipped dataset"):
        check_chapter_parameters(dataset="mnist", queries_path=files["queries"])


def test_truncated_vecs_file_is_named(tmp_path):
    bad = tmp_path / "bad.fvecs"
    bad.write_bytes(np.array([4], dtype=np.int32).tobytes() + b"\0" * 10)
    with pytest.raises(ChapterParameterError, match="not a valid .fvecs"):
        vector_file_shape(bad)


def test_papermill_error_is_reduced_to_the_sentence():
    class FakePapermillError(Exception):
        ename = "ChapterParameterError"
        evalue = "bits must be positive multiples of 8 (codes are whole bytes), got 12"

    assert parameter_error_message(FakePapermillError("long traceback")) == f"ChapterParameterError: {FakePapermillError.evalue}"
    assert parameter_error_message(RuntimeError("other")) is None


def test_chapter_run_with_a_missing_file_stops_in_its_first_cells_with_one_line(tmp_path):
    with pytest.raises(ChapterParameterError) as info:
        run_chapter("01_evaluation", {"dataset": str(tmp_path / "missing.fvecs")}, output_dir=tmp_path, size="ci")
    message = str(info.value)
    assert message.startswith("01_evaluation: ") and "missing.fvecs" in message and "does not exist" in message
    assert "Traceback" not in message and "\n" not in message
    assert not isinstance(info.value, BookBuildError)  # a user error: status 2 from the command
    executed = (tmp_path / "01_evaluation.ipynb").read_text()
    assert "does not exist" in executed
