"""CNN feature extractors on tiny data: shapes, determinism, save and load, the cache."""

import numpy as np
import pytest

import sigah.studies.features as features_module
from sigah.studies.features import (
    NETWORKS,
    build_network,
    cached_features,
    extract_features,
    feature_paths,
    load_features,
    save_features,
)

FEATURE_DIMS = {"tiny": 32, "lenet5": 84, "wide": 256, "resnet": 64}


@pytest.fixture(scope="module")
def images():
    """Two classes a network can tell apart: bright top half or bright bottom half, plus noise."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 96)
    pictures = rng.integers(0, 60, size=(96, 16, 16)).astype(np.uint8)  # small images keep the tests quick
    for i, label in enumerate(labels):
        pictures[i, (0 if label == 0 else 8):(8 if label == 0 else 16)] += 180
    return pictures[:64], labels[:64], pictures[64:], labels[64:]


@pytest.mark.parametrize("network", list(NETWORKS))
def test_each_network_gives_penultimate_features_of_its_width(images, network):
    train, train_labels, test, test_labels = images
    got = extract_features(network, train, train_labels, test, test_labels, epochs=1, batch_size=32, seed=0)
    assert got.train_features.shape == (64, FEATURE_DIMS[network]) and got.train_features.dtype == np.float32
    assert got.test_features.shape == (32, FEATURE_DIMS[network]) and got.dim == FEATURE_DIMS[network]
    np.testing.assert_array_equal(got.train_labels, train_labels)
    assert np.all(np.isfinite(got.train_features)) and 0 <= got.test_accuracy <= 1
    model = build_network(network, (16, 16, 1), 2)
    assert got.n_parameters == model.count_params() and model.get_layer("features").output.shape[-1] == got.dim


def test_same_seed_same_features_other_seed_other_features(images):
    train, train_labels, test, test_labels = images
    run = lambda seed: extract_features("lenet5", train, train_labels, test, test_labels,  # noqa: E731
                                        epochs=2, batch_size=16, seed=seed)
    first, again, other = run(3), run(3), run(4)
    np.testing.assert_array_equal(first.test_features, again.test_features)
    np.testing.assert_array_equal(first.train_features, again.train_features)
    assert not np.allclose(first.test_features, other.test_features)


def test_a_network_learns_the_easy_task(images):
    train, train_labels, test, test_labels = images
    got = extract_features("wide", train, train_labels, test, test_labels, epochs=8, batch_size=16, seed=0)
    assert got.test_accuracy > 0.8  # chance is about 0.5


def test_save_load_round_trip_and_cache(images, tmp_path, monkeypatch):
    train, train_labels, test, test_labels = images
    got, paths = cached_features("tiny", train, train_labels, test, test_labels, cache_dir=tmp_path,
                                 epochs=1, batch_size=32, seed=0)
    assert set(paths) == {"train_features", "train_labels", "test_features", "test_labels", "meta"}
    np.testing.assert_array_equal(np.load(paths["test_features"]), got.test_features)
    np.testing.assert_array_equal(np.load(paths["train_labels"]), train_labels)

    def no_training(*args, **kwargs):
        raise AssertionError("the cache should have answered")

    monkeypatch.setattr(features_module, "extract_features", no_training)
    cached, cached_paths = cached_features("tiny", train, train_labels, test, test_labels, cache_dir=tmp_path,
                                           epochs=1, batch_size=32, seed=0)
    assert cached_paths == paths and cached.test_accuracy == got.test_accuracy
    np.testing.assert_array_equal(cached.train_features, got.train_features)
    with pytest.raises(AssertionError, match="cache should have answered"):  # other settings: a new key
        cached_features("tiny", train, train_labels, test, test_labels, cache_dir=tmp_path, epochs=2,
                        batch_size=32, seed=0)

    store_root = tmp_path / "store"  # no cache_dir: features/ in the store of runs ($SIGAH_CACHE)
    monkeypatch.setenv("SIGAH_CACHE", str(store_root))
    monkeypatch.setattr(features_module, "extract_features", lambda *a, **k: got)
    _, default_paths = cached_features("tiny", train, train_labels, test, test_labels, epochs=1, batch_size=32,
                                       seed=0)
    assert default_paths["meta"].parent.parent == store_root / "features"
    assert default_paths["meta"].parent.name == paths["meta"].parent.name  # same inputs, same key

    # the features module's code is part of the key
    monkeypatch.setattr(features_module, "method_source_hash", lambda module, **kw: "edited " + module)
    _, edited_paths = cached_features("tiny", train, train_labels, test, test_labels, epochs=1, batch_size=32,
                                      seed=0)
    assert edited_paths["meta"].parent != default_paths["meta"].parent

    folder = tmp_path / "copy"
    written = save_features(got, folder)
    assert written == feature_paths(folder, "tiny")
    loaded = load_features(folder, "tiny")
    assert loaded.n_parameters == got.n_parameters and loaded.train_seconds == got.train_seconds
    written["test_labels"].unlink()
    with pytest.raises(FileNotFoundError, match="tiny_test_labels.npy is missing"):
        load_features(folder, "tiny")
    assert not list(folder.glob(".*.tmp"))  # atomic writes leave no temporary files


@pytest.mark.parametrize(
    "change, message",
    [
        ({"network": "vgg"}, "network"),
        ({"train_images": np.zeros((4, 28), np.uint8)}, "images of shape"),
        ({"test_images": np.zeros((4, 20, 20), np.uint8)}, "must match"),
        ({"train_labels": np.full(64, -1)}, "non-negative integer class ids"),
        ({"epochs": 0}, "epochs"),
    ],
)
def test_bad_inputs_are_named(images, change, message):
    train, train_labels, test, test_labels = images
    arguments = {"network": "tiny", "train_images": train, "train_labels": train_labels, "test_images": test,
                 "test_labels": test_labels} | change
    with pytest.raises(ValueError, match=message):
        extract_features(**arguments)
