"""A lab report from the runs a student chose: checked first, then the figures Compare shows
(one source: `views.confidence`, `views.evaluation`, `runs.confidence`), in the reader's
language, laid out as `document.Document` sections (`sections`).

The runs must be scored on the same test frames (one dataset, one task, the same frames:
runs trained with a frame limit on the real data are scored on fewer), each with its kept
test predictions: the intervals and the paired claims are computed from them. Anything else
is refused with its reason before a word is written.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from handclf_core import i18n
from handclf_core.errors import HandCamError
from handclf_core.i18n import N_
from handclf_core.labreport import claims as claims_
from handclf_core.labreport import sections
from handclf_core.labreport.document import Document
from handclf_core.runs.confidence import compare_runs, run_intervals
from handclf_core.runs.predictions import read_predictions
from handclf_core.runs.record import Run
from handclf_core.views import confidence as views

MAX_RUNS = 200  # a grid of 11 settings x 10 seeds, and room to spare


@dataclass(frozen=True)
class LabReport:
    """A report as written, and what its sentences say (for the tests and the CLI)."""

    document: Document
    settings: tuple[views.Setting, ...]
    claims: tuple[claims_.Claim, ...]
    sample: bool


def check_runs(runs: Sequence[Run]) -> None:
    """HandCamError unless the runs can be reported together: at least one, all of one
    dataset and task, each with kept test predictions on the same test frames."""
    if not runs:
        raise HandCamError(
            "lab report: expected at least one stored run, found none "
            "(see `python -m handclf_core runs list`)"
        )
    if len(runs) > MAX_RUNS:
        raise HandCamError(f"lab report: expected at most {MAX_RUNS} runs, found {len(runs)}")
    first, rows = runs[0], None
    for run in runs:
        if (run.dataset.identity, run.task) != (first.dataset.identity, first.task):
            raise HandCamError(
                f"lab report: {first.name} and {run.name} were scored on different test frames "
                f"({first.dataset.description}, task {first.task}; {run.dataset.description}, "
                f"task {run.task}): a report compares runs of one dataset and task"
            )
        found = read_predictions(run)  # a damaged file: HandCamError naming it
        if found is None:
            raise HandCamError(
                f"lab report: {run.name} has no kept test predictions (stored "
                "before they were): score it first (Compare's button, or "
                f"`python -m handclf_core mistakes --model {run.name}`)"
            )
        if rows is None:
            rows = found.rows
        elif not np.array_equal(rows, found.rows):
            raise HandCamError(
                f"lab report: {first.name} and {run.name} were scored on different test frames "
                f"({rows.size} and {found.rows.size} frames: trained with other frame limits)"
                ": a report compares runs on the same frames"
            )


def reportable(runs: Sequence[Run]) -> tuple[list[Run], list[Run]]:
    """The runs a report can compare (the largest group scored on the same test frames, with
    kept predictions that can be read), and the others, for a page that shows runs of
    several frame limits."""
    groups: dict[tuple, list[Run]] = {}
    left: list[Run] = []
    for run in runs:
        try:
            found = read_predictions(run)
        except HandCamError:
            found = None
        if found is None:
            left.append(run)
            continue
        key = (run.dataset.identity, run.task, hashlib.sha256(found.rows.tobytes()).hexdigest())
        groups.setdefault(key, []).append(run)
    kept = max(groups.values(), key=len, default=[])
    return kept, [r for r in runs if r not in kept]


def build_report(
    runs: Sequence[Run],
    frames: pd.DataFrame,
    lang: str = "en",
    *,
    store=None,
    today: datetime.date | None = None,
) -> LabReport:
    """The lab report of `runs` in `lang` (see the module). `frames` is the frame table of
    their dataset's hand frames (`stored_frames`, or the dataset's `hand_frames()`), for the
    recordings; `store`, its opened `FrameStore`, for the pictures of the most-confused
    pair (None: the report says they are not shown)."""
    if lang not in i18n.LANGUAGES:
        raise HandCamError(f"--lang: expected one of {', '.join(i18n.LANGUAGES)}, found {lang!r}")
    runs = list(runs)
    check_runs(runs)
    found = views.group(runs, lambda g: run_intervals(g, frames))
    claims = [
        *claims_.baseline_claims(found),
        *claims_.paired_claims(found, lambda a, b, m: compare_runs(a.runs, b.runs, frames, m)),
    ]
    facts = sections.Facts(runs, found, claims, lang, store)
    t = i18n.translator(lang)
    sample = any(r.dataset.sample for r in runs)
    settings = i18n.translate_count(lang, N_("lab.settings"), len(found))
    counted = i18n.translate_count(lang, N_("lab.runs"), len(runs))
    subtitle = t(
        "lab.subtitle",
        settings=settings,
        runs=counted,
        task=runs[0].task,
        date=(today or datetime.date.today()).isoformat(),
    )
    document = Document(lang, t("lab.title"), subtitle, sections.every_section(facts, sample))
    return LabReport(document, tuple(found), tuple(claims), sample)
