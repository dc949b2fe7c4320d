"""The lab report: its figures are the command line's, its findings the verdicts that hold,
its Chinese has no English left, its commands train the same runs again; the HTML opens
offline in Chromium with nothing cut and prints to PDF with every chart; bad input is
refused with its reason and writes nothing."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import zipfile
from pathlib import Path

import pytest

from handclf_core.errors import HandCamError
from tests.conftest import TINY
from tests.test_i18n import english_left

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "lab-report"


@pytest.fixture(scope="module")
def report_runs(sample_ds, tiny_run):
    """Five settings of tiny runs on the same test frames: CNN_basic's recipe with two seeds,
    in gray, with class weights, and the Mnist-style CNN in gray (its recipe) and in RGB."""
    from handclf_core.training.train import train
    from handclf_core.vocab import Balance

    changes = [
        {"seed": 1},
        {"gray": True},
        {"balance": Balance.CLASS_WEIGHT},
        {"model": "mnist"},
        {"model": "mnist", "gray": False},
    ]
    return [tiny_run[0], *(train(sample_ds, dataclasses.replace(TINY, **c))[0] for c in changes)]


@pytest.fixture(scope="module")
def reports(report_runs, sample_ds):
    """The report of those runs in each language."""
    from handclf_core.data.store import open_store
    from handclf_core.labreport.build import build_report

    frames, store = sample_ds.hand_frames(), open_store(sample_ds)
    return {lang: build_report(report_runs, frames, lang, store=store) for lang in ("en", "zh_TW")}


def _cli(capsys, *argv) -> tuple[int, dict | str, str]:
    """A command run in this process: its exit code, what it printed (parsed with --json),
    and its stderr."""
    from handclf_core.cli.main import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 and "--json" in argv else out), err


def _texts(doc) -> list[str]:
    """Every word of a document: titles, paragraphs, lists, cells, captions, chart titles."""
    from handclf_core.labreport.document import Bullets, Chart, Paragraph, Pictures, Table
    from tests.test_i18n import _chart_titles

    out = [doc.title, doc.subtitle]
    for section in doc.sections:
        out.append(section.title)
        for b in section.blocks:
            if isinstance(b, Paragraph):
                out.append(b.text)
            elif isinstance(b, Bullets):
                out.extend(b.items)
            elif isinstance(b, Table):
                out += [*map(str, b.frame.columns), b.caption]
                out += [str(v) for row in b.frame.itertuples(index=False) for v in row]
            elif isinstance(b, Chart):
                out.append(b.caption)
                _chart_titles(b.spec, out)
            elif isinstance(b, Pictures):
                out.extend(p.caption for p in b.items)
    return [t for t in out if t]


def _section(doc, title_start: str):
    return next(s for s in doc.sections if s.title.startswith(title_start))


def test_the_report_s_figures_are_the_command_line_s(reports, report_runs, sample_root, capsys):
    """Each setting's figures equal `evaluate --json`'s for its run; each paired claim between
    two one-seed settings equals `runs compare --json`."""
    from handclf_core.views.confidence import interval_text

    report = reports["en"]
    results = _section(report.document, "3.").blocks[0].frame
    gray = next(s for s in report.settings if s.run.config.gray)
    code, found, err = _cli(
        capsys,
        "evaluate",
        "--model",
        "cnn_basic",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--limit",
        "64",
        "--gray",
        "--data",
        str(sample_root),
        "--json",
    )
    assert code == 0, err
    assert found["run"] == gray.run.name
    shown = interval_text(found["test_accuracy"], None)[:-1]  # "64.4" of "64.4%"
    low, high = found["intervals"]["test_accuracy"]
    row = results[results.iloc[:, 0].str.startswith("CNN_basic")].iloc[:, 2].tolist()
    assert f"{shown}% ({low * 100:.1f}–{high * 100:.1f})" in row, row
    paired = [c for c in report.claims if c.b and len(c.a.runs) == len(c.b.runs) == 1]
    assert paired, "no claim between two one-seed settings"
    for claim in paired:
        code, d, err = _cli(
            capsys,
            "runs",
            "compare",
            claim.a.run.name,
            claim.b.run.name,
            "--metric",
            claim.difference.metric,
            "--json",
        )
        assert code == 0, err
        iv = claim.difference.difference
        assert (d["difference"], d["interval"], d["verdict"]) == (
            iv.value,
            iv.as_list(),
            claim.difference.verdict,
        )


def test_a_finding_is_a_verdict_that_holds_and_the_rest_is_not_shown(reports):
    from handclf_core.labreport.sections import Facts, sentence

    for lang, report in reports.items():
        doc = report.document
        findings = [b for b in _section(doc, "4.").blocks if hasattr(b, "items")]
        rest = [b for b in _section(doc, "5.").blocks if hasattr(b, "items")]
        said = {
            "finding": [i for b in findings for i in b.items],
            "not_shown": [i for b in rest for i in b.items],
        }
        facts = Facts(
            list(s.run for s in report.settings),
            list(report.settings),
            list(report.claims),
            lang,
            None,
        )
        labels = facts.labels()
        for claim in report.claims:
            text = sentence(claim, facts, labels)
            where = "finding" if claim.difference.verdict in ("a", "b") else "not_shown"
            assert text in said[where], (lang, where, text)
        assert len(said["finding"]) + len(said["not_shown"]) == len(report.claims)


def test_the_claims_are_each_idea_against_its_recipe_and_the_models_leaders(reports):
    """Gray and class weights each against CNN_basic's recipe (one option changed), never
    against each other (two); the best CNN_basic setting against the Mnist-style CNN."""
    report = reports["en"]
    kinds = {}
    for c in report.claims:
        if c.b is not None:
            kinds.setdefault(c.kind, set()).add(frozenset((c.a.run.name, c.b.run.name)))
    by = {
        (s.run.config.gray, str(s.run.config.balance), s.run.model): s.run.name
        for s in report.settings
    }
    recipe = by[(False, "none", "cnn_basic")]
    gray, weights = by[(True, "none", "cnn_basic")], by[(False, "class_weight", "cnn_basic")]
    mnist, rgb = by[(True, "none", "mnist")], by[(False, "none", "mnist")]
    assert kinds["idea"] == {
        frozenset((recipe, gray)),
        frozenset((recipe, weights)),
        frozenset((mnist, rgb)),
    }
    assert len(kinds["models"]) == 1
    (pair,) = kinds["models"]
    assert {mnist, rgb} & pair
    # Against the baseline: every setting, on both figures.
    assert sum(c.b is None for c in report.claims) == 2 * len(report.settings)
    # The imbalance question is answered by the class-weights claims.
    answer = _section(report.document, "8.").blocks
    assert len(answer) == 2 and len(answer[1].items) == 2


def test_honest_by_construction(reports, report_runs):
    """The sample said first; each setting at the baseline flagged; one seed said."""
    for lang, report in reports.items():
        doc = report.document
        first = doc.sections[0].blocks[0]
        assert first.kind == "warning" and (
            "built-in sample" in first.text or "內建範例" in first.text
        )
        warnings = [
            b.text for b in _section(doc, "3.").blocks if getattr(b, "kind", "") == "warning"
        ]
        at_baseline = [s for s in report.settings if s.intervals.frequencies_only]
        assert len(warnings) == len(at_baseline) + 1, (lang, warnings)  # + one seed only
        single = [s for s in report.settings if len(s.runs) == 1]
        assert len(single) == len(report.settings) - 1  # the recipe has two seeds


def test_the_chinese_report_has_no_english_left(reports):
    assert not (left := english_left(_texts(reports["zh_TW"].document))), left
    assert english_left(_texts(reports["en"].document))  # the check finds English


def test_each_command_trains_the_same_run_again(reports, sample_ds):
    """The reproduction's commands, parsed by the CLI, name exactly the runs reported."""
    import shlex

    from handclf_core.cli.parser import build_parser
    from handclf_core.cli.train_commands import train_config
    from handclf_core.runs.record import run_name

    code = _section(reports["en"].document, "9.").blocks[-1]
    assert code.lines[0].startswith("python -m handclf_core sample --stride 50 --size 64x36")
    names = []
    for line in code.lines[1:]:
        argv = shlex.split(line)[3:]
        args = build_parser().parse_args(argv)
        names.append(run_name(sample_ds.identity, train_config(args)))
    assert names == [r.name for s in reports["en"].settings for r in s.runs]


def test_the_report_is_written_as_html_and_markdown(reports, report_runs, capsys, tmp_path):
    """The CLI writes both formats, in both languages; the Markdown's pictures are there."""
    names = [r.name for r in report_runs]
    code, found, err = _cli(
        capsys,
        "report",
        "--runs",
        *names,
        "--out",
        str(tmp_path / "r.md"),
        "--lang",
        "zh-TW",
        "--json",
    )
    assert code == 0, err
    assert found["findings"] + found["not_shown"] == len(reports["zh_TW"].claims)
    text = (tmp_path / "r.md").read_text()
    links = re.findall(r"\]\((r_files/[^)]+)\)", text)
    assert len(links) >= 6 and all((tmp_path / link).is_file() for link in links)
    assert text.startswith("# 實驗報告")
    code, said, err = _cli(capsys, "report", "--runs", *names, "--out", str(tmp_path / "r.html"))
    assert code == 0, err
    assert said.startswith(f"wrote the lab report (html, en): {tmp_path / 'r.html'}"), said
    assert "the runs were trained on the built-in sample" in said
    page = (tmp_path / "r.html").read_text()
    assert page.count("<svg") >= 6 and "http://" not in page.replace("http://www.w3.org", "")
    from handclf_core.labreport.write import markdown_zip

    with zipfile.ZipFile(__import__("io").BytesIO(markdown_zip(reports["en"].document))) as z:
        assert "lab-report.md" in z.namelist() and len(z.namelist()) >= 7


def _nothing_written(folder: Path, name: str) -> None:
    left = [p.name for p in folder.iterdir() if p.name.startswith((name, ".tmp-"))]
    assert not left, left


def test_bad_input_is_refused_with_its_reason_and_writes_nothing(
    report_runs, sample_ds, flip_run, capsys, tmp_path
):
    from handclf_core.labreport.build import build_report
    from handclf_core.runs.config import TrainConfig
    from handclf_core.runs.folders import delete_run
    from handclf_core.training.train import train

    out = tmp_path / "r.html"
    with pytest.raises(HandCamError, match="at least one stored run"):
        build_report([], sample_ds.hand_frames())
    assert _cli(capsys, "report", "--out", str(out))[0] == 2  # --runs is required
    code, _, err = _cli(
        capsys, "report", "--runs", report_runs[0].name, flip_run.name, "--out", str(out)
    )
    assert code == 2 and "different test frames" in err and err.count("\n") == 1, err
    code, _, err = _cli(capsys, "report", "--runs", "no-such-run", "--out", str(out))
    assert code == 2 and "no-such-run" in err, err
    code, _, err = _cli(
        capsys, "report", "--runs", report_runs[0].name, "--out", str(tmp_path / "r.pdf")
    )
    assert code == 2 and "expected a file name ending in .html or .md" in err, err
    code, _, err = _cli(capsys, "report", "--runs", report_runs[0].name, "--out", str(tmp_path))
    assert code == 2 and "found a folder" in err, err
    (tmp_path / "file").write_text("x")
    code, _, err = _cli(
        capsys, "report", "--runs", report_runs[0].name, "--out", str(tmp_path / "file" / "r.html")
    )
    assert code == 2 and "expected an existing folder" in err, err
    if Path("/sys").is_dir():  # a folder nobody may write into, root included
        code, _, err = _cli(
            capsys, "report", "--runs", report_runs[0].name, "--out", "/sys/lab-report.html"
        )
        assert code == 2 and "nothing was written" in err, err
    # A run whose kept predictions are damaged: refused, named.
    damaged, _ = train(
        sample_ds, TrainConfig(model="cnn_basic", epochs=1, batch_size=32, limit=64, seed=5)
    )
    npz = damaged.path / "predictions.npz"
    npz.write_bytes(npz.read_bytes()[:100])
    try:
        code, _, err = _cli(
            capsys, "report", "--runs", report_runs[0].name, damaged.name, "--out", str(out)
        )
    finally:  # the other tests' pages list the session's runs: none left damaged
        delete_run(damaged.name)
    assert code == 2 and "predictions.npz" in err, err
    _nothing_written(tmp_path, "r")


OUTSIDE = """() => {
    const main = document.querySelector('main'), right = main.getBoundingClientRect().right + 1;
    return [...main.querySelectorAll('table, figure, svg, pre, img, p, li')]
        .filter(e => e.getBoundingClientRect().right > right)
        .map(e => e.tagName + ': ' + (e.innerText || '').slice(0, 40))
        .concat([...main.querySelectorAll('figure svg')].flatMap(svg => {
            const box = svg.getBoundingClientRect();
            return [...svg.querySelectorAll('text')].filter(t => {
                const r = t.getBoundingClientRect();
                return r.width && (r.left < box.left - 1 || r.right > box.right + 1); })
                .map(t => 'cut by its chart: ' + t.textContent.slice(0, 40)); })); }"""


@pytest.mark.parametrize("lang", ["en", "zh_TW"])
def test_the_html_opens_offline_uncut_and_prints_with_every_chart(reports, lang, tmp_path):
    from tests.browser import CHROMIUM, chromium
    from tests.layout import SHOWN_WORDS, TEXT_OVER_TEXT

    if CHROMIUM is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set CHROMIUM)")
    from handclf_core.labreport.write import write_report

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"lab-report-{lang}.html"
    write_report(reports[lang].document, path, "html")
    charts = sum(
        type(b).__name__ == "Chart" for s in reports[lang].document.sections for b in s.blocks
    )
    with chromium() as browser:
        requests, failed = [], []
        for width in (1280, 800):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            assert not page.evaluate(OUTSIDE), (lang, width, page.evaluate(OUTSIDE))
            over = TEXT_OVER_TEXT.replace('[data-testid="stVegaLiteChart"] svg', "figure svg")
            assert not page.evaluate(over), (lang, width, page.evaluate(over))
            if lang == "zh_TW":
                shown = page.evaluate(
                    SHOWN_WORDS.replace(
                        '\'[data-testid="stMain"], [data-testid="stSidebar"]\'', "'main'"
                    )
                )
                assert shown and not (left := english_left(shown)), left
        assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
        assert failed == []
        page.emulate_media(media="print")
        drawn = page.evaluate("""() => [...document.querySelectorAll('figure.chart svg')]
            .map(s => s.getBoundingClientRect().width)""")
        assert len(drawn) == charts and min(drawn) > 100, drawn
        pdf = page.pdf(format="A4", path=str(ARTIFACTS / f"lab-report-{lang}.pdf"))
        assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 4
    assert os.path.getsize(path) > 50_000
