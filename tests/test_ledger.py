"""The claims ledger built from a fixture of verdict records, its tally, and the build's check."""

import json
import re
from pathlib import Path

import pytest

from sigah.studies.claims import (
    CHAPTER_ENV,
    SIZE_ENV,
    VERDICTS_DIR_ENV,
    Claim,
    Verdict,
    chapter_anchors,
    claim_list,
    record_verdict,
)
from sigah.studies.ledger import (
    NOT_RECORDED,
    NOT_RUN,
    OUTCOMES,
    group_table,
    ledger_rows,
    ledger_text,
    missing_claims,
    numbers_text,
    tally,
    tally_sentence,
)
from sigah.tools.verdicts import check_chapter_claims, verdict_environment

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"


def _claim(claim_id, chapter="04_generator_bound", anchor="theorem-1", status="wired", **kw):
    group = {"T": "theory", "R": "retrieval", "D": "deep features"}[claim_id[0]]
    return Claim(claim_id, group, kw.pop("quote", f"the words of claim {claim_id}"), "§3.2", chapter, anchor,
                 status, **kw)


@pytest.fixture()
def claims():
    items = [
        _claim("T01"), _claim("T02"), _claim("T03"),
        _claim("T04", anchor="both-sides-of-theorem-1-measured"),
        _claim("T05", status="planned", anchor="gone-heading"),
        _claim("T06", chapter="", anchor="", status="not testable", reason="needs ImageNet features"),
        _claim("R01", chapter="07_retrieval_quality", anchor="what-is-measured", status="planned",
               quote="SiGAH | 0.4320 | 0.5014", stand_in="stand-in: SIFT10K"),
        _claim("R02", chapter="09_ablations", anchor="all-verdicts", status="planned"),
    ]
    return {c.id: c for c in items}


@pytest.fixture()
def verdicts():
    """Every verdict kind from chapter 04; chapter 07 ran and recorded nothing; chapter 09 did not run."""
    return {
        "04_generator_bound": [
            Verdict("T01", "held", effect=0.95, interval=(0.9, 1.0), n=40, measured={"vacuous share": 0.25},
                    size="full", note="holds in every informative draw"),
            Verdict("T02", "not held", effect=-0.1, interval=(-0.2, -0.05), n=3, size="reduced"),
            Verdict("T03", "inconclusive", effect=0.01, interval=(-0.02, 0.04), n=3, smallest_detectable=0.05,
                    size="ci"),
            Verdict("T04", "not testable", measured={"stand-in mAP": 0.41}, size="ci",
                    note="GIST1M not given: the stand-in ran on SIFT10K"),
        ],
        "07_retrieval_quality": [],
    }


def test_every_kind_of_row(claims, verdicts):
    rows = {row.claim.id: row for row in ledger_rows(claims, verdicts)}
    assert [rows[i].outcome for i in ("T01", "T02", "T03", "T04")] == ["held", "not held", "inconclusive",
                                                                       "not testable"]
    assert rows["T05"].outcome == "not run" and rows["T05"].detail == NOT_RECORDED  # 04 ran, T05 not recorded
    assert rows["T06"].outcome == "not testable" and rows["T06"].detail == "needs ImageNet features"
    assert rows["R01"].detail == NOT_RECORDED                                       # 07 ran, recorded nothing
    assert rows["R02"].detail == NOT_RUN                                            # 09 has no record at all
    counts = tally(list(rows.values()))
    assert list(counts) == list(OUTCOMES)
    assert counts == {"held": 1, "not held": 1, "inconclusive": 1, "not testable": 2, "not run": 3}
    assert sum(counts.values()) == len(claims)


def test_a_missing_wired_claim_is_named(claims, verdicts):
    assert missing_claims("04_generator_bound", claims, verdicts["04_generator_bound"]) == []
    assert missing_claims("04_generator_bound", claims, verdicts["04_generator_bound"][1:]) == ["T01"]
    assert missing_claims("07_retrieval_quality", claims, []) == []  # planned claims do not fail the build


def test_group_table_rows_links_and_numbers(claims, verdicts):
    rows = ledger_rows(claims, verdicts)
    theory = group_table(rows, "theory", book_dir=BOOK)
    lines = theory.strip().splitlines()
    assert len(lines) == 2 + 6 and all(line.count(" | ") >= 4 for line in lines[2:])
    assert "“the words of claim T01” (§3.2)" in lines[2]
    assert "[04 · Theorem 1](04_generator_bound.ipynb#theorem-1)" in lines[2]
    assert "**held**: holds in every informative draw" in lines[2]
    assert "effect 0.95 [0.9, 1]; n = 40; vacuous share = 0.25; full size" in lines[2]
    assert "smallest detectable effect 0.05" in lines[4] and "CI size" in lines[4]
    assert "[04](04_generator_bound.ipynb)" in lines[6], "a heading that is gone links the chapter itself"
    assert "not testable here: needs ImageNet features" in lines[7] and "| – |" in lines[7]
    retrieval = group_table(rows, "retrieval", book_dir=BOOK)
    assert "SiGAH \\| 0.4320 \\| 0.5014" in retrieval, "a quoted table row must not split the Markdown table"
    assert "stand-in: SIFT10K" in retrieval and NOT_RUN in retrieval
    with pytest.raises(ValueError, match="group must be one of"):
        group_table(rows, "speed")


def test_links_use_labels_where_a_chapter_has_them(tmp_path):
    (tmp_path / "02_x.md").write_text("# X\n\n(my-label)=\n## Scaling the input\n")
    row = ledger_rows({"R01": _claim("R01", chapter="02_x", anchor="my-label")}, {})
    assert "{ref}`02 · Scaling the input <my-label>`" in group_table(row, "retrieval", book_dir=tmp_path)


def test_tally_sentence_and_terminal_text(claims, verdicts):
    rows = ledger_rows(claims, verdicts)
    sentence = tally_sentence(rows, link="{doc}`Claims ledger <claims_ledger>`")
    assert sentence.startswith("Of the paper's 8 checkable claims, this build found 1 held, 1 not held and 1 "
                               "inconclusive; 2 are not testable")
    assert sentence.endswith("in this build ({doc}`Claims ledger <claims_ledger>`).")
    text = ledger_text(rows, width=70)
    assert all(len(line) <= 70 for line in text.splitlines()[:-1])
    assert re.search(r"^  T02  not held +04_generator_bound", text, re.MULTILINE)
    assert text.splitlines()[-1] == tally_sentence(rows)


def test_numbers_text_without_numbers_is_the_size_only():
    assert numbers_text(Verdict("T01", "held", size="full")) == "full size"
    assert numbers_text(Verdict("T01", "held", measured={"n pairs": 12000})) == "n pairs = 12,000"


def test_a_measured_text_the_note_spells_out_is_said_once():
    shown = "64 bits, Pre@100: SiGAH - ITQ"
    verdict = Verdict("R01", "not held", measured={"shown": shown, "against the claim": [shown], "queries": 200,
                                                   "runner-up": "itq"},
                      note=f"found 1 not held (effect: {shown})")
    assert numbers_text(verdict) == "queries = 200; runner-up = itq"
    kept = Verdict("R01", "not held", measured={"Eq. 20 as printed": "not held", "SIFT10K shown": shown},
                   note=f"found 1 not held (effect: {shown})")
    assert numbers_text(kept) == "Eq. 20 as printed = not held"  # a verdict word, not the named comparison
    assert "shown" in numbers_text(Verdict("R01", "not held", measured={"shown": shown}, note="another note"))



@pytest.mark.parametrize("word", ["held", "not held", "inconclusive"])
def test_the_smallest_detectable_effect_is_shown_beside_an_undecided_verdict_only(word):
    text = numbers_text(Verdict("R11", word, effect=-0.25, interval=(-0.26, -0.23), smallest_detectable=0.128))
    assert text.startswith("effect -0.25 [-0.26, -0.23]")
    assert ("smallest detectable effect 0.128" in text) == (word == "inconclusive")


def test_a_detectable_effect_beyond_the_metrics_range_reads_not_decidable():
    text = numbers_text(Verdict("R11", "inconclusive", effect=0.01, n=2, smallest_detectable=4.78))
    assert "not decidable with n = 2" in text and "4.78" not in text
    timed = Verdict("E01", "inconclusive", n=2, smallest_detectable=4.78, measured={"effect range": 10.0})
    assert "smallest detectable effect 4.78" in numbers_text(timed)

def test_the_real_list_renders_every_group_with_live_links():
    rows = ledger_rows(claim_list(), {})
    for group in {row.claim.group for row in rows}:
        table = group_table(rows, group, book_dir=BOOK)
        for chapter, anchor in re.findall(r"\]\((\d\d_\w+)\.ipynb#([\w-]+)\)", table):
            assert anchor in chapter_anchors((BOOK / f"{chapter}.md").read_text(encoding="utf-8"))
    assert tally(rows)["not run"] + tally(rows)["not testable"] == len(rows)


def test_the_build_check_names_each_missing_wired_claim(tmp_path, monkeypatch):
    """A chapter run: records go where the build says; a wired claim left out is one line naming it."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "claims.csv").write_text(
        "id,group,quote,place,chapter,anchor,status,reason,stand_in\n"
        "T01,theory,the bound holds always,§3.2,01_demo,a-chapter,wired,,\n"
        "T02,theory,the bound is tight too,§3.2,01_demo,a-chapter,wired,,\n"
        "T03,theory,the rest follows easily,§3.2,01_demo,a-chapter,planned,,\n")
    monkeypatch.setenv("SIGAH_DATA_DIR", str(data))
    for name, value in verdict_environment(tmp_path, "01_demo", "ci").items():
        monkeypatch.setenv(name, value)
    assert json.loads((tmp_path / "_build/verdicts/01_demo.json").read_text()) == {
        "chapter": "01_demo", "size": "ci", "verdicts": []}
    record_verdict("T02", "held", measured={"rate": 1.0})
    message = check_chapter_claims(tmp_path, "01_demo")
    assert message.splitlines() == [
        "01_demo did not record claim T01, which data/claims.csv wires to it "
        "(sigah.studies.claims.record_verdict('T01', ...))"]
    record_verdict("T01", "not held")
    assert check_chapter_claims(tmp_path, "01_demo") == ""
    for name in (VERDICTS_DIR_ENV, CHAPTER_ENV, SIZE_ENV):
        monkeypatch.delenv(name)


LEDGER_PAGE = """\
---
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# Claims ledger

```{code-cell} ipython3
from sigah.studies.ledger import ledger_rows, ledger_text

print(ledger_text(ledger_rows()))
```
"""


@pytest.mark.slow
def test_the_build_runs_the_ledger_last_and_fails_on_a_missing_claim(tmp_path, monkeypatch, tiny_chapter):
    from sigah.tools.build import BookBuildError, build_book

    data = tmp_path / "data"
    data.mkdir()
    (data / "claims.csv").write_text(
        "id,group,quote,place,chapter,anchor,status,reason,stand_in\n"
        "T01,theory,the bound holds always,§3.2,01_demo,a-chapter,wired,,\n"
        "T02,theory,the bound is tight too,§3.2,01_demo,a-chapter,wired,,\n")
    monkeypatch.setenv("SIGAH_DATA_DIR", str(data))
    (tmp_path / "book").mkdir()
    (tmp_path / "_config.yml").write_text("title: tiny\nonly_build_toc_files: true\n"
                                          "execute:\n  execute_notebooks: \"off\"\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n- file: book/claims_ledger\n"
                                       "- file: book/01_demo\n- file: book/status\n")
    (tmp_path / "book" / "intro.md").write_text("# Tiny\n\n<!-- claims-tally -->\n")
    (tmp_path / "book" / "status.md").write_text("# Build status\n")
    (tmp_path / "book" / "claims_ledger.md").write_text(LEDGER_PAGE)
    recording = "\n```{code-cell} ipython3\nfrom sigah.studies.claims import record_verdict\n\n" \
                "record_verdict(\"T01\", \"held\", measured={\"n\": n})\n```\n"
    (tmp_path / "book" / "01_demo.md").write_text(tiny_chapter + recording)
    log: list[str] = []
    with pytest.raises(BookBuildError) as info:
        build_book("ci", root=tmp_path, log=log.append, strict=False)
    assert "01_demo did not record claim T02" in str(info.value) and "T01" not in str(info.value)
    assert [line.split(":")[0] for line in log if ": ok" in line or "FAILED" in line] == [
        "[book] 01_demo", "[book] claims_ledger"], "the ledger runs after the chapters it reads"
    ledger = json.loads((tmp_path / "_build/stage/book/claims_ledger.ipynb").read_text())
    printed = "".join("".join(o.get("text", "")) for c in ledger["cells"] for o in c.get("outputs", []))
    assert re.search(r"T01  held +01_demo +n = 3; CI size", printed)
    intro = (tmp_path / "_build/stage/book/intro.md").read_text()
    assert "this build found 1 held" in intro and "{doc}`Claims ledger <claims_ledger>`" in intro
    status = (tmp_path / "_build/stage/book/status.md").read_text()
    assert "Claims: Of the paper's 2 checkable claims" in status

    # the chapter now records both claims; rebuilt alone, it takes the ledger along (never executed before)
    (tmp_path / "book" / "01_demo.md").write_text(tiny_chapter + recording.replace(
        'record_verdict("T01"', 'record_verdict("T02", "held")\nrecord_verdict("T01"'))
    (tmp_path / "_build/stage/book/claims_ledger.ipynb").unlink()
    log.clear()
    build_book("ci", root=tmp_path, log=log.append, chapters=["01_demo"])  # -W: the links resolve
    assert [line.split(":")[0] for line in log if ": ok" in line] == ["[book] 01_demo", "[book] claims_ledger"]
    intro = (tmp_path / "_build/stage/book/intro.md").read_text()
    assert "this build found 2 held" in intro
