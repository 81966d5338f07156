"""A chapter's size against the paper's protocol: the protocol, reduced (and how), or not comparable."""

import pytest

from sigah.data import load_dataset
from sigah.studies.scale import REFERENCES, chapter_scale, retrieval_differences, scale_paragraph
from sigah.studies.timing import optimiser_steps

ABLATIONS = {"dataset": "mnist", "queries_path": None, "second_dataset": "siftsmall", "n_queries": 1000,
             "n_database": None, "n_train": 5000, "k": 1000, "second_k": 100, "sigah_params": {"min_steps": 600}}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_references_match_the_shipped_files(name):
    data = load_dataset(name)
    ref = REFERENCES[name]
    assert data.n == ref.n_vectors
    assert (None if data.queries is None else data.queries.shape[0]) == ref.own_queries


def test_the_full_protocol_has_no_difference():
    assert retrieval_differences("mnist", n_queries=1000, k=1000, sigah_params={}, sgh_iterations=5000) == []
    assert retrieval_differences("siftsmall", n_queries=1000, k=100, sigah_params={}) == []  # own queries kept


def test_each_reduced_size_is_named_with_both_counts():
    found = retrieval_differences("mnist", n_queries=500, n_database=20_000, n_train=5000, k=100,
                                  sigah_params={"min_steps": 600}, sgh_iterations=1000)
    steps = optimiser_steps("sigah", 5000, {"min_steps": 600})
    full = optimiser_steps("sigah", 69_000)
    assert found == ["500 of 1,000 queries", "20,000 of 69,000 database vectors",
                     "5,000 of 69,000 training vectors", f"{steps:,} of {full:,} SiGAH optimiser steps",
                     "1,000 of 5,000 SGH iterations", "K = 100 true neighbours where the protocol uses 1,000"]


def test_a_readers_file_has_no_reference():
    assert retrieval_differences("/data/mine.fvecs", n_queries=10) is None
    scale = chapter_scale("09_ablations", ABLATIONS | {"dataset": "/data/mine.fvecs"})
    assert scale.status == "not comparable" and not scale.reduced
    assert "not comparable" in scale.summary()


def test_ablation_chapters_say_reduced_on_each_dataset():
    scale = chapter_scale("09_ablations", ABLATIONS)
    assert scale.reduced
    assert scale.differences[0].startswith("MNIST: 5,000 of 69,000 training vectors, 600 of 5,400 SiGAH")
    assert scale.differences[1].startswith("SIFT10K: 5,000 of 10,000 training vectors, 600 of 5,000 SiGAH")
    assert not any("K =" in phrase for phrase in scale.differences)  # each dataset at its protocol's K
    assert chapter_scale("10_reconstruction", ABLATIONS) == scale
    one_k = chapter_scale("09_ablations", {k: v for k, v in ABLATIONS.items() if k != "second_k"})
    assert "K = 1,000 true neighbours where the protocol uses 100" in one_k.differences[1]


def test_ablation_chapters_at_the_protocol():
    full = ABLATIONS | {"n_train": None, "sigah_params": {}, "second_dataset": None}
    assert chapter_scale("09_ablations", full).status == "protocol"
    assert chapter_scale("09_ablations", full).summary() == "the paper's protocol"
    # one dataset: no name prefix
    one = chapter_scale("09_ablations", full | {"n_train": 5000})
    assert one.differences[0].startswith("5,000 of 69,000 training vectors")


def test_deep_features_chapter():
    params = {"features_path": None, "train_size": None, "n_queries": 1000, "n_train": 5000,
              "sigah_epochs": None, "sgh_iterations": 1000}
    scale = chapter_scale("11_deep_features", params)
    assert scale.reduced
    assert "1,000 of 10,000 test images as queries" in scale.differences
    assert "1,000 of 5,000 SGH iterations" in scale.differences
    full = params | {"n_queries": None, "n_train": None, "sgh_iterations": 5000}
    assert chapter_scale("11_deep_features", full).status == "protocol"
    share = chapter_scale("11_deep_features", params | {"sigah_min_steps": 1000})
    assert "1,000 of 5,170 SiGAH optimiser steps" in share.differences  # about the share of SGH's
    assert "5,000 of 5,170 SiGAH optimiser steps" in chapter_scale("11_deep_features", params).differences
    assert chapter_scale("11_deep_features", params | {"features_path": "f.npy"}).status == "not comparable"


def test_chapters_without_a_protocol():
    assert chapter_scale("03_compressed_sensing", {}).status == "not comparable"
    assert chapter_scale("appendix_sigah_defaults", {}).status == "not comparable"


def test_paragraph_reads_as_the_scale():
    reduced = scale_paragraph("09_ablations", ABLATIONS, restore="Run `x` for the protocol.")
    assert "**Size of this run: reduced**" in reduced and reduced.endswith("Run `x` for the protocol.")
    assert "600 of 5,400 SiGAH optimiser steps" in reduced
    full = ABLATIONS | {"n_train": None, "sigah_params": {}, "second_dataset": None}
    assert "the paper's protocol" in scale_paragraph("09_ablations", full)


def test_protocol_sigah_steps():
    from sigah.studies.scale import protocol_sigah_steps

    assert protocol_sigah_steps("mnist", 3000) == optimiser_steps("sigah", 69_000) == 5400
    assert protocol_sigah_steps("/my/file.npy", 3000) == optimiser_steps("sigah", 3000)


def test_chapter_13_is_reduced_to_the_code_lengths_it_runs():
    params = {"dataset": "mnist", "n_queries": 1000, "n_database": None, "k": 1000, "sgh_iter": 5000,
              "bits": 32}
    scale = chapter_scale("13_further_claims", params)
    assert scale.status == "reduced" and scale.differences[-1] == "32 bits of the paper's 32 and 64"
    both = chapter_scale("13_further_claims", {**params, "bits": [32, 64]})
    assert "bits" not in " ".join(both.differences)


def test_chapter_12_says_why_it_is_not_compared():
    assert "beyond the paper" in chapter_scale("12_search", {}).summary()


def test_further_claims_chapter_reports_the_shared_fifth_of_the_schedules():
    params = {"dataset": "mnist", "n_queries": 1000, "n_database": None, "n_train": None, "k": 1000, "bits": 32,
              "sgh_iter": 1000, "sigah_epochs": 4, "sigah_min_steps": 1000}
    scale = chapter_scale("13_further_claims", params)
    assert scale.differences == ["1,080 of 5,400 SiGAH optimiser steps, 1,000 of 5,000 SGH iterations",
                                 "32 bits of the paper's 32 and 64"]
    full = params | {"sgh_iter": 5000, "sigah_epochs": None, "sigah_min_steps": None, "bits": [32, 64]}
    assert chapter_scale("13_further_claims", full).status == "protocol"


def test_method_params_take_a_floor_of_steps():
    from sigah.studies.retrieval import method_params

    assert method_params(sgh_iter=1, ba_iter=1, och_steps=1, sigah_epochs=4, sigah_min_steps=1000)["sigah"] == {
        "progress": False, "epochs": 4, "min_steps": 1000}
    assert method_params(sgh_iter=1, ba_iter=1, och_steps=1)["sigah"] == {"progress": False}


def test_deep_features_scale_counts_the_steps_the_chapter_runs():
    from sigah.studies.retrieval import method_params
    from sigah.studies.timing import optimiser_steps

    for epochs, floor in ((3, 0), (None, 1000), (None, None), (2, 500)):
        params = {"features_path": None, "train_size": 6000, "n_queries": 200, "n_train": 1000,
                  "sigah_epochs": epochs, "sigah_min_steps": floor, "sgh_iterations": 200}
        run = method_params(sgh_iter=200, ba_iter=30, och_steps=300, sigah_epochs=epochs, sigah_min_steps=floor)
        steps = optimiser_steps("sigah", 1000, run["sigah"])
        phrase = f"{steps:,} of {optimiser_steps('sigah', 60_000):,} SiGAH optimiser steps"
        assert phrase in chapter_scale("11_deep_features", params).differences
