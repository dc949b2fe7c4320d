"""Figures with their uncertainty, as Compare (and the notebook) show them: settings (runs equal but
for the seed) with their 95% intervals, the accuracy chart's error bars and seed dots, the
noise lesson's picture (a run's test recordings, and where its figure could have landed),
the chart of a difference between two settings, and each verdict in words.

Pure pandas and Altair over `runs.Run` records and `runs.uncertainty` results; texts in
`lang`. The intervals come from the caller (`runs.confidence`, cached by the app), so a
setting without them (a run kept before its test predictions were) is still shown, as its
figures alone.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from handclf_core import i18n
from handclf_core.i18n import N_
from handclf_core.runs.confidence import setting, settings
from handclf_core.runs.record import Run
from handclf_core.runs.uncertainty import Difference, Interval, Intervals
from handclf_core.views import labels
from handclf_core.views.runs import (
    config_label,
    header,
    preprocessing_summary,
    validation_accuracy,
)

# The figures an interval is given for, by metric id: the run's own value, and the
# catalogue key of its name.
METRIC_NAMES = {
    "test_accuracy": N_("metric.test_accuracy"),
    "balanced_accuracy": N_("metric.balanced_accuracy"),
    "macro_f1": N_("metric.macro_f1"),
}
_VALUE = {
    "test_accuracy": lambda r: r.test.accuracy,
    "balanced_accuracy": lambda r: r.test.balanced_accuracy,
    "macro_f1": lambda r: r.test.macro_f1,
}


@dataclass(frozen=True)
class Setting:
    """The runs of one setting (one per seed) and their pooled intervals (None when a run
    has no kept test predictions)."""

    runs: tuple[Run, ...]
    intervals: Intervals | None

    @property
    def run(self) -> Run:
        return self.runs[0]

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(r.config.seed for r in self.runs)

    def values(self, metric: str) -> list[float]:
        return [_VALUE[metric](r) for r in self.runs]

    def mean(self, metric: str) -> float:
        return statistics.fmean(self.values(metric))

    def spread(self, metric: str) -> tuple[float, float, float] | None:
        """(standard deviation, min, max) over the seeds; None for a single seed."""
        v = self.values(metric)
        return (statistics.stdev(v), min(v), max(v)) if len(v) > 1 else None


def group(runs: Sequence[Run], intervals_of: Callable[[list[Run]], Intervals | None]):
    """The runs as Settings (`runs.confidence.settings`), each with `intervals_of(its runs)`."""
    return [Setting(tuple(g), intervals_of(g)) for g in settings(runs)]


def as_settings(items: Sequence[Setting | Run]) -> list[Setting]:
    """What a chart draws a row for: Settings as they are, a plain run a setting of its own
    (no intervals). Compare passes its Settings, so a setting of three seeds is one row."""
    return [s if isinstance(s, Setting) else Setting((s,), None) for s in items]


def setting_labels(found: Sequence[Setting], lang: str = "en") -> list[str]:
    """A short name per setting, without its seeds ("CNN_basic · gray"); made unique with
    the first run's key where two collide."""
    labels = [config_label(setting(s.run.config), lang) for s in found]
    return [
        f"{lab} #{s.run.name.rsplit('-', 1)[-1][:6]}" if labels.count(lab) > 1 else lab
        for lab, s in zip(labels, found, strict=True)
    ]


def interval_text(value: float, iv: Interval | None) -> str:
    """ "64.4% (58.6–68.5)"; "64.4%" without an interval."""
    if iv is None:
        return f"{value:.1%}"
    return f"{value:.1%} ({iv.low * 100:.1f}–{iv.high * 100:.1f})"


def spread_text(s: Setting, metric: str = "test_accuracy", lang: str = "en") -> str:
    """ "sd 2.5 · 61.2–66.0" (points) over the seeds, in `lang`; "—" for one seed."""
    spread = s.spread(metric)
    if spread is None:
        return "—"
    sd, lo, hi = (x * 100 for x in spread)
    t = i18n.translator(lang)
    return t("compare.spread", sd=sd, low=lo, high=hi)


# Compare's first table: one row per setting, each figure with its interval.
SETTING_COLUMNS = ("run", "seeds", "test_accuracy", "seed_spread", "majority_baseline",
                   "balanced_accuracy", "macro_f1", "train_accuracy", "validation_accuracy",
                   "gap", "preprocessing")  # fmt: skip


def settings_table(found: Sequence[Setting], lang: str = "en") -> pd.DataFrame:
    """One row per setting, as text: each test figure the mean over the seeds with its 95%
    interval ("64.4% (58.6–68.5)"), the seeds and their spread, train and validation
    accuracy (means), the gap, the preprocessing; headed in `lang`."""
    rows = []
    for label, s in zip(setting_labels(found, lang), found, strict=True):
        iv, run = s.intervals, s.run
        train = statistics.fmean(r.train_accuracy for r in s.runs)
        val = [v for v in map(validation_accuracy, s.runs) if v is not None]
        baseline = run.test.majority_baseline.accuracy
        rows.append({
            "run": label,
            "seeds": ", ".join(map(str, s.seeds)),
            **{m: interval_text(s.mean(m), iv and iv.metric(m)) for m in METRIC_NAMES},
            "seed_spread": spread_text(s, lang=lang),
            "majority_baseline": interval_text(baseline, iv and iv.baseline),
            "train_accuracy": f"{train:.1%}",
            "validation_accuracy": f"{statistics.fmean(val):.1%}" if val else "—",
            "gap": f"{(train - s.mean('test_accuracy')) * 100:+.1f}",
            "preprocessing": preprocessing_summary(run.preprocessing, lang),
        })  # fmt: skip
    table = pd.DataFrame(rows, columns=list(SETTING_COLUMNS))
    return table.rename(columns={c: header(c, lang) for c in SETTING_COLUMNS})


def accuracy_frame(found: Sequence[Setting], lang: str = "en") -> pd.DataFrame:
    """The accuracy chart's rows of settings: mean, interval, baseline, and the seeds."""
    rows = []
    for label, s in zip(setting_labels(found, lang), found, strict=True):
        iv, base = s.intervals, s.run.test.majority_baseline
        mean = s.mean("test_accuracy")
        rows.append({
            "name": label, "accuracy": mean, "source_id": "run",
            "low": iv.test_accuracy.low if iv else None,
            "high": iv.test_accuracy.high if iv else None,
            "interval": interval_text(mean, iv and iv.test_accuracy),
            "baseline": base.accuracy,
            "baseline class": i18n.class_name(lang, s.run.task, base.name),
            "seeds": s.values("test_accuracy"),
        })  # fmt: skip
    return pd.DataFrame(rows)


def by_recording(true, predicted, recordings) -> pd.DataFrame:
    """A run's test frames per recording: "recording", "frames", "right" and "accuracy"
    (the share right), worst first. true, predicted: (N,) class ids; recordings: (N,) each
    frame's recording ("lab/4")."""
    right = np.asarray(predicted) == np.asarray(true)
    df = pd.DataFrame({"recording": np.asarray(recordings).astype(str), "right": right})
    out = df.groupby("recording")["right"].agg(frames="size", right="sum").reset_index()
    out["accuracy"] = out["right"] / out["frames"]
    return out.sort_values(["accuracy", "recording"], ignore_index=True)


def recordings_chart(per: pd.DataFrame, figure: Interval, lang: str = "en") -> alt.LayerChart:
    """The noise lesson's picture: a dot per test recording (`by_recording`) at the share of
    its frames the run got right, a black line at the whole test split's figure, and a grey
    band where that figure could have come out with other recordings (its 95% interval)."""
    t = i18n.translator(lang)
    names = list(per["recording"])
    share = t("compare.chart.share_right")
    x = alt.X(
        "accuracy:Q", title=share, axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1])
    )
    band_text = f"{figure.low * 100:.0f}–{figure.high:.0%}"
    band = (
        alt.Chart(pd.DataFrame({"low": [figure.low], "high": [figure.high], "range": [band_text]}))
        .mark_rect(color="#bdbdbd", opacity=0.6)
        .encode(
            x=alt.X("low:Q", title=share),
            x2="high:Q",
            tooltip=[alt.Tooltip("range:N", title=t("compare.chart.could_have_been"))],
        )
    )
    whole = (
        alt.Chart(pd.DataFrame({"accuracy": [figure.value]}))
        .mark_rule(color="black", strokeWidth=3)
        .encode(
            x=alt.X("accuracy:Q", title=share),
            tooltip=[alt.Tooltip("accuracy:Q", format=".1%", title=t("compare.chart.whole"))],
        )
    )
    dots = (
        alt.Chart(per)
        .mark_point(shape="circle", filled=True, size=110, color="#4c78a8", opacity=1)
        .encode(
            x=x,
            y=alt.Y(
                "recording:N",
                sort=names,
                title=t("compare.chart.recording"),
                axis=labels.axis(names),
            ),
            tooltip=[
                alt.Tooltip("recording:N", title=t("compare.chart.recording")),
                alt.Tooltip("accuracy:Q", format=".1%", title=share),
                alt.Tooltip("frames:Q", title=t("compare.chart.test_frames")),
            ],
        )
    )
    # Its title a part a line, as a key to the marks: whole, one line outgrew a 1440-px page
    # in a projector's type.
    title = alt.TitleParams(t("compare.chart.recordings_title").split(" · "))
    return alt.layer(band, whole, dots).properties(height=labels.step(names, 22), title=title)


# The differences chart's colours by verdict: ahead, behind, within the noise.
VERDICTS = {
    "a": ("#2e7d32", N_("compare.verdict.ahead")),
    "b": ("#c62828", N_("compare.verdict.behind")),
    "neither": ("#9e9e9e", N_("compare.verdict.noise")),
}


def difference_chart(
    names: Sequence[str], found: Sequence[Difference], reference: str, lang: str = "en"
) -> alt.LayerChart:
    """Each of `names` minus the reference on one metric, with its paired 95% interval: a
    point and a bar across it, a line at 0; coloured by what the interval says. Compare
    draws the one pair chosen (a row, "A", titled "... minus B")."""
    t = i18n.translator(lang)
    metric = t(METRIC_NAMES[found[0].metric]) if found else ""
    df = pd.DataFrame([
        {"name": lab, "difference": d.difference.value * 100, "low": d.difference.low * 100,
         "high": d.difference.high * 100, "verdict": t(VERDICTS[d.verdict][1]),
         "interval": f"{d.difference.low * 100:+.1f} … {d.difference.high * 100:+.1f}"}
        for lab, d in zip(names, found, strict=True)
    ])  # fmt: skip
    # The whole sentence is the chart's title, which the page breaks onto lines for its width
    # ("Test accuracy minus Mnist-style CNN · batch 32 · 1 epoch · ≤32 frames (points)" was
    # cut as an axis title in a narrow room); the axis says only what its numbers are.
    title = t("compare.chart.difference", metric=metric, reference=reference)
    axis = t("compare.chart.difference_axis")
    x = alt.X("difference:Q", title=axis, axis=alt.Axis(format="+.0f"))
    y = alt.Y("name:N", title=t("compare.chart.run"), sort=None, axis=labels.axis(df["name"]))
    verdicts = [t(k) for _, k in VERDICTS.values()]
    colour = alt.Color(
        "verdict:N", title=None,  # one verdict a line: side by side they outgrew a projector
        legend=labels.legend(verdicts, orient="bottom"),
        scale=alt.Scale(domain=verdicts, range=[c for c, _ in VERDICTS.values()]),
    )  # fmt: skip
    tooltip = [
        alt.Tooltip("name:N", title=t("compare.chart.run")),
        alt.Tooltip("difference:Q", format="+.1f", title=title),
        alt.Tooltip("interval:N", title=t("compare.chart.interval")),
        alt.Tooltip("verdict:N", title=t("compare.chart.verdict")),
    ]
    base = alt.Chart(df).encode(y=y, tooltip=tooltip)
    bars = base.mark_rule(strokeWidth=3).encode(
        x=alt.X("low:Q", title=axis, axis=alt.Axis(format="+.0f")), x2="high:Q", color=colour
    )
    points = base.mark_point(filled=True, size=90).encode(x=x, color=colour)
    zero = (
        alt.Chart(pd.DataFrame({"zero": [0]}))
        .mark_rule(color="black")
        .encode(x=alt.X("zero:Q", title=axis))
    )
    return alt.layer(bars, points, zero).properties(height=labels.step(df["name"], 30), title=title)


def verdict_text(d: Difference, a: str, b: str, lang: str = "en") -> str:
    """A paired difference in words: who is ahead, by how much, and whether the test split
    can tell ("within the noise of 10 test recordings")."""
    t = i18n.translator(lang)
    iv, metric = d.difference, t(METRIC_NAMES[d.metric])
    metric = metric[:1].lower() + metric[1:]  # inside a sentence ("points of test accuracy")
    fields = {"metric": metric, "recordings": d.recordings}
    if d.verdict == "neither":
        return t("compare.verdict.neither_text", a=a, b=b, points=iv.value * 100,
                 low=iv.low * 100, high=iv.high * 100, **fields)  # fmt: skip
    ahead, behind, sign = (a, b, 1) if d.verdict == "a" else (b, a, -1)
    low, high = sorted((iv.low * 100 * sign, iv.high * 100 * sign))
    return t("compare.verdict.real_text", ahead=ahead, behind=behind,
             points=abs(iv.value) * 100, low=low, high=high, **fields)  # fmt: skip
