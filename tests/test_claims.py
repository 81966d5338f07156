"""The claim list (data/claims.csv), the verdict records chapters write, and the chapters' use of them."""

import csv
import json
import re
from pathlib import Path

import pytest

from sigah.studies.claims import (
    CHAPTER_ENV,
    COLUMNS,
    GROUPS,
    SIZE_ENV,
    VERDICTS,
    VERDICTS_DIR_ENV,
    ClaimError,
    chapter_anchors,
    claim_list,
    read_verdict_file,
    record_verdict,
    start_verdict_file,
)

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
RECORD_CALL = re.compile(r"record_verdict\(\s*[\"']([A-Z]\d{2})[\"']")


@pytest.fixture(autouse=True)
def _outside_a_build(monkeypatch):
    for name in (VERDICTS_DIR_ENV, CHAPTER_ENV, SIZE_ENV):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def claims():
    return claim_list()


def recorded_in_sources() -> dict[str, set[str]]:
    """Chapter → the claim ids its source passes to record_verdict."""
    return {path.stem: set(RECORD_CALL.findall(path.read_text(encoding="utf-8"))) for path in sorted(BOOK.glob("*.md"))}


# -- the claim list ---------------------------------------------------------------------------
def test_the_list_covers_every_group_with_the_paper_words(claims):
    assert len(claims) >= 50
    assert {c.group for c in claims.values()} == set(GROUPS.values())
    for claim in claims.values():
        assert claim.id[0] in GROUPS and GROUPS[claim.id[0]] == claim.group
        assert len(claim.quote.split()) >= 3, f"{claim.id}: a quote of the paper's words, not a label"


def test_every_claim_is_wired_planned_or_not_testable_with_a_reason(claims):
    chapters = {p.stem for p in BOOK.glob("[0-9][0-9]_*.md")}
    written = recorded_in_sources()
    for claim in claims.values():
        if claim.status == "not testable":
            assert len(claim.reason.split()) >= 5, f"{claim.id}: say what data or compute would test it"
            continue
        assert claim.chapter in chapters, f"{claim.id} names chapter {claim.chapter!r}, not in book/"
        anchors = chapter_anchors((BOOK / f"{claim.chapter}.md").read_text(encoding="utf-8"))
        if claim.status == "wired":
            assert claim.anchor in anchors, f"{claim.id}: no section {claim.anchor!r} in {claim.chapter}"
            assert claim.id in written[claim.chapter], f"{claim.id} is wired but {claim.chapter} does not record it"


def test_every_claim_a_chapter_records_is_in_the_list_and_wired_to_it(claims):
    for chapter, ids in recorded_in_sources().items():
        for claim_id in ids:
            assert claim_id in claims, f"{chapter} records {claim_id}, which data/claims.csv does not list"
            claim = claims[claim_id]
            assert claim.chapter == chapter, f"{chapter} records {claim_id}, which the list gives to {claim.chapter}"
            assert claim.status == "wired", f"{chapter} records {claim_id}: mark it wired in data/claims.csv"


def test_the_scan_finds_recording_calls():
    source = 'x = 1\nrecord_verdict("T05", "held", effect=0.5)\nrecord_verdict(\n    \'T06\', "not held")\n'
    assert RECORD_CALL.findall(source) == ["T05", "T06"]


def _write_list(path: Path, rows: list[dict], columns=COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


GOOD = {"id": "T01", "group": "theory", "quote": "the bound holds always", "place": "§3.2, Eq. 7",
        "chapter": "04_generator_bound", "anchor": "theorem-1", "status": "wired", "reason": "", "stand_in": ""}


@pytest.mark.parametrize("change, words", [
    ({"id": "X01"}, "id must be one of the letters"),
    ({"id": "T1"}, "id must be one of the letters"),
    ({"group": "retrieval"}, "expected 'theory'"),
    ({"status": "done"}, "status 'done'"),
    ({"quote": ""}, "empty quote"),
    ({"status": "not testable", "chapter": "", "anchor": ""}, "gives no reason"),
    ({"chapter": "chapter four"}, "names no chapter"),
    ({"anchor": ""}, "wired but names no section anchor"),
])
def test_a_bad_row_is_one_line_naming_it(tmp_path, change, words):
    path = _write_list(tmp_path / "claims.csv", [GOOD, {**GOOD, "id": "T02", **change}])
    with pytest.raises(ClaimError, match=re.escape(words)) as info:
        claim_list(path)
    assert "\n" not in str(info.value) and "line 3" in str(info.value)


def test_a_row_with_a_field_too_few_or_too_many_is_refused(tmp_path):
    header = ",".join(COLUMNS)
    short = tmp_path / "short.csv"
    short.write_text(f"{header}\nT01,theory,the bound holds always,§3.2,04_generator_bound,theorem-1,wired,\n")
    with pytest.raises(ClaimError, match="line 2: 8 fields, expected 9"):
        claim_list(short)
    long = tmp_path / "long.csv"
    long.write_text(f"{header}\nT01,theory,the bound holds always,§3.2,04_generator_bound,theorem-1,wired,,,x\n")
    with pytest.raises(ClaimError, match="line 2: 10 fields, expected 9"):
        claim_list(long)


def test_duplicate_ids_and_missing_columns_are_refused(tmp_path):
    with pytest.raises(ClaimError, match="T01 appears twice"):
        claim_list(_write_list(tmp_path / "dup.csv", [GOOD, GOOD]))
    with pytest.raises(ClaimError, match="missing column.*stand_in"):
        claim_list(_write_list(tmp_path / "cols.csv", [GOOD], columns=COLUMNS[:-1]))
    with pytest.raises(FileNotFoundError, match="claim list not found"):
        claim_list(tmp_path / "none.csv")


# -- recording verdicts -----------------------------------------------------------------------
@pytest.fixture()
def small_list(tmp_path):
    rows = [GOOD, {**GOOD, "id": "T02", "anchor": "both-sides-of-theorem-1-measured"},
            {**GOOD, "id": "R01", "group": "retrieval", "chapter": "07_retrieval_quality", "status": "planned"}]
    return claim_list(_write_list(tmp_path / "claims.csv", rows))


@pytest.mark.parametrize("kwargs, words", [
    ({"claim": "T99", "verdict": "held"}, "unknown claim id 'T99'"),
    ({"claim": "T01", "verdict": "holds"}, "must be one of held, not held, inconclusive, not testable"),
    ({"claim": "T01", "verdict": "inconclusive"}, "give smallest_detectable"),
    ({"claim": "T01", "verdict": "held", "interval": (0.3, 0.1)}, "interval must be (lower, upper)"),
    ({"claim": "T01", "verdict": "held", "effect": float("nan")}, "effect must be finite"),
    ({"claim": "T01", "verdict": "held", "n": 0}, "n must be a positive whole number"),
    ({"claim": "T01", "verdict": "held", "size": "huge"}, "size must be one of"),
    ({"claim": "T01", "verdict": "held", "measured": {"x": object()}}, "is not a number, text or list"),
])
def test_a_bad_verdict_is_one_line_naming_it(small_list, kwargs, words):
    with pytest.raises(ClaimError, match=re.escape(words)) as info:
        record_verdict(**kwargs, claims=small_list)
    assert "\n" not in str(info.value)


def test_outside_a_build_the_verdict_is_checked_and_nothing_written(small_list, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    record = record_verdict("T01", "held", effect=0.9, interval=(0.8, 1.0), n=40, claims=small_list)
    assert record.chapter == "04_generator_bound" and record.anchor == "theorem-1"
    assert not list(tmp_path.rglob("*.json"))


def test_under_the_build_records_are_written_and_replaced(small_list, tmp_path, monkeypatch):
    folder = tmp_path / "verdicts"
    start_verdict_file(folder, "04_generator_bound", "full")
    monkeypatch.setenv(VERDICTS_DIR_ENV, str(folder))
    monkeypatch.setenv(CHAPTER_ENV, "04_generator_bound")
    monkeypatch.setenv(SIZE_ENV, "full")
    record_verdict("T01", "not held", measured={"holds": 0.25}, claims=small_list)
    record_verdict("T02", "inconclusive", smallest_detectable=0.1, size="reduced", claims=small_list)
    record_verdict("T01", "held", measured={"holds": 1.0}, claims=small_list)  # a later cell revises it
    size, records = read_verdict_file(folder / "04_generator_bound.json")
    assert size == "full"
    assert [(r.claim, r.verdict, r.size) for r in records] == [("T02", "inconclusive", "reduced"),
                                                               ("T01", "held", "full")]
    assert records[1].measured == {"holds": 1.0}
    assert not [p for p in folder.iterdir() if p.name.startswith(".")], "no temporary file left behind"
    with pytest.raises(ClaimError, match="belongs to chapter 07_retrieval_quality"):
        record_verdict("R01", "held", claims=small_list)


def test_a_ci_build_never_records_a_bigger_size(small_list, tmp_path, monkeypatch):
    monkeypatch.setenv(VERDICTS_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(CHAPTER_ENV, "04_generator_bound")
    monkeypatch.setenv(SIZE_ENV, "ci")
    assert record_verdict("T01", "held", size="reduced", claims=small_list).size == "ci"
    data = json.loads((tmp_path / "04_generator_bound.json").read_text())
    assert data["verdicts"][0]["size"] == "ci"


def test_numpy_values_are_stored_as_plain_numbers(small_list):
    np = pytest.importorskip("numpy")
    record = record_verdict("T01", "held", effect=np.float32(0.5), n=np.int64(3),
                            measured={"rates": np.array([0.5, 1.0]), "k": np.int64(5)}, claims=small_list)
    assert record.measured == {"rates": [0.5, 1.0], "k": 5} and record.n == 3
    assert set(VERDICTS) == {"held", "not held", "inconclusive", "not testable"}


# -- section anchors --------------------------------------------------------------------------
def test_anchors_skip_front_matter_and_code_and_number_repeats():
    text = ("---\ntitle: x\n---\n# The chapter\n\n```{code-cell} ipython3\n# a comment, not a heading\n```\n\n"
            "(my-label)=\n## Eq. 6 asks for $k$ measurements\n\n## Retrieval *quality*\n\n## Retrieval quality\n"
            "#### Too deep\n")
    anchors = chapter_anchors(text)
    assert list(anchors) == ["the-chapter", "my-label", "eq-6-asks-for--measurements", "retrieval-quality",
                             "retrieval-quality-1"]
    assert anchors["my-label"] == "Eq. 6 asks for $k$ measurements"


@pytest.mark.parametrize("chapter", sorted(BOOK.glob("[0-9][0-9]_*.md")), ids=lambda p: p.stem)
def test_anchors_are_the_ones_myst_gives_the_headings(chapter):
    """Our slugs agree with MyST's own (myst_heading_anchors = 3) on every chapter."""
    from markdown_it.tree import SyntaxTreeNode
    from myst_parser.config.main import MdParserConfig
    from myst_parser.mdit_to_docutils.base import compute_unique_slug
    from myst_parser.parsers.mdit import create_md_parser
    from markdown_it.renderer import RendererHTML

    config = MdParserConfig(enable_extensions={"dollarmath", "amsmath", "colon_fence", "deflist"}, heading_anchors=3)
    tree = SyntaxTreeNode(create_md_parser(config, RendererHTML).parse(chapter.read_text(encoding="utf-8")))
    slugs: dict[str, None] = {}
    for node in tree.walk():
        if node.type == "heading" and int(node.tag[1:]) <= 3:
            slugs[compute_unique_slug(node, slugs)] = None
    text = chapter.read_text(encoding="utf-8")
    labels = set(re.findall(r"^\(([^()\s]+)\)=\s*$", text, re.MULTILINE))
    assert [a for a in chapter_anchors(text) if a not in labels] == list(slugs)


def test_a_paired_comparison_becomes_a_verdict(small_list):
    import numpy as np

    from sigah.stats import compare_paired
    from sigah.studies.claims import reading_of

    rng = np.random.default_rng(0)
    base = rng.normal(0.5, 0.05, (3, 200))
    better = base + 0.05 + rng.normal(0, 0.01, base.shape)
    same = base + rng.normal(0, 0.01, base.shape)
    up = reading_of(compare_paired(better, base), "higher", note="")
    assert up["verdict"] == "held" and up["interval"][0] > 0
    assert reading_of(compare_paired(base, better), "higher", note="")["verdict"] == "not held"
    unclear = reading_of(compare_paired(same[:2, :3], base[:2, :3]), "higher", note="")
    assert unclear["verdict"] == "inconclusive" and unclear["smallest_detectable"] > 0
    record_verdict("T01", **unclear, claims=small_list)  # the ledger accepts it as it is
    with pytest.raises(ClaimError, match="expects must be"):
        reading_of(compare_paired(better, base), "better", note="")
