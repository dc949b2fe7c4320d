"""The assignment report's own figures: what the student measured, and what it means.

Task `obj`, both hands' frames, measured by the student on the REAL HandCam frames: not
comparable to runs on the built-in sample. Each baseline is always answering `free` on the
same frames: 50.09% of the test split, 48.2% of the training split. The texts of each row
are catalogue keys (the English catalogue holds the report's wording).
"""

from __future__ import annotations

from dataclasses import dataclass

from handclf_core.i18n import N_
from handclf_core.vocab import Split


@dataclass(frozen=True)
class ReportRow:
    model: str  # the registry name of the model the student trained
    title: str  # catalogue key: the row's name
    input: str  # catalogue key: what the model was fed
    accuracy: float
    split: Split  # where the accuracy was measured
    baseline: float  # always answering `free` on the same frames
    note: str  # catalogue key: what the figure means


REPORT_ROWS: tuple[ReportRow, ...] = (
    ReportRow("cnn_basic", N_("model.cnn_basic"), N_("report.input_cnn_basic"), 0.529,
              Split.TEST, 0.5009, N_("report.note_cnn_basic")),
    ReportRow("mnist", N_("model.mnist"), N_("report.input_mnist"), 0.501,
              Split.TEST, 0.5009, N_("report.note_mnist")),
    ReportRow("alexnet", N_("model.alexnet"), N_("report.input_alexnet"), 0.542,
              Split.TEST, 0.5009, N_("report.note_alexnet")),
    # The "92%": measured on the frames it was trained on (memory, not generalisation); the
    # same model scored 54.2% on the test split, a 38-point gap.
    ReportRow("alexnet", N_("report.model_alexnet_92"), N_("report.input_alexnet"), 0.92,
              Split.TRAIN, 0.482, N_("report.note_alexnet_92")),
)  # fmt: skip
