"""The lessons a lab report draws after its findings: train, validation and test side by
side (the report's 92%); the best setting class by class, with the frames of its most
frequent mistake; and what class weights did to the imbalance, the student's own question."""

from __future__ import annotations

import statistics

import pandas as pd

from handclf_core.labreport import pictures, sections
from handclf_core.labreport.claims import options_changed
from handclf_core.labreport.document import Bullets, Chart, Paragraph, Section, Table
from handclf_core.runs.report import REPORT_ROWS
from handclf_core.views import confidence as views
from handclf_core.views import evaluation, per_class
from handclf_core.views.mistakes import confusion_chart
from handclf_core.views.runs import header, validation_accuracy, validation_name
from handclf_core.vocab import Split


def gap(f: sections.Facts) -> Section:
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
    chart = evaluation.splits_chart(f.found, lang)
    return Section(
        t("lab.gap_title"),
        (
            Paragraph(text),
            Table(pd.DataFrame(rows), t("compare.gap_help")),
            Chart("splits", sections.sized(chart, f.lang), t("lab.splits_caption")),
        ),
    )


def best_setting(found: list[views.Setting]) -> views.Setting:
    """The setting with the highest mean test accuracy, among those that beat the baseline
    where any does."""
    beating = [s for s in found if not s.intervals.frequencies_only] or found
    return max(beating, key=lambda s: s.mean("test_accuracy"))


def best(f: sections.Facts) -> Section:
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
            "recall",
            sections.sized(per_class.recall_heatmap([run], lang), lang),
            t("lab.recall_caption"),
        ),
        Chart(
            "confusion",
            sections.sized(confusion_chart(run, lang), lang),
            t("compare.confusion_caption"),
        ),
        *pictures.most_confused(run, f.store, lang),
        Paragraph(t("lab.pr_text")),
        Chart("precision-recall", sections.sized(per_class.pr_chart(run, lang), lang), ""),
    ]
    return Section(t("lab.best_title"), tuple(blocks))


def imbalance(f: sections.Facts) -> Section:
    t, labels = f.t, f.labels()
    about = [
        c
        for c in f.claims
        if c.kind == "idea" and options_changed(c.a.run.config, c.b.run.config) == {"balance"}
    ]
    if not about:
        return Section(t("lab.imbalance_title"), (Paragraph(t("lab.imbalance_none")),))
    said = tuple(sections.sentence(c, f, labels) for c in about)
    return Section(t("lab.imbalance_title"), (Paragraph(t("lab.imbalance_answer")), Bullets(said)))
