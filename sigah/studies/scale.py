"""How a chapter's run compares in size with the paper's protocol: the protocol, or "reduced" and how.

The book's headline chapter (*Retrieval quality*) runs the paper's MNIST protocol as the book reads
it: 1,000 random queries, the other 69,000 images as database and training set, K = 1,000 true
neighbours, and every method at its full schedule (SiGAH's class defaults, about 5,400 optimiser
steps on 69,000 vectors; SGH's 5,000 iterations). SIFT10K is run with its own 100 queries, its
10,000 base vectors as database and training set and K = 100. Several chapters run many more fits
and are sized below that. :func:`chapter_scale` reads a chapter's parameters and says which: the
chapter's own first paragraph and the *Build status* page both call it, so they cannot disagree.

Only the sizes that change what a number means are compared: queries, database and training
vectors, K, and the optimiser steps of the methods with a step schedule. Seeds (``repeats``) and
the grids a chapter sweeps are its design, not its size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sigah.studies.timing import optimiser_steps

__all__ = ["Reference", "REFERENCES", "Scale", "chapter_scale", "protocol_sigah_steps", "retrieval_differences",
           "scale_paragraph"]


@dataclass(frozen=True)
class Reference:
    """A shipped dataset at the protocol of chapter *Retrieval quality*.

    Attributes
    ----------
    display : str
        The dataset's name in prose.
    n_vectors : int
        Vectors in the shipped file (queries drawn from them when it has none of its own).
    own_queries : int or None
        Queries shipped with the dataset (used as they are), or None.
    n_queries : int
        Queries of the protocol.
    k : int
        True neighbours per query of the protocol.
    """

    display: str
    n_vectors: int
    own_queries: int | None
    n_queries: int
    k: int

    @property
    def n_database(self) -> int:
        """Database (and training) vectors of the protocol."""
        return self.n_vectors if self.own_queries else self.n_vectors - self.n_queries


#: the protocol of each shipped dataset (the test suite checks the counts against the files)
REFERENCES = {
    "mnist": Reference("MNIST", 70_000, None, 1_000, 1_000),
    "siftsmall": Reference("SIFT10K", 10_000, 100, 100, 100),
}

#: SGH's iterations at the protocol (the authors' script, and the class default)
SGH_ITERATIONS = 5_000


@dataclass(frozen=True)
class Scale:
    """A chapter's size against the protocol.

    Attributes
    ----------
    status : {"protocol", "reduced", "not comparable"}
        ``"not comparable"`` for a chapter that runs no retrieval protocol (synthetic signals) or runs
        on a reader's own data, which has no protocol to compare with.
    differences : list of str
        How each reduced size differs, e.g. ``"5,000 of 69,000 training vectors"``, prefixed by the
        dataset when a chapter runs on several.
    note : str
        Why a chapter is not comparable ("" otherwise).
    """

    status: str
    differences: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def reduced(self) -> bool:
        return self.status == "reduced"

    def summary(self) -> str:
        """One line for the *Build status* page: ``"reduced: …"``, ``"the paper's protocol"`` or why not."""
        if self.status == "reduced":
            return "reduced: " + "; ".join(self.differences)
        if self.status == "protocol":
            return "the paper's protocol"
        return f"not comparable ({self.note})"


def _of(part: int, whole: int, noun: str) -> str | None:
    """``"5,000 of 69,000 training vectors"`` when ``part`` falls short of ``whole``, else None."""
    return None if part >= whole else f"{part:,} of {whole:,} {noun}"


def protocol_sigah_steps(dataset: str, n_database: int) -> int:
    """SiGAH's optimiser steps at its class defaults on the protocol's training set.

    Parameters
    ----------
    dataset : str
        A shipped dataset (its protocol's database is the training set) or any other name.
    n_database : int
        The run's database, taken as the whole training set for a dataset without a reference.
    """
    ref = REFERENCES.get(str(dataset).lower())
    return int(optimiser_steps("sigah", ref.n_database if ref else int(n_database)))


def retrieval_differences(
    dataset: str,
    *,
    n_queries: int | None = None,
    n_database: int | None = None,
    n_train: int | None = None,
    k: int | None = None,
    sigah_params: Mapping[str, Any] | None = None,
    sgh_iterations: int | None = None,
) -> list[str] | None:
    """How a run of the retrieval protocol on a shipped dataset falls short of the full protocol.

    Parameters
    ----------
    dataset : str
        A shipped dataset's name (``"mnist"``, ``"siftsmall"``); anything else (a reader's file) has
        no reference and returns None.
    n_queries, n_database, n_train, k : int or None
        As in :func:`sigah.data.make_protocol` (None: the protocol's value, all the rest, the whole
        database). ``n_queries`` is ignored on a dataset with its own queries, as the protocol does.
        ``k`` None means the run computes no Euclidean ground truth (not compared).
    sigah_params : mapping, optional
        SiGAH's constructor arguments in the run (None: SiGAH is not run; ``{}``: its defaults).
    sgh_iterations : int, optional
        SGH's iterations in the run (None: SGH is not run).

    Returns
    -------
    list of str or None
        One phrase per reduced size (empty: the protocol); None without a reference.
    """
    ref = REFERENCES.get(str(dataset).lower())
    if ref is None:
        return None
    out: list[str | None] = []
    queries = ref.own_queries or ref.n_queries
    if not ref.own_queries and n_queries is not None:
        out.append(_of(int(n_queries), queries, "queries"))
    database = ref.n_database if n_database is None else min(int(n_database), ref.n_database)
    out.append(_of(database, ref.n_database, "database vectors"))
    train = database if n_train is None else min(int(n_train), database)
    out.append(_of(train, ref.n_database, "training vectors"))
    if sigah_params is not None:
        steps = optimiser_steps("sigah", train, sigah_params)
        full = optimiser_steps("sigah", ref.n_database)
        out.append(_of(steps, full, "SiGAH optimiser steps"))
    if sgh_iterations is not None:
        out.append(_of(int(sgh_iterations), SGH_ITERATIONS, "SGH iterations"))
    if k is not None and int(k) != ref.k:
        out.append(f"K = {int(k):,} true neighbours where the protocol uses {ref.k:,}")
    return [phrase for phrase in out if phrase]


def _on_datasets(datasets: list[str], sizes: Callable[[str], list[str] | None]) -> Scale:
    """The differences on each dataset, prefixed by its name when there are several."""
    phrases = []
    for name in datasets:
        found = sizes(name)
        if found is None:
            return Scale("not comparable", note=f"{name!r} is not a shipped dataset with a reference protocol")
        ref = REFERENCES[str(name).lower()]
        prefix = f"{ref.display}: " if len(datasets) > 1 else ""
        if found:
            phrases.append(prefix + ", ".join(found))
    return Scale("reduced", phrases) if phrases else Scale("protocol")


def _ablation_scale(params: Mapping[str, Any]) -> Scale:
    """Chapters 09-10: SiGAH on ``dataset`` (and ``second_dataset``), sized by the shared parameters.

    ``k`` is the first dataset's K and ``second_k`` the second's (``k`` for both when absent).
    """
    first = params.get("dataset", "mnist")
    datasets = [first] + ([params["second_dataset"]] if params.get("second_dataset") else [])
    if params.get("queries_path"):
        return Scale("not comparable", note="a query file of the reader's")
    ks = {first: params.get("k")}
    return _on_datasets(datasets, lambda name: retrieval_differences(
        name, n_queries=params.get("n_queries"), n_database=params.get("n_database"), n_train=params.get("n_train"),
        k=ks.get(name, params.get("second_k", params.get("k"))),
        sigah_params=dict(params.get("sigah_params") or {})))


def _deep_features_scale(params: Mapping[str, Any]) -> Scale:
    """Chapter 11: the label protocol of §5.6 on MNIST's official splits (60,000 training, 10,000 test)."""
    if params.get("features_path"):
        return Scale("not comparable", note="features of the reader's")
    training = 60_000 if params.get("train_size") is None else min(int(params["train_size"]), 60_000)
    train = training if params.get("n_train") is None else min(int(params["n_train"]), training)
    queries = 10_000 if params.get("n_queries") is None else min(int(params["n_queries"]), 10_000)
    sigah = _sigah_schedule(params)
    found = [
        _of(queries, 10_000, "test images as queries"),
        _of(training, 60_000, "training images as database"),
        _of(train, 60_000, "hasher training vectors"),
        _of(optimiser_steps("sigah", train, sigah), optimiser_steps("sigah", 60_000), "SiGAH optimiser steps"),
        _of(int(params.get("sgh_iterations", SGH_ITERATIONS)), SGH_ITERATIONS, "SGH iterations"),
    ]
    found = [phrase for phrase in found if phrase]
    return Scale("reduced", found) if found else Scale("protocol")


def _sigah_schedule(params: Mapping[str, Any]) -> dict[str, Any]:
    """SiGAH's schedule arguments from a chapter's parameters: ``sigah_params``, replaced by an explicit
    epoch count (``sigah_epochs`` or ``epochs``: exactly that many, no floor), then a
    ``sigah_min_steps`` floor when one is given."""
    sigah = dict(params.get("sigah_params") or {})
    for key in ("sigah_epochs", "epochs"):
        if params.get(key) is not None:
            sigah = {"epochs": int(params[key]), "min_steps": 0}
    if params.get("sigah_min_steps") is not None:
        sigah["min_steps"] = int(params["sigah_min_steps"])
    return sigah


def _table_scale(params: Mapping[str, Any]) -> Scale:
    """Chapters that run the retrieval protocol of chapter 07 (01, 02, 06, 07, 08)."""
    runs_sigah = any(key in params for key in ("sigah_epochs", "epochs", "sigah_min_steps"))
    sizes = {"n_queries": params.get("n_queries"), "n_database": params.get("n_database"),
             "n_train": params.get("n_train"), "k": params.get("k"), "sgh_iterations": params.get("sgh_iter"),
             "sigah_params": _sigah_schedule(params) if runs_sigah else None}
    if params.get("queries_path"):
        return Scale("not comparable", note="a query file of the reader's")
    return _on_datasets([params.get("dataset", "mnist")], lambda name: retrieval_differences(name, **sizes))


def _sigah_study_scale(params: Mapping[str, Any]) -> Scale:
    """Chapters 04-05: SiGAH fitted on MNIST for a fixed number of epochs, on a training subsample."""
    epochs = params.get("epochs")
    sigah = {} if epochs is None else {"epochs": int(epochs), "min_steps": 0}
    k = params.get("n_neighbours")
    return _on_datasets(["mnist"], lambda name: retrieval_differences(
        name, n_queries=params.get("n_queries"), n_database=params.get("n_database"), n_train=params.get("n_train"),
        k=k, sigah_params=sigah))


def _one_length_scale(params: Mapping[str, Any]) -> Scale:
    """Chapter 13: chapter 07's protocol at the code lengths it is given (the paper's: 32 and 64)."""
    scale = _table_scale(params)
    if scale.status == "not comparable":
        return scale
    bits = params.get("bits", 32)
    lengths = sorted({int(b) for b in (bits if isinstance(bits, (list, tuple)) else [bits])})
    missing = [b for b in (32, 64) if b not in lengths]
    if not missing:
        return scale
    words = " and ".join(str(b) for b in lengths)
    return Scale("reduced", [*scale.differences, f"{words} bits of the paper's 32 and 64"])


_SYNTHETIC = "synthetic signals, no retrieval protocol"
_CHAPTERS: dict[str, Callable[[Mapping[str, Any]], Scale]] = {
    "01_evaluation": _table_scale,
    "02_baselines": _table_scale,
    "03_compressed_sensing": lambda params: Scale("not comparable", note=_SYNTHETIC),
    "04_generator_bound": _sigah_study_scale,
    "05_energy_discriminator": _sigah_study_scale,
    "06_hash_learning": _table_scale,
    "07_retrieval_quality": _table_scale,
    "08_training_time": _table_scale,
    "09_ablations": _ablation_scale,
    "10_reconstruction": _ablation_scale,
    "11_deep_features": _deep_features_scale,
    "12_search": lambda params: Scale("not comparable", note="beyond the paper, which searches no index"),
    "13_further_claims": _one_length_scale,
}


def chapter_scale(chapter: str, params: Mapping[str, Any]) -> Scale:
    """A chapter's size against the paper's protocol, from its parameters.

    Parameters
    ----------
    chapter : str
        The chapter's file name without suffix, e.g. ``"09_ablations"``.
    params : mapping
        Every value of the chapter's ``parameters`` cell, with any overrides of the run applied.

    Returns
    -------
    Scale
        ``"not comparable"`` for a chapter the book does not size against the protocol (a page
        without parameters, chapter 03's synthetic signals) or a run on a reader's data.
    """
    sizer = _CHAPTERS.get(chapter)
    if sizer is None:
        return Scale("not comparable", note="no retrieval protocol")
    return sizer(params)


def scale_paragraph(chapter: str, params: Mapping[str, Any], *, restore: str = "") -> str:
    """The Markdown paragraph a chapter opens with: its size against the protocol, computed.

    Parameters
    ----------
    chapter : str
    params : mapping
        As in :func:`chapter_scale`.
    restore : str
        For a reduced run, how to run the protocol instead (e.g. a ``sigah book run`` command);
        added as the paragraph's last sentence when given.

    Returns
    -------
    str
    """
    scale = chapter_scale(chapter, params)
    if scale.status == "protocol":
        return "**Size of this run: the paper's protocol** (that of chapter *Retrieval quality*)."
    if scale.status == "not comparable":
        return f"**Size of this run:** not compared with the paper's protocol ({scale.note})."
    text = ("**Size of this run: reduced** against the paper's protocol (that of chapter *Retrieval "
            "quality*), to keep the chapter's many fits within its time budget: "
            + "; ".join(scale.differences) + ". Absolute numbers sit below the protocol's, and an "
            "effect that needs the full schedule to show can be missed.")
    return text + (f" {restore}" if restore else "")
