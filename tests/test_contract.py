"""One contract for every registered hashing method (scikit-learn's estimator habits).

Every method in :data:`sigah.hashers.METHODS` is checked on the same small clustered data with
settings small enough to train in a second or two: clone, fit returns self, determinism, the
save/load round trip, the packed code layout, clear errors on bad input and on bad
hyper-parameters, and a get_params/set_params round trip.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone

from sigah.codes import unpack_bits
from sigah.hashers import METHODS, Hasher, NotFittedError, get_hasher_class
from sigah.hashers.base import collapse_report
from sigah.hashers.lsh import LSH

D = 16  # data dimension; every method can code it with 16 bits (QoLSH needs n_bits >= d, ITQ/BA/OCH n_bits <= d)
N_BITS = 16

#: hyper-parameters that make each method train in about a second on 300 points
TINY = {
    "lsh": {},
    "itq": {"n_iter": 5},
    "sph": {"max_iter": 20},
    "ba": {"n_iter": 3},
    "sgh": {"n_iter": 30, "batch_size": 50},
    "och": {"n_landmarks": 32, "n_near": 8, "n_sample": 300, "batch_size": 64, "n_steps": 10},
    "qolsh": {"max_flips": 8},
    "sigah": {"epochs": 1, "min_steps": 0, "batch_size": 64, "progress": False},
}


def test_every_registered_method_has_tiny_settings():
    assert set(TINY) == set(METHODS)


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    """300 points in 6 Gaussian clusters, shifted away from the origin (not centred on purpose)."""
    rng = np.random.default_rng(0)
    centres = rng.normal(0.0, 4.0, (6, D))
    X = centres[rng.integers(0, 6, 300)] + rng.normal(0.0, 1.0, (300, D)) + 3.0
    return X.astype(np.float32)


def make(name: str, seed: int = 0, **extra) -> Hasher:
    return get_hasher_class(name)(n_bits=N_BITS, seed=seed, **{**TINY[name], **extra})


def fit_quietly(model: Hasher, X: np.ndarray) -> Hasher:
    with warnings.catch_warnings():  # convergence notes of SpH's tiny iteration budget are not the point here
        warnings.simplefilter("ignore", RuntimeWarning)
        return model.fit(X)


@pytest.fixture(scope="module")
def fitted(data):
    """One fitted model per method, shared by the read-only checks."""
    return {name: fit_quietly(make(name), data) for name in METHODS}


@pytest.mark.parametrize("name", list(METHODS))
def test_clone_gives_an_unfitted_copy_with_the_same_parameters(name, fitted, data):
    model = fitted[name]
    copy = clone(model)
    assert type(copy) is type(model)
    assert copy.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        copy.encode(data[:3])


@pytest.mark.parametrize("name", list(METHODS))
def test_fit_returns_self_and_leaves_the_constructor_arguments_untouched(name, data):
    model = make(name, seed=np.int64(3))  # a NumPy integer must not be rewritten into a Python int
    model.n_bits = np.int64(N_BITS)
    before = model.get_params()
    assert fit_quietly(model, data) is model
    after = model.get_params()
    assert after.keys() == before.keys()
    for key, value in before.items():
        assert after[key] is value, f"fit rewrote {key}: {value!r} -> {after[key]!r}"


@pytest.mark.parametrize("name", list(METHODS))
def test_same_seed_gives_the_same_codes(name, fitted, data):
    again = fit_quietly(make(name), data)
    np.testing.assert_array_equal(again.encode(data), fitted[name].encode(data))


@pytest.mark.parametrize("name", list(METHODS))
def test_save_load_round_trip_gives_identical_codes(name, fitted, data, tmp_path):
    model = fitted[name]
    path = model.save(tmp_path / f"{name}.npz")
    loaded = Hasher.load(path)
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.encode(data), model.encode(data))


@pytest.mark.parametrize("name", list(METHODS))
def test_packed_layout(name, fitted, data):
    model = fitted[name]
    codes = model.encode(data)
    bits = model.encode_bits(data)
    assert codes.dtype == np.uint8 and codes.shape == (len(data), N_BITS // 8)
    assert bits.dtype == bool and bits.shape == (len(data), N_BITS)
    np.testing.assert_array_equal(unpack_bits(codes, N_BITS), bits)


@pytest.mark.parametrize("name", list(METHODS))
def test_bad_input_gets_a_clear_error(name, fitted, data):
    model = fitted[name]
    with pytest.raises(ValueError, match=f"X has {D + 1} features per row but the model was fitted on {D}"):
        model.encode(np.zeros((3, D + 1), np.float32))
    with_nan = data[:5].copy()
    with_nan[2, 4] = np.nan
    for call in (model.encode, make(name).fit):
        with pytest.raises(ValueError, match=re.escape("X contains NaN or infinite values: 1 of them, first at index (2, 4)")):
            call(with_nan)
        with pytest.raises(ValueError, match="X must be non-empty"):
            call(np.zeros((0, D), np.float32))
        with pytest.raises(ValueError, match="X must be a 2-D array"):
            call(data[0])
    if hasattr(model, "project"):  # the real-valued projections validate like encode
        with pytest.raises(ValueError, match="features per row"):
            model.project(np.zeros((3, D - 1), np.float32))
        with pytest.raises(ValueError, match="NaN"):
            model.project(with_nan)


@pytest.mark.parametrize("name", list(METHODS))
def test_get_params_set_params_round_trip(name):
    cls = get_hasher_class(name)
    params = make(name, seed=5).get_params()
    assert list(params) == list(cls._get_param_names())
    other = cls()
    assert other.set_params(**params) is other
    assert other.get_params() == params
    with pytest.raises(ValueError, match="'no_such_parameter' is not a parameter of"):
        other.set_params(no_such_parameter=1)


def bad_values(default):
    """Values of the wrong kind or out of range for a parameter whose default is ``default``."""
    if isinstance(default, bool):
        return ["yes", 1]
    if isinstance(default, int):
        return [-1, 2.5, True]
    if isinstance(default, float):
        return [-1.0, True, "0.1", float("nan")]
    if isinstance(default, str):
        return ["no-such-choice", 3]
    return []  # None defaults (derived values): their checks are covered through their kind elsewhere


def bad_cases():
    for name in METHODS:
        for param, default in get_hasher_class(name)().get_params().items():
            for value in bad_values(default):
                yield pytest.param(name, param, value, id=f"{name}-{param}={value!r}")


@pytest.mark.parametrize(("name", "param", "value"), list(bad_cases()))
def test_bad_hyper_parameter_gets_an_error_naming_it(name, param, value, data):
    model = make(name).set_params(**{param: value})
    with pytest.raises(ValueError, match=rf"\b{param}\b"):
        model.fit(data)


def test_collapsed_codes_warn_naming_the_method_and_bits(data):
    far = data + 1000.0  # uncentred LSH on data far from the origin: every projection has the mean's sign
    with pytest.warns(RuntimeWarning, match=r"LSH \('lsh', 16 bits\).*collapsed.*bits take one value"):
        LSH(n_bits=16, center=False).fit(far)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        LSH(n_bits=16).fit(far)  # centred: balanced bits, no warning


def test_collapse_report_counts_constant_bits_and_distinct_codes():
    rng = np.random.default_rng(1)
    bits = rng.random((1000, 16)) < 0.5
    assert collapse_report(bits) == ""
    bits[:, 3] = bits[:, 9] = True
    bits[:5, 9] = False  # 0.5 % of the points: still constant beyond 99 %
    assert "2 of 16 bits" in collapse_report(bits) and "bits 3, 9" in collapse_report(bits)
    same = np.tile(rng.random((1, 16)) < 0.5, (1000, 1))
    same[0] = ~same[0]  # 2 distinct codes: every bit is constant on 99.9 % and codes collapse
    report = collapse_report(same, rng.random((1000, 4)))
    assert "16 of 16 bits" in report and "only 2 distinct codes for 1000 distinct training points" in report
    # duplicated points cannot have more distinct codes than distinct rows: no false alarm
    X = np.repeat(rng.random((4, 3)), 250, axis=0)
    codes = np.repeat(rng.random((4, 8)) < 0.5, 250, axis=0)
    codes[:, 0] = [True, False] * 500  # keep every bit balanced
    assert "distinct" not in collapse_report(codes, X)
