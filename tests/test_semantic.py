"""The label-based protocol: test-split queries, training-split database, label scores in the records."""

import dataclasses
import json

import numpy as np
import pytest

from sigah.tools.cli import main
from sigah.codes import hamming_distances
from sigah.store import RunStore
from sigah.studies import experiments
from sigah.studies.experiments import RECORD_COLUMNS, evaluate_hasher, ground_truth_for, label_columns, run_grid
from sigah.hashers import make_hasher
from sigah.metrics import label_average_precision_at_k, label_map_at_k
from sigah.studies.semantic import labelled_protocol, protocol_from_feature_files


def clustered(n, rng, centres):
    """Points around class centres, so that codes can rank same-label items first."""
    labels = rng.integers(0, len(centres), n)
    return (centres[labels] + 0.6 * rng.standard_normal((n, centres.shape[1]))).astype(np.float32), labels


@pytest.fixture(scope="module")
def splits():
    rng = np.random.default_rng(0)
    centres = 2.0 * rng.standard_normal((4, 20))
    train, train_labels = clustered(1500, rng, centres)
    test, test_labels = clustered(300, rng, centres)
    return train, train_labels, test, test_labels


def test_queries_come_from_the_test_split_and_the_database_is_the_training_split(splits):
    train, train_labels, test, test_labels = splits
    protocol = labelled_protocol(train, train_labels, test, test_labels, n_queries=50, n_train=400, seed=3)
    assert protocol.n_queries == 50 and protocol.n_database == 1500 and protocol.n_train == 400
    np.testing.assert_array_equal(protocol.queries, test[protocol.query_index])
    np.testing.assert_array_equal(protocol.query_labels, test_labels[protocol.query_index])
    np.testing.assert_array_equal(protocol.database, train)
    np.testing.assert_array_equal(protocol.database_labels, train_labels)
    np.testing.assert_array_equal(protocol.train, train[protocol.train_index])
    assert len(set(protocol.query_index.tolist())) == 50 and len(set(protocol.train_index.tolist())) == 400
    again = labelled_protocol(train, train_labels, test, test_labels, n_queries=50, n_train=400, seed=3)
    np.testing.assert_array_equal(again.query_index, protocol.query_index)
    np.testing.assert_array_equal(again.train_index, protocol.train_index)
    other = labelled_protocol(train, train_labels, test, test_labels, n_queries=50, n_train=400, seed=4)
    assert not np.array_equal(other.query_index, protocol.query_index)
    everything = labelled_protocol(train, train_labels, test, test_labels)
    assert everything.n_queries == 300 and everything.train is everything.database
    assert "300 test queries" in everything.description


@pytest.mark.parametrize(
    "change, message",
    [
        ({"test_features": np.zeros((300, 5), np.float32)}, "dimension 20, test features 5"),
        ({"train_labels": np.zeros(7, np.int64)}, "7 labels for 1500 vectors"),
        ({"test_labels": np.full(300, 0.5)}, "integer class ids"),
        ({"n_queries": 301}, "n_queries must be in"),
        ({"n_train": 0}, "n_train must be in"),
    ],
)
def test_bad_splits_are_named(splits, change, message):
    train, train_labels, test, test_labels = splits
    arguments = {"train_features": train, "train_labels": train_labels, "test_features": test,
                 "test_labels": test_labels} | change
    with pytest.raises(ValueError, match=message):
        labelled_protocol(**arguments)


def test_records_gain_label_scores_equal_to_the_brute_force_ones(splits):
    train, train_labels, test, test_labels = splits
    protocol = labelled_protocol(train, train_labels, test, test_labels, n_queries=40, seed=1)
    itq = make_hasher("itq", 16, seed=0)
    record = evaluate_hasher(itq, protocol, ground_truth_for(protocol, 20, cache_dir=None))
    assert list(record)[: len(RECORD_COLUMNS)] == list(RECORD_COLUMNS)
    assert set(record) - set(RECORD_COLUMNS) == {"label_map_at_1000", "label_precision_at_100"}
    distances = hamming_distances(itq.encode(protocol.queries), itq.encode(protocol.database))
    assert record["label_map_at_1000"] == pytest.approx(
        label_map_at_k(distances, protocol.query_labels, protocol.database_labels, 1000))
    # label P@100, an expectation over tie orders, lies between the brute-force values of the two
    # extreme orders: same-label items first, or last, inside every Hamming shell
    same = protocol.query_labels[:, None] == protocol.database_labels[None, :]
    lows, highs = [], []
    for q in range(40):
        order_first = np.lexsort((~same[q], distances[q]))
        order_last = np.lexsort((same[q], distances[q]))
        highs.append(same[q, order_first[:100]].mean())
        lows.append(same[q, order_last[:100]].mean())
    assert np.mean(lows) - 1e-12 <= record["label_precision_at_100"] <= np.mean(highs) + 1e-12
    # the clusters are label-pure, so codes must beat the chance level of 1/4 clearly
    assert record["label_map_at_1000"] > 0.5
    stable = label_average_precision_at_k(distances, protocol.query_labels, protocol.database_labels, 1000, "stable")
    assert abs(stable.mean() - record["label_map_at_1000"]) < 0.05  # ties move the stable value only a little


def test_run_grid_keeps_the_label_columns(splits):
    train, train_labels, test, test_labels = splits
    protocol = labelled_protocol(train[:600], train_labels[:600], test, test_labels, n_queries=30, seed=0)
    records = run_grid(protocol, ["lsh", "itq"], [8], k=10, cache_dir=None, progress=False)
    # a database of 600 is scored at mAP@600, and the column says so
    assert list(records.columns) == [*RECORD_COLUMNS, "label_map_at_600", "label_precision_at_100"]
    assert records["label_map_at_600"].between(0, 1 + 1e-12).all()  # round-off of an exact 1


def test_a_labelled_record_is_read_back_from_the_store_with_its_label_scores(splits, tmp_path, monkeypatch):
    train, train_labels, test, test_labels = splits
    protocol = labelled_protocol(train[:600], train_labels[:600], test, test_labels, n_queries=30, seed=0)
    assert label_columns(protocol) == {"label_map_at_600", "label_precision_at_100"}
    store = RunStore(tmp_path / "store")
    first = run_grid(protocol, ["itq"], [8], k=10, cache_dir=None, progress=False, store=store)

    def evaluated_again(*args, **kwargs):
        raise AssertionError("a stored labelled record was scored again")

    monkeypatch.setattr(experiments, "evaluate_hasher", evaluated_again)
    again = run_grid(protocol, ["itq"], [8], k=10, cache_dir=None, progress=False, store=store)
    assert again["from_store"].all() and not first["from_store"].any()
    assert again["label_map_at_600"].tolist() == first["label_map_at_600"].tolist()
    relabelled = dataclasses.replace(protocol, query_labels=(protocol.query_labels + 1) % 10)
    monkeypatch.undo()
    changed = run_grid(relabelled, ["itq"], [8], k=10, cache_dir=None, progress=False, store=store)
    fresh = run_grid(relabelled, ["itq"], [8], k=10, cache_dir=None, progress=False, store=None)
    assert changed["label_map_at_600"].tolist() == fresh["label_map_at_600"].tolist()  # not the old labels' score
    assert changed["label_map_at_600"].iloc[0] != first["label_map_at_600"].iloc[0]
    assert label_columns(dataclasses.replace(protocol, query_labels=None, database_labels=None)) == set()


def test_feature_files_and_the_command_line(splits, tmp_path, capsys):
    train, train_labels, test, test_labels = splits
    for name, array in (("train", train), ("train_labels", train_labels), ("test", test), ("test_labels", test_labels)):
        np.save(tmp_path / f"{name}.npy", array)
    paths = [str(tmp_path / f"{name}.npy") for name in ("train", "train_labels", "test", "test_labels")]
    protocol = protocol_from_feature_files(*paths, n_queries=25, seed=2)
    assert protocol.n_queries == 25 and protocol.name == "train"
    np.testing.assert_array_equal(protocol.query_labels, test_labels[protocol.query_index])

    argv = ["evaluate", "--data", paths[0], "--labels", paths[1], "--queries", paths[2], "--query-labels", paths[3],
            "--methods", "itq", "--bits", "16", "--k", "20", "--format", "json"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out.splitlines()[0])
    itq = make_hasher("itq", 16, seed=0).fit(train)
    distances = hamming_distances(itq.encode(test), itq.encode(train))
    assert record["label_map_at_1000"] == pytest.approx(label_map_at_k(distances, test_labels, train_labels, 1000))
    # random queries drawn from a labelled file: both sides have labels, so the table shows the columns
    assert main(["evaluate", "--data", paths[0], "--labels", paths[1], "--n-queries", "20", "--k", "10",
                 "--methods", "lsh", "--bits", "8"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header[-2:] == ["label_map_at_1000", "label_precision_at_100"]
    assert main(["evaluate", "--data", paths[0], "--query-labels", paths[3], "--methods", "lsh", "--bits", "8"]) == 2
    assert "--query-labels needs --queries" in capsys.readouterr().err
