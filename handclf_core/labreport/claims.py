"""The claims a lab report makes, each a paired difference with its 95% interval and the
verdict `runs.uncertainty` gives it: only a claim whose interval lies on one side of 0 is
written as a finding; the others are "not shown at this size".

Which claims: each setting against always answering the majority class (its accuracy and
its balanced accuracy, paired on the same recordings); each pair of settings of one model
that differ in one option (the experiments' grid: each idea against its recipe); and the
best setting of each model against the others'. Each pair on test accuracy and on balanced
accuracy, the figure class weights are for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from handclf_core import records
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.uncertainty import Difference
from handclf_core.views.confidence import Setting

METRICS = ("test_accuracy", "balanced_accuracy")
MAX_PAIRS = 30  # of settings: 60 claims read as a list, not a report
_BASELINE = {"test_accuracy": "over_baseline", "balanced_accuracy": "balanced_over_baseline"}
_SAME = {"seed"}  # what the runs of one setting differ by
_ONE = ({"validation", "held_out"},)  # fields that change together, one option


@dataclass(frozen=True)
class Claim:
    """`a` minus `b` (settings, or `b` None: the majority baseline) on one metric."""

    a: Setting
    b: Setting | None
    kind: str  # "baseline", "idea" (one option changed) or "models"
    difference: Difference

    @property
    def holds(self) -> bool:
        return self.difference.verdict != "neither"


def options_changed(a: TrainConfig, b: TrainConfig) -> set[str]:
    """The configuration fields two resolved configurations differ by (seeds aside), the
    fields of one option counted once."""
    ca, cb = records.to_json(a), records.to_json(b)
    changed = {k for k in ca if ca[k] != cb[k]} - _SAME
    for together in _ONE:
        if changed & together:
            changed = (changed - together) | {min(together)}
    return changed


def pairs(found: Sequence[Setting]) -> list[tuple[Setting, Setting, str]]:
    """(a, b, kind) of the settings compared: b the one nearer its model's recipe."""
    out = []
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            if a.run.model == b.run.model and len(options_changed(a.run.config, b.run.config)) == 1:
                first, second = sorted((a, b), key=lambda s: -_distance(s))
                out.append((first, second, "idea"))
    best = {}
    for s in found:
        m = s.run.model
        if m not in best or s.mean("test_accuracy") > best[m].mean("test_accuracy"):
            best[m] = s
    leaders = sorted(best.values(), key=lambda s: -s.mean("test_accuracy"))
    for i, a in enumerate(leaders):
        out.extend((a, b, "models") for b in leaders[i + 1 :])
    return out[:MAX_PAIRS]


def _distance(s: Setting) -> int:
    """How many options the setting changes from its model's recipe."""
    config = s.run.config
    return len(options_changed(config, dataclasses.replace(config.recipe(), seed=config.seed)))


def baseline_claims(found: Sequence[Setting]) -> list[Claim]:
    """Each setting against the majority baseline, on each metric (from its intervals)."""
    out = []
    for s in found:
        if s.intervals is None:
            continue
        for metric in METRICS:
            iv = getattr(s.intervals, _BASELINE[metric])
            verdict = "a" if iv.low > 0 else "b" if iv.high < 0 else "neither"
            d = Difference(metric, iv, s.intervals.recordings, verdict)
            out.append(Claim(s, None, "baseline", d))
    return out


def paired_claims(
    found: Sequence[Setting], difference: Callable[[Setting, Setting, str], Difference]
) -> list[Claim]:
    """The pairs of `pairs`, each on each metric: `difference(a, b, metric)` is a minus b,
    paired (`runs.confidence.compare_runs`)."""
    shown = [s for s in found if s.intervals is not None]
    return [
        Claim(a, b, kind, difference(a, b, metric))
        for a, b, kind in pairs(shown)
        for metric in METRICS
    ]
