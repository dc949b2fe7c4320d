"""Each section of a lab report, in the assignment's order, from `Facts`: the runs chosen,
their settings with intervals, and the claims with their verdicts. Figures and charts come
from the views Compare draws them with; every word from the catalogues (`lab.*`)."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from handclf_core import i18n
from handclf_core.i18n import N_
from handclf_core.labreport import lessons, reproduce
from handclf_core.labreport.claims import Claim
from handclf_core.labreport.document import Bullets, Chart, Paragraph, Section, Table
from handclf_core.runs.record import Run
from handclf_core.views import confidence as views
from handclf_core.views import evaluation
from handclf_core.views.runs import (
    header,
    preprocessing_summary,
    validation_name,
)
from handclf_core.vocab import Validation

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
        lessons.gap(f),
        lessons.best(f),
        lessons.imbalance(f),
        reproduce.section(f),
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


def majority(f: Facts) -> str:
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
                    dataset=reproduce.dataset_name(run, f.lang),
                )
            ),
            Paragraph(
                t(
                    "lab.imbalance_text",
                    majority=majority(f),
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
            t("lab.accuracy_caption", majority=majority(f)),
        ),
    ]
    for s in f.found:
        if s.intervals.frequencies_only:
            blocks.append(
                Paragraph(
                    t("lab.flag_baseline", setting=labels[id(s)], majority=majority(f)), "warning"
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
        majority=majority(f),
        metric=metric,
        points=abs(iv.value) * 100,
        value=iv.value * 100,
        low=iv.low * 100,
        high=iv.high * 100,
        recordings=d.recordings,
    )


# The kinds of claims in the order a report lists them, each under its heading
KINDS = {
    "baseline": N_("lab.kind.baseline"),
    "idea": N_("lab.kind.idea"),
    "models": N_("lab.kind.models"),
}


def _grouped(f: Facts, claims: list[Claim], kind: str) -> list:
    """The claims' sentences under the heading of each kind they are of."""
    labels, out = f.labels(), []
    for k, heading in KINDS.items():
        said = [sentence(c, f, labels) for c in claims if c.kind == k]
        if said:
            out += [Paragraph(f.t(heading, majority=majority(f))), Bullets(tuple(said), kind)]
    return out


def _claims(f: Facts) -> tuple[Section, Section]:
    t = f.t
    held = [c for c in f.claims if c.holds]
    rest = [c for c in f.claims if not c.holds]
    recordings = max(s.intervals.recordings for s in f.found)
    findings = (
        Paragraph(t("lab.findings_text")),
        *(_grouped(f, held, "finding") if held else [Paragraph(t("lab.no_findings"))]),
    )
    not_shown = (
        Paragraph(t("lab.not_shown_text", recordings=recordings)),
        *(_grouped(f, rest, "not_shown") if rest else [Paragraph(t("lab.all_shown"))]),
    )
    return (
        Section(t("lab.findings_title"), findings),
        Section(t("lab.not_shown_title"), not_shown),
    )
