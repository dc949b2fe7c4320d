"""Runs as people read them: a recipe in a line, short labels, one table row per run,
headline figures.

Pure pandas over `runs.Run` records (no TensorFlow, no Streamlit): the Compare page lists
runs in milliseconds and a notebook can reuse it. Every accuracy is shown beside the
**majority baseline** of the same frames: on HandCam's `obj` task, always answering `free`
scores 50.09% on the test split. Texts are in `lang` ("en" or "zh_TW", see `i18n`); columns
are named by ids (`test_accuracy`), shown under their headers in `lang`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from handclf_core import i18n
from handclf_core.data.images import Preprocessing
from handclf_core.i18n import N_, model_name, name
from handclf_core.models import get_recipe
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.device import Device, preferred_precision
from handclf_core.runs.record import Run
from handclf_core.runs.report import REPORT_ROWS
from handclf_core.vocab import Validation


def device_name(device: Device, lang: str = "en") -> str:
    """ "CPU (2 cores)", "GPU x1: NVIDIA H100" in `lang`."""
    return name(device.kind, lang, count=device.count, name=device.name)


def preprocessing_summary(prep: Preprocessing, lang: str = "en") -> str:
    """'32x32 RGB, squashed' / '227x227 RGB, right mirrored, cropped'."""
    t = i18n.translator(lang)
    size = prep.size
    parts = [t("compare.prep.gray", size=size) if prep.gray else t("compare.prep.rgb", size=size)]
    if prep.flip_right:
        parts.append(t("compare.prep.mirrored"))
    parts.append(t("compare.prep.cropped") if prep.crop else t("compare.prep.squashed"))
    return t("compare.list_separator").join(parts)


def recipe_summary(config: TrainConfig, lang: str = "en") -> str:
    """A resolved configuration in a line: "adam optimizer; input 32x32 RGB; frames squashed,
    reshuffled every epoch; all frames per split; validation on lab/4; mixed bfloat16"."""
    t, c = i18n.translator(lang), config
    optimizer = get_recipe(c.model).optimizer
    if c.momentum:
        optimizer = t("train.optimizer_momentum", optimizer=optimizer, momentum=c.momentum)
    else:
        optimizer = t("train.optimizer", optimizer=optimizer)
    return t(
        "train.recipe_caption",
        optimizer=optimizer,
        size=c.size,
        colour=t("train.gray") if c.gray else t("train.rgb"),
        mirror=t("train.mirrored") if c.flip_right else "",
        crop=t("train.cropped") if c.crop else t("train.squashed"),
        order=t("train.reshuffled") if c.shuffle else t("train.in_order"),
        frames=t("train.at_most", limit=c.limit) if c.limit else t("train.all_frames"),
        validation=validation_name(c, lang),
        precision=name(c.precision, lang),
    )


def validation_name(config: TrainConfig, lang: str = "en") -> str:
    """The frames a resolved configuration validates on: the recording it holds out
    ("lab/4"), else its kind's name ("a random 20% of frames", "none")."""
    if config.validation == Validation.RECORDING:
        return config.held_out
    return name(config.validation, lang)


def changes(config: TrainConfig, lang: str = "en") -> list[str]:
    """What a resolved configuration changes from its model's recipe, in `lang`: ["gray",
    "class weights", "4 epochs"]; empty for the recipe itself. The seed is no change: runs
    of one setting differ by it (`config_label` names it)."""
    t, c, r = i18n.translator(lang), config, config.recipe()

    def tn(key: str, count: int) -> str:
        return i18n.translate_count(lang, key, count)

    out = []
    if c.size != r.size:
        out.append(t("change.size", size=c.size))
    if c.gray != r.gray:
        out.append(t("change.gray") if c.gray else t("change.rgb"))
    if c.flip_right != r.flip_right:
        out.append(t("change.mirrored") if c.flip_right else t("change.not_mirrored"))
    if c.crop != r.crop:
        out.append(t("change.cropped"))
    if c.shuffle != r.shuffle:
        out.append(t("change.in_order"))
    if c.balance != r.balance:
        out.append(name(c.balance, lang))
    if (c.validation, c.held_out) != (r.validation, r.held_out):
        out.append(t("change.validation", validation=validation_name(c, lang)))
    if c.momentum != r.momentum:
        out.append(t("change.plain_sgd") if not c.momentum
                   else t("change.momentum", momentum=c.momentum))  # fmt: skip
    if c.learning_rate != r.learning_rate:
        out.append(t("change.learning_rate", rate=f"{c.learning_rate:g}"))
    if c.batch_size != r.batch_size:
        out.append(t("change.batch_size", batch=c.batch_size))
    if c.epochs != r.epochs:
        out.append(tn("change.epochs", c.epochs))
    if c.limit:
        out.append(t("change.limit", limit=c.limit))
    if c.precision != preferred_precision():
        out.append(name(c.precision, lang))
    return out


def config_label(config: TrainConfig, lang: str = "en") -> str:
    """A run's one name, on every page, in the CSV and the CLI: its setting (the model and
    what it changes from the recipe: "CNN_basic · gray", "Mnist-style CNN · recipe"), then
    its seed unless it is the recipe's 0 ("CNN_basic · recipe · seed 1"). A setting, its
    seeds pooled, is named as its seed 0 is. Name the configuration a run stores (after
    `training.splits.effective`): a frame limit that limits nothing is no part of it."""
    t = i18n.translator(lang)
    parts = [model_name(config.model, lang), *(changes(config, lang) or [t("change.recipe")])]
    if config.seed:  # a recipe's seed is 0
        parts.append(t("change.seed", seed=config.seed))
    return t("change.separator").join(parts)


def _label(run: Run, lang: str) -> str:
    return config_label(run.config, lang)


def validation_accuracy(run: Run) -> float | None:
    """The last epoch's validation accuracy; None for a run without validation."""
    values = run.history.get("val_accuracy") or ()
    return values[-1] if values else None


def run_labels(runs: list[Run], lang: str = "en") -> list[str]:
    """A short readable name per run, made unique with the run's key where two collide."""
    labels = [_label(r, lang) for r in runs]
    return [
        f"{lab} #{r.name.rsplit('-', 1)[-1][:6]}" if labels.count(lab) > 1 else lab
        for lab, r in zip(labels, runs, strict=True)
    ]


# The runs table's columns by id, each with its header's catalogue key.
RUN_COLUMNS = {
    "run": N_("compare.col.run"),
    "model": N_("compare.col.model"),
    "test_accuracy": N_("compare.col.test_accuracy"),
    "majority_baseline": N_("compare.col.majority_baseline"),
    "balanced_accuracy": N_("compare.col.balanced_accuracy"),
    "macro_f1": N_("compare.col.macro_f1"),
    "train_accuracy": N_("compare.col.train_accuracy"),
    "validation_accuracy": N_("compare.col.validation_accuracy"),
    "gap": N_("compare.col.gap"),
    "params": N_("compare.col.params"),
    "training_time": N_("compare.col.training_time"),
    "images_per_second": N_("compare.col.images_per_second"),
    "device": N_("compare.col.device"),
    "preprocessing": N_("compare.col.preprocessing"),
    "epochs": N_("compare.col.epochs"),
    "balance": N_("compare.col.balance"),
    "validation": N_("compare.col.validation"),
    "precision": N_("compare.col.precision"),
    "test_frames": N_("compare.col.test_frames"),
    "seed": N_("compare.col.seed"),
    "seeds": N_("compare.col.seeds"),
    "seed_spread": N_("compare.col.seed_spread"),
    "test_accuracy_low": N_("compare.col.test_accuracy_low"),
    "test_accuracy_high": N_("compare.col.test_accuracy_high"),
    "balanced_accuracy_low": N_("compare.col.balanced_accuracy_low"),
    "balanced_accuracy_high": N_("compare.col.balanced_accuracy_high"),
    "macro_f1_low": N_("compare.col.macro_f1_low"),
    "macro_f1_high": N_("compare.col.macro_f1_high"),
    "majority_baseline_low": N_("compare.col.majority_baseline_low"),
    "majority_baseline_high": N_("compare.col.majority_baseline_high"),
    "test_recordings": N_("compare.col.test_recordings"),
    "created": N_("compare.col.created"),
    "run_name": N_("compare.col.run_name"),
}
# What the Compare page shows first (it fits a 1440 px window), and what it keeps for the
# details below.
MAIN_COLUMNS = ("run", "test_accuracy", "majority_baseline", "balanced_accuracy", "macro_f1",
                "train_accuracy", "validation_accuracy", "gap", "preprocessing")  # fmt: skip
DETAIL_COLUMNS = ("run", "model", "epochs", "balance", "validation", "precision", "params",
                  "training_time", "images_per_second", "device", "test_frames", "created",
                  "run_name")  # fmt: skip
REPORT_COLUMNS = {
    "model": N_("compare.col.model"),
    "input": N_("compare.col.input"),
    "accuracy": N_("compare.col.accuracy"),
    "split": N_("compare.col.split"),
    "baseline": N_("compare.col.baseline"),
    "note": N_("compare.col.note"),
}


def header(column: str, lang: str = "en") -> str:
    """How the column `column` (an id of RUN_COLUMNS or REPORT_COLUMNS) is headed in `lang`."""
    key = RUN_COLUMNS.get(column) or REPORT_COLUMNS.get(column)
    return i18n.translate(lang, key) if key else column


def _headed(rows: list[dict], columns, lang: str) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=list(columns))
    return table.rename(columns={c: header(c, lang) for c in columns})


def runs_table(
    runs: list[Run], lang: str = "en", columns=tuple(RUN_COLUMNS), intervals=None
) -> pd.DataFrame:
    """One row per run: test metrics beside the baseline, over-fitting gap, cost, settings;
    `columns` (ids of RUN_COLUMNS, all by default) under their headers in `lang`. Fractions
    stay fractions (0.529, not 52.9): the page formats them as percentages; the gap is in
    points (+10.5), as the page shows it. `intervals`
    (run name -> `uncertainty.Intervals`) fills the columns of their 95% ends, empty for a
    run without."""
    rows = []
    for label, run in zip(run_labels(runs, lang), runs, strict=True):
        test, c = run.test, run.config
        iv = (intervals or {}).get(run.name)
        ends = {}
        for m in ("test_accuracy", "balanced_accuracy", "macro_f1", "majority_baseline"):
            found = iv and iv.metric("baseline" if m == "majority_baseline" else m)
            ends[f"{m}_low"], ends[f"{m}_high"] = (found.low, found.high) if found else (None, None)
        rows.append(
            {
                **ends,
                "seed": c.seed,
                "test_recordings": iv.recordings if iv else None,
                "run": label,
                "model": model_name(c.model, lang),
                "test_accuracy": test.accuracy,
                "majority_baseline": test.majority_baseline.accuracy,
                "balanced_accuracy": test.balanced_accuracy,
                "macro_f1": test.macro_f1,
                "train_accuracy": run.train_accuracy,
                "validation_accuracy": validation_accuracy(run),
                "gap": round((run.train_accuracy - test.accuracy) * 100, 1),  # points
                "params": run.params,
                "training_time": run.timings.seconds,
                "images_per_second": run.timings.images_per_second,
                "device": device_name(run.environment.device, lang),
                "preprocessing": preprocessing_summary(run.preprocessing, lang),
                "epochs": c.epochs,
                "balance": name(c.balance, lang),
                "validation": validation_name(c, lang),
                "precision": name(c.precision, lang),
                "test_frames": test.frames,
                "created": run.created,
                "run_name": run.name,
            }
        )
    return _headed(rows, columns, lang)


def report_table(lang: str = "en") -> pd.DataFrame:
    """The assignment report's figures (see `report`), the columns of REPORT_COLUMNS under
    their headers in `lang`."""
    t = i18n.translator(lang)
    rows = [
        {"model": t(r.title), "input": t(r.input), "accuracy": r.accuracy,
         "split": name(r.split, lang), "baseline": r.baseline, "note": t(r.note)}
        for r in REPORT_ROWS
    ]  # fmt: skip
    return _headed(rows, REPORT_COLUMNS, lang)


def frequencies_only(run: Run, intervals=None) -> bool:
    """Whether a run is not distinguishable from always answering the majority class: with
    its `uncertainty.Intervals`, when the paired interval of its accuracy (or balanced
    accuracy) minus the baseline's reaches 0 (`Intervals.frequencies_only`). Without them
    (a run kept before its test predictions were), from the figures alone: accuracy within
    a point of the baseline's (either side), or balanced accuracy under 1.5 times the
    baseline's. Such a run is never shown as a success; one that trades accuracy for
    balanced accuracy (class weights) is not such a run."""
    if intervals is not None:
        return intervals.frequencies_only
    test, base = run.test, run.test.baseline_scores()
    return (abs(test.accuracy - base.accuracy) < 0.01
            or test.balanced_accuracy < 1.5 * base.balanced_accuracy)  # fmt: skip


@dataclass(frozen=True)
class Figure:
    """One headline figure of a run, with the line it is read against."""

    label: str  # catalogue key of its name
    value: float
    baseline: float | None = None  # what always answering the majority class scores
    test: float | None = None  # train accuracy only: the test accuracy beside it


def headline(run: Run) -> list[Figure]:
    """A run's headline figures: test accuracy, balanced accuracy and macro-F1, each with
    what always answering the training split's majority class scores on the same frames;
    and train accuracy, read beside the test accuracy (the gap is over-fitting)."""
    test, base = run.test, run.test.baseline_scores()
    return [
        Figure(N_("metric.test_accuracy"), test.accuracy, baseline=base.accuracy),
        Figure(N_("metric.balanced_accuracy"), test.balanced_accuracy,
               baseline=base.balanced_accuracy),
        Figure(N_("metric.macro_f1"), test.macro_f1, baseline=base.macro_f1),
        Figure(N_("metric.train_accuracy"), run.train_accuracy, test=test.accuracy),
    ]  # fmt: skip
