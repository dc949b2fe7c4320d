"""Each section of a lab report, in the assignment's order, from `Facts`: the runs chosen,
their settings with intervals, and the claims with their verdicts. Figures and charts come
from the views Compare draws them with; every word from the catalogues (`lab.*`)."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import pandas as pd

from handclf_core import i18n
from handclf_core.data.sample import DEFAULT_SIZE, DEFAULT_STRIDE
from handclf_core.errors import HandCamError
from handclf_core.i18n import N_
from handclf_core.labreport import pictures
from handclf_core.labreport.claims import Claim, options_changed
from handclf_core.labreport.document import Bullets, Chart, Code, Paragraph, Section, Table
from handclf_core.runs.record import Run
from handclf_core.runs.report import REPORT_ROWS
from handclf_core.views import confidence as views
from handclf_core.views import evaluation
from handclf_core.views.mistakes import confusion_chart
from handclf_core.views.runs import (
    header,
    preprocessing_summary,
    validation_accuracy,
    validation_name,
)
from handclf_core.vocab import Split, Validation

DEFAULT_SAMPLE = (DEFAULT_STRIDE, f"{DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}", 0)
SAMPLE_FOLDER = "handcam-sample"  # where the reproduction draws a sample of other settings
WIDTH = 640  # px of a chart's plot: an A4 page's text width at 96 dpi, less the axis
RARE = 10
# Compare's settings table without what the report shows elsewhere (settings, the gap)
RESULT_COLUMNS = (
    "run",
    "seeds",
    "test_accuracy",
    "seed_spread",
    "majority_baseline",
    "balanced_accuracy",
    "macro_f1",
)  # the rarest classes summed in the imbalance sentence


@dataclass(frozen=True)
class Facts:
    runs: list[Run]
    found: list[views.Setting]
    claims: list[Claim]
    lang: str
    store: object | None  # the dataset's FrameStore, for pictures

    def t(self, key: str, **values) -> str:
        return i18n.translate(self.lang, key, **values)

    def labels(self) -> dict[int, str]:
        """Each setting's name by id(setting), as Compare names it."""
        names = views.setting_labels(self.found, self.lang)
        return dict(zip(map(id, self.found), names, strict=True))


def every_section(f: Facts, sample: bool) -> tuple[Section, ...]:
    head = (Paragraph(f.t("lab.sample"), "warning"),) if sample else ()
    findings, not_shown = _claims(f)
    return (
        _data(f, head),
        _models(f),
        _results(f),
        findings,
        not_shown,
        _gap(f),
        _best(f),
        _imbalance(f),
        _reproduce(f),
    )


# The font a chart's words are measured and drawn in, by language: vl-convert measures CJK
# text in its fallback font narrower than a browser draws it, and names wrapped to the
# measure were cut at the chart's left edge; Noto CJK (Debian's fonts-noto-cjk) has both
# scripts, for both. English keeps Vega's default.
FONTS = {"zh_TW": "Noto Sans CJK TC"}


def sized(chart: alt.TopLevelMixin, lang: str = "en") -> dict:
    """A chart's Vega-Lite spec at the report's width (a page has no container to fill), in
    the language's font."""

    def fix(node):
        if isinstance(node, dict):
            return {
                k: WIDTH if k == "width" and v == "container" else fix(v) for k, v in node.items()
            }
        return [fix(v) for v in node] if isinstance(node, list) else node

    spec = fix(chart.to_dict())
    if lang in FONTS:
        spec.setdefault("config", {})["font"] = FONTS[lang]
    return spec


_SAMPLE = re.compile(r"stride=(\d+) size=(\d+x\d+) seed=(\d+)")


def sample_settings(run: Run) -> tuple[int, str, int] | None:
    """(stride, "WxH", seed) of the built-in sample a run trained on, from its SAMPLE.txt;
    None for the real data, or a sample no longer where it was."""
    from handclf_core.data.trees import read_file

    if not run.dataset.sample:
        return None
    try:
        text = read_file(Path(run.dataset.description) / "SAMPLE.txt", 4096).decode()
    except (HandCamError, UnicodeDecodeError):
        return None
    m = _SAMPLE.search(text)
    return (int(m[1]), m[2], int(m[3])) if m else None


def dataset_name(run: Run, lang: str) -> str:
    """The dataset as a report names it: the sample by its settings, never a path of the
    machine that wrote the report; the real data by its folder's name."""
    found = sample_settings(run)
    if found:
        stride, size, seed = found
        return i18n.translate(lang, N_("lab.sample_name"), stride=stride, size=size, seed=seed)
    return f"`{Path(run.dataset.description).name}`"


def _majority(f: Facts) -> str:
    base = f.runs[0].test.majority_baseline
    return i18n.class_name(f.lang, f.runs[0].task, base.name)


def _data(f: Facts, head: tuple) -> Section:
    # The frames of a run validating on a held-out recording, where one does (a random
    # validation split takes its frames out of the training split's)
    run, t = min(f.runs, key=lambda r: r.config.validation != Validation.RECORDING), f.t
    counts = [sum(row) for row in run.test.confusion_matrix]  # test frames per class
    total = sum(counts)
    present = sorted((c for c in counts if c), reverse=False)
    rare = present[: min(RARE, max(len(present) - 1, 0))]
    names = [i18n.class_name(f.lang, run.task, c) for c in run.classes]
    shares = pd.DataFrame({"name": names, "share": [c / total for c in counts]})
    shares = shares[shares.share > 0].sort_values("share", ascending=False)
    shares["label"] = [f"{x:.1%}" for x in shares.share]
    base = alt.Chart(shares).encode(
        y=alt.Y("name:N", sort=None, title=None, axis=alt.Axis(labelLimit=0))
    )
    x = alt.X("share:Q", title=t("lab.chart.share"), axis=alt.Axis(format="%"))
    chart = alt.layer(
        base.mark_bar().encode(x=x),
        base.mark_text(align="left", dx=3).encode(x=x, text="label:N"),
    ).properties(width=WIDTH, height=alt.Step(16))
    iv = f.found[0].intervals
    return Section(
        t("lab.data_title"),
        (
            *head,
            Paragraph(
                t(
                    "lab.data_text",
                    task=run.task,
                    classes=len(run.classes),
                    train=run.frames.train,
                    validation=run.frames.validation,
                    test=run.frames.test,
                    recordings=iv.recordings,
                    dataset=dataset_name(run, f.lang),
                )
            ),
            Paragraph(
                t(
                    "lab.imbalance_text",
                    majority=_majority(f),
                    share=run.test.majority_baseline.accuracy,
                    rare=len(rare),
                    rare_share=sum(rare) / total,
                    balanced=run.test.baseline_scores().balanced_accuracy,
                )
            ),
            Chart("classes", sized(chart, f.lang), t("lab.classes_caption")),
        ),
    )


def _optimizer(run: Run, t) -> str:
    from handclf_core.models import get_recipe

    c, name = run.config, get_recipe(run.model).optimizer
    if c.momentum:
        return t("train.optimizer_momentum", optimizer=name, momentum=c.momentum)
    return t("train.optimizer", optimizer=name)


def _models(f: Facts) -> Section:
    t, lang, labels = f.t, f.lang, f.labels()
    rows = []
    for s in f.found:
        c = s.run.config
        training = t(
            "lab.training",
            epochs=c.epochs,
            batch=c.batch_size,
            optimizer=_optimizer(s.run, t),
            rate=f"{c.learning_rate:g}",
        )
        rows.append(
            {
                header("run", lang): labels[id(s)],
                header("preprocessing", lang): preprocessing_summary(s.run.preprocessing, lang),
                t("lab.col.training"): training,
                header("balance", lang): i18n.name(c.balance, lang),
                header("validation", lang): validation_name(c, lang),
                t("lab.col.limit"): f"{c.limit:,}" if c.limit else t("lab.all_frames"),
                header("precision", lang): i18n.name(c.precision, lang),
                header("seeds", lang): ", ".join(map(str, s.seeds)),
            }
        )
    return Section(
        t("lab.models_title"), (Paragraph(t("lab.models_text")), Table(pd.DataFrame(rows)))
    )


def _results(f: Facts) -> Section:
    t, labels = f.t, f.labels()
    recordings = max(s.intervals.recordings for s in f.found)
    blocks = [
        Table(
            views.settings_table(f.found, f.lang)[[header(c, f.lang) for c in RESULT_COLUMNS]],
            t("compare.intervals_caption", recordings=recordings),
        ),
        Chart(
            "accuracy",
            sized(evaluation.accuracy_chart(f.found, lang=f.lang), f.lang),
            t("lab.accuracy_caption", majority=_majority(f)),
        ),
    ]
    for s in f.found:
        if s.intervals.frequencies_only:
            blocks.append(
                Paragraph(
                    t("lab.flag_baseline", setting=labels[id(s)], majority=_majority(f)), "warning"
                )
            )
    single = [labels[id(s)] for s in f.found if len(s.runs) == 1]
    if single:
        blocks.append(
            Paragraph(
                t("lab.flag_one_seed", settings=t("lab.list_separator").join(single)), "warning"
            )
        )
    return Section(t("lab.results_title"), tuple(blocks))


def sentence(claim: Claim, f: Facts, labels: dict[int, str]) -> str:
    """A claim in words: Compare's verdict sentence; against the baseline, its own."""
    d, a = claim.difference, labels[id(claim.a)]
    if claim.b is not None:
        return views.verdict_text(d, a, labels[id(claim.b)], f.lang)
    iv, metric = d.difference, f.t(views.METRIC_NAMES[d.metric])
    metric = metric[:1].lower() + metric[1:] if f.lang == "en" else metric
    key = {"a": N_("lab.baseline.ahead"), "b": N_("lab.baseline.behind")}.get(
        d.verdict, N_("lab.baseline.neither")
    )
    return f.t(
        key,
        setting=a,
        majority=_majority(f),
        metric=metric,
        points=abs(iv.value) * 100,
        value=iv.value * 100,
        low=iv.low * 100,
        high=iv.high * 100,
        recordings=d.recordings,
    )


def _claims(f: Facts) -> tuple[Section, Section]:
    t, labels = f.t, f.labels()
    held = [sentence(c, f, labels) for c in f.claims if c.holds]
    rest = [sentence(c, f, labels) for c in f.claims if not c.holds]
    recordings = max(s.intervals.recordings for s in f.found)
    findings = (
        Paragraph(t("lab.findings_text")),
        Bullets(tuple(held), "finding") if held else Paragraph(t("lab.no_findings")),
    )
    not_shown = (
        Paragraph(t("lab.not_shown_text", recordings=recordings)),
        Bullets(tuple(rest), "not_shown") if rest else Paragraph(t("lab.all_shown")),
    )
    return (
        Section(t("lab.findings_title"), findings),
        Section(t("lab.not_shown_title"), not_shown),
    )


def _gap(f: Facts) -> Section:
    t, lang, labels = f.t, f.lang, f.labels()
    rows = []
    for s in f.found:
        train = statistics.fmean(r.train_accuracy for r in s.runs)
        val = [v for v in map(validation_accuracy, s.runs) if v is not None]
        test = s.mean("test_accuracy")
        rows.append(
            {
                header("run", lang): labels[id(s)],
                header("train_accuracy", lang): f"{train:.1%}",
                header("validation", lang): validation_name(s.run.config, lang),
                header("validation_accuracy", lang): f"{statistics.fmean(val):.1%}" if val else "—",
                header("test_accuracy", lang): f"{test:.1%}",
                header("gap", lang): f"{(train - test) * 100:+.1f}",
            }
        )
    train92 = next(r for r in REPORT_ROWS if r.split == Split.TRAIN)
    test54 = next(r for r in REPORT_ROWS if r.model == "alexnet" and r.split == Split.TEST)
    text = t(
        "lab.gap_text",
        train=train92.accuracy,
        test=test54.accuracy,
        gap=(train92.accuracy - test54.accuracy) * 100,
        baseline=test54.baseline,
        lead=(test54.accuracy - test54.baseline) * 100,
    )
    chart = evaluation.splits_chart(f.runs, lang)
    return Section(
        t("lab.gap_title"),
        (
            Paragraph(text),
            Table(pd.DataFrame(rows), t("compare.gap_help")),
            Chart("splits", sized(chart, f.lang), t("lab.splits_caption")),
        ),
    )


def best_setting(found: list[views.Setting]) -> views.Setting:
    """The setting with the highest mean test accuracy, among those that beat the baseline
    where any does."""
    beating = [s for s in found if not s.intervals.frequencies_only] or found
    return max(beating, key=lambda s: s.mean("test_accuracy"))


def _best(f: Facts) -> Section:
    t, lang = f.t, f.lang
    best = best_setting(f.found)
    run, name = best.run, f.labels()[id(best)]
    if len(best.runs) > 1:
        name = t("lab.with_seed", setting=name, seed=run.config.seed)
    blocks = [
        Paragraph(
            t(
                "lab.best_text",
                setting=name,
                accuracy=f"{run.test.accuracy:.1%}",
                balanced=f"{run.test.balanced_accuracy:.1%}",
            )
        ),
        Chart(
            "recall", sized(evaluation.recall_heatmap([run], lang), lang), t("lab.recall_caption")
        ),
        Chart("confusion", sized(confusion_chart(run, lang), lang), t("compare.confusion_caption")),
        *pictures.most_confused(run, f.store, lang),
        Paragraph(t("lab.pr_text")),
        Chart("precision-recall", sized(evaluation.pr_chart(run, lang), lang), ""),
    ]
    return Section(t("lab.best_title"), tuple(blocks))


def _imbalance(f: Facts) -> Section:
    t, labels = f.t, f.labels()
    about = [
        c
        for c in f.claims
        if c.kind == "idea" and options_changed(c.a.run.config, c.b.run.config) == {"balance"}
    ]
    if not about:
        return Section(t("lab.imbalance_title"), (Paragraph(t("lab.imbalance_none")),))
    said = tuple(sentence(c, f, labels) for c in about)
    return Section(t("lab.imbalance_title"), (Paragraph(t("lab.imbalance_answer")), Bullets(said)))


def command(run: Run) -> str:
    """The command line that trains `run` again, every setting spelt out."""
    from handclf_core.models import get_recipe

    c = run.config
    words = [
        "python -m handclf_core train",
        f"--model {c.model}",
        f"--task {c.task}",
        f"--epochs {c.epochs}",
        f"--batch-size {c.batch_size}",
        f"--lr {c.learning_rate!r}",
        f"--size {c.size}",
        "--gray" if c.gray else "--rgb",
        "--flip" if c.flip_right else "--no-flip",
    ]
    if get_recipe(c.model).optimizer == "sgd":
        words.append(f"--momentum {c.momentum!r}")
    words += ["--crop"] if c.crop else []
    words += [f"--balance {c.balance}"] + ([] if c.shuffle else ["--no-shuffle"])
    words.append(f"--validation {c.held_out or c.validation}")
    words += [f"--precision {c.precision}"] + ([f"--limit {c.limit}"] if c.limit else [])
    words += [f"--seed {c.seed}", "--retrain"]
    if not run.dataset.sample:
        words.append(f"--data {run.dataset.description}")
    elif sample_settings(run) not in (None, DEFAULT_SAMPLE):
        words.append(f"--data {SAMPLE_FOLDER}")
    return " ".join(words)


def _sample_command(runs: list[Run]) -> list[str]:
    """The command that draws the sample the runs trained on, where it is not the default."""
    found = sample_settings(runs[0])
    if found in (None, DEFAULT_SAMPLE):
        return []
    stride, size, seed = found
    return [
        f"python -m handclf_core sample --stride {stride} --size {size} --seed {seed} "
        f"--out {SAMPLE_FOLDER}"
    ]


def _reproduce(f: Facts) -> Section:
    t, lang, run = f.t, f.lang, f.runs[0]
    from handclf_core.views.runs import device_name

    envs = {
        (e.keras, e.tensorflow, e.python, e.platform, e.device.backend)
        for e in (r.environment for r in f.runs)
    }
    facts = [
        t("lab.repro.dataset", dataset=dataset_name(run, lang), identity=run.dataset.identity),
        *(
            t(
                "lab.repro.software",
                keras=k,
                tensorflow=tf or "—",
                python=py,
                platform=pl,
                backend=b,
            )
            for k, tf, py, pl, b in sorted(envs, key=str)
        ),
        t(
            "lab.repro.devices",
            devices=t("lab.list_separator").join(
                sorted({device_name(r.environment.device, lang) for r in f.runs})
            ),
        ),
        t(
            "lab.repro.precisions",
            precisions=t("lab.list_separator").join(
                sorted({i18n.name(r.config.precision, lang) for r in f.runs})
            ),
        ),
    ]
    labels = f.labels()
    rows = [
        {
            header("run", lang): labels[id(s)],
            header("seed", lang): str(r.config.seed),
            header("run_name", lang): f"`{r.name}`",
            header("created", lang): r.created,
        }
        for s in f.found
        for r in s.runs
    ]
    return Section(
        t("lab.reproduce_title"),
        (
            Bullets(tuple(facts)),
            Table(pd.DataFrame(rows)),
            Paragraph(t("lab.repro_text")),
            Code((*_sample_command(f.runs), *(command(r) for s in f.found for r in s.runs))),
        ),
    )
