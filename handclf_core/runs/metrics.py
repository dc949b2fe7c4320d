"""Honest metrics of one model on one split, from its softmax probabilities.

Why these numbers and not accuracy alone: HandCam's `obj` classes are very imbalanced
(`free` is 50.09% of the test frames), so a model that always says `free` already scores 50%.
Accuracy is therefore always shown beside the **majority baseline** (the training split's most
frequent class predicted for every frame) and **chance** (1/C). Balanced accuracy (mean
per-class recall) and macro-F1 give every class the same weight, so ignoring the rare classes
shows up. Precision-recall curves and average precision judge the probabilities themselves,
not only the arg-max. Finally, test accuracy is read beside training accuracy
(`overfitting_gap`): a student's AlexNet report claimed 92%, measured on the training set; its
test accuracy was 54.2%, barely above the 50.09% baseline.

Pure NumPy and scikit-learn: the caller computes the probabilities, so no TensorFlow here.
scikit-learn (with SciPy, seconds to import) is imported on first use, so importing this
module stays instant for the app's pages and the CLI's help.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from handclf_core.errors import HandCamError
from handclf_core.vocab import Split


@dataclass(frozen=True)
class ClassScores:
    """One class's figures on a split, from the arg-max predictions."""

    class_id: int
    name: str  # the dataset's id name, e.g. "cookie"
    precision: float
    recall: float
    f1: float
    support: int  # frames of this class in the split


@dataclass(frozen=True)
class Baseline:
    """Always answering one class (the training split's most frequent) for every frame."""

    class_id: int
    name: str
    accuracy: float  # its share of the split's frames


@dataclass(frozen=True)
class PRCurve:
    """One-vs-rest precision-recall curve of one class, at most `pr_points` points."""

    average_precision: float
    precision: tuple[float, ...]
    recall: tuple[float, ...]


@dataclass(frozen=True)
class BaselineScores:
    """What the majority baseline scores on the metrics a run is judged by."""

    accuracy: float
    balanced_accuracy: float
    macro_f1: float


@dataclass(frozen=True)
class Evaluation:
    """Honest metrics of one model on one split (see `evaluate_predictions`)."""

    split: Split
    frames: int
    accuracy: float
    balanced_accuracy: float  # mean recall over the classes present in the split
    macro_f1: float  # mean F1 over the classes present or predicted
    majority_baseline: Baseline
    chance: float  # 1 / classes
    per_class: tuple[ClassScores, ...]  # every class id, in id order
    confusion_matrix: tuple[tuple[int, ...], ...]  # rows true, columns predicted
    pr_curves: dict[str, PRCurve]  # classes with frames in the split, by id name
    mean_average_precision: float

    def baseline_scores(self) -> BaselineScores:
        """The majority baseline's accuracy, balanced accuracy and macro-F1 on these frames:
        the line each of this evaluation's figures must beat."""
        p = self.majority_baseline.accuracy  # the majority class's share of the frames
        present = {c.class_id for c in self.per_class if c.support}
        if self.majority_baseline.class_id not in present:
            return BaselineScores(p, 0.0, 0.0)
        # One class predicted: recall 1 on it and 0 on the others; F1 2p/(1+p) on it
        # (precision p), averaged over the classes as evaluate_predictions averages them.
        return BaselineScores(p, 1 / len(present), 2 * p / (1 + p) / len(present))


def _num(x) -> float:
    """A JSON-safe float: sklearn may return nan where a ratio is undefined."""
    x = float(x)
    return x if math.isfinite(x) else 0.0


def evaluate_predictions(
    y_true: np.ndarray,
    probabilities: np.ndarray,
    classes: Sequence[str],
    *,
    split: Split | str = Split.TEST,
    majority_class: int | None = None,
    pr_points: int = 50,
) -> Evaluation:
    """Honest metrics of one model on one split, as an `Evaluation`.

    y_true: (N,) int class ids in 0..C-1. probabilities: (N, C) softmax outputs.
    classes: the C class names in id order. split: a label stored in the result.
    majority_class: the training split's most frequent class id, which the baseline predicts
    for every frame; default: the most frequent id in y_true (lowest id on ties).
    pr_points: at most this many points per precision-recall curve (endpoints kept).

    Averaging choices: `balanced_accuracy` is sklearn's mean recall over the classes PRESENT
    in y_true (a class with no test frames has no recall). `macro_f1` averages F1 over the
    classes present in y_true or predicted: a class predicted but never true counts with F1 0
    (it only made mistakes), a class neither true nor predicted is left out. `per_class` and
    `confusion_matrix` cover every class id; `pr_curves` and `mean_average_precision` only the
    classes with test frames (average precision is undefined without positives).

    Raises HandCamError on empty input, mismatched shapes or ids out of range.
    """
    from sklearn import metrics  # lazy: see the module docstring

    y_true = np.asarray(y_true)
    probabilities = np.asarray(probabilities, dtype=float)
    n_classes = len(classes)
    if y_true.ndim != 1 or y_true.size == 0:
        raise HandCamError(f"expected y_true of shape (N,) with N > 0, found {y_true.shape}")
    if probabilities.shape != (y_true.size, n_classes):
        raise HandCamError(
            f"expected probabilities of shape (N={y_true.size}, C={n_classes}) "
            f"(one row per label, one column per class), found {probabilities.shape}"
        )
    if not np.isfinite(probabilities).all():
        raise HandCamError("expected finite probabilities, found NaN or infinity")
    # HandCam label files hold float64 ids: accept whole numbers; NaN fails every comparison.
    valid = (y_true == np.round(y_true)) & (y_true >= 0) & (y_true < n_classes)
    if not valid.all():
        found = np.unique(y_true[~valid])[:5].tolist()
        raise HandCamError(f"expected whole class ids in 0..{n_classes - 1}, found {found}")
    y_true = y_true.astype(int)
    if pr_points < 2:
        raise HandCamError(f"expected pr_points >= 2 (both endpoints), found {pr_points}")
    counts = np.bincount(y_true, minlength=n_classes)  # (C,)
    majority_class = int(counts.argmax() if majority_class is None else majority_class)
    if not 0 <= majority_class < n_classes:
        raise HandCamError(f"expected majority_class in 0..{n_classes - 1}, found {majority_class}")

    y_pred = probabilities.argmax(axis=1)  # (N,)
    labels = list(range(n_classes))
    with warnings.catch_warnings():  # "y_pred contains classes not in y_true": documented above
        warnings.filterwarnings("ignore", message="y_pred contains classes", category=UserWarning)
        balanced = metrics.balanced_accuracy_score(y_true, y_pred)
    seen = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    macro_f1 = metrics.f1_score(y_true, y_pred, labels=seen, average="macro", zero_division=0)
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    per_class = tuple(
        ClassScores(class_id=i, name=classes[i], precision=_num(precision[i]),
                    recall=_num(recall[i]), f1=_num(f1[i]), support=int(support[i]))
        for i in labels
    )  # fmt: skip

    pr_curves = {}
    for i in (i for i in labels if counts[i] > 0):
        positive, scores = y_true == i, probabilities[:, i]  # one-vs-rest, (N,) each
        curve_p, curve_r, _ = metrics.precision_recall_curve(positive, scores)
        # Evenly spaced indices, both ends included; np.unique drops repeats on short curves.
        idx = np.unique(np.linspace(0, len(curve_p) - 1, pr_points).round().astype(int))
        pr_curves[classes[i]] = PRCurve(
            average_precision=_num(metrics.average_precision_score(positive, scores)),
            precision=tuple(_num(v) for v in curve_p[idx]),
            recall=tuple(_num(v) for v in curve_r[idx]),
        )
    aps = [c.average_precision for c in pr_curves.values()]
    confusion = metrics.confusion_matrix(y_true, y_pred, labels=labels)  # (C, C)
    return Evaluation(
        split=Split(split),
        frames=int(y_true.size),
        accuracy=_num(metrics.accuracy_score(y_true, y_pred)),
        balanced_accuracy=_num(balanced),
        macro_f1=_num(macro_f1),
        majority_baseline=Baseline(
            class_id=majority_class,
            name=classes[majority_class],
            accuracy=_num(np.mean(y_true == majority_class)),
        ),
        chance=1.0 / n_classes,
        per_class=per_class,
        confusion_matrix=tuple(tuple(int(v) for v in row) for row in confusion),
        pr_curves=pr_curves,
        mean_average_precision=_num(np.mean(aps)),
    )


def overfitting_gap(train_accuracy: float, test_accuracy: float) -> float:
    """Training minus test accuracy: the report's 0.92 vs 0.542 gives a gap of 0.378."""
    return float(train_accuracy) - float(test_accuracy)
