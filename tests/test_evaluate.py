"""Metrics of handclf_core.runs.metrics against values worked out by hand on tiny fixed cases."""

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import precision_recall_curve

from handclf_core.errors import HandCamError
from handclf_core.records import to_json
from handclf_core.runs.metrics import Baseline, ClassScores, evaluate_predictions, overfitting_gap

CLASSES = ("a", "b", "c")
# 10 frames, supports a=5, b=3, c=2. Confusion matrix (rows true, columns predicted):
#   a: [3, 2, 0]   b: [0, 2, 1]   c: [1, 0, 1]      -> 6 correct of 10
Y_TRUE = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, 2])
Y_PRED = np.array([0, 0, 0, 1, 1, 1, 1, 2, 0, 2])


def one_hotish(y_pred, n_classes, high=0.8):
    """Softmax-like rows: `high` on the predicted class, the rest shared equally."""
    p = np.full((len(y_pred), n_classes), (1 - high) / (n_classes - 1))
    p[np.arange(len(y_pred)), y_pred] = high
    return p  # (N, C)


def no_nan_anywhere(result):
    json.dumps(to_json(result), allow_nan=False)  # raises ValueError on NaN or infinity


def test_fixed_case_every_metric_by_hand():
    r = evaluate_predictions(Y_TRUE, one_hotish(Y_PRED, 3), CLASSES)
    no_nan_anywhere(r)
    assert r.split == "test" and r.frames == 10
    assert r.confusion_matrix == ((3, 2, 0), (0, 2, 1), (1, 0, 1))
    assert r.accuracy == pytest.approx(6 / 10)
    # Recall = diagonal / row sum: a 3/5, b 2/3, c 1/2.
    # Precision = diagonal / column sum: a 3/(3+0+1) = 3/4, b 2/(2+2+0) = 1/2, c 1/(0+1+1) = 1/2.
    # F1 = 2PR/(P+R): a 2(9/20)/(27/20) = 2/3, b 2(1/3)/(7/6) = 4/7, c 2(1/4)/1 = 1/2.
    expected = {
        "a": (3 / 4, 3 / 5, 2 / 3, 5),
        "b": (1 / 2, 2 / 3, 4 / 7, 3),
        "c": (1 / 2, 1 / 2, 1 / 2, 2),
    }
    assert [row.name for row in r.per_class] == list(CLASSES)
    assert [row.class_id for row in r.per_class] == [0, 1, 2]
    for row in r.per_class:
        precision, recall, f1, support = expected[row.name]
        assert row.precision == pytest.approx(precision)
        assert row.recall == pytest.approx(recall)
        assert row.f1 == pytest.approx(f1)
        assert row.support == support
    # Balanced accuracy = mean recall = (3/5 + 2/3 + 1/2) / 3 = (18 + 20 + 15) / 90 = 53/90.
    assert r.balanced_accuracy == pytest.approx(53 / 90)
    # Macro-F1 = (2/3 + 4/7 + 1/2) / 3 = (28 + 24 + 21) / 126 = 73/126.
    assert r.macro_f1 == pytest.approx(73 / 126)
    # Default baseline: the most frequent true class, a, is 5 of 10 frames.
    assert r.majority_baseline == Baseline(class_id=0, name="a", accuracy=0.5)
    assert r.chance == pytest.approx(1 / 3)
    # AP = sum over thresholds of (recall step) x precision. Scores are 0.8 where predicted,
    # 0.1 elsewhere, so each curve has two thresholds:
    #   a: at 0.8 frames 0,1,2,8 -> P 3/4, R 3/5; at 0.1 all -> P 5/10, R 1.
    #      AP = 3/5 * 3/4 + 2/5 * 1/2 = 13/20
    #   b: at 0.8 frames 3,4,5,6 -> P 2/4, R 2/3; all -> P 3/10.  AP = 1/3 + 1/3 * 3/10 = 13/30
    #   c: at 0.8 frames 7,9 -> P 1/2, R 1/2; all -> P 2/10.      AP = 1/4 + 1/2 * 1/5 = 7/20
    aps = {"a": 13 / 20, "b": 13 / 30, "c": 7 / 20}
    assert set(r.pr_curves) == set(CLASSES)
    for name, ap in aps.items():
        assert r.pr_curves[name].average_precision == pytest.approx(ap)
    assert r.mean_average_precision == pytest.approx((13 / 20 + 13 / 30 + 7 / 20) / 3)
    # Short curves are kept whole: sklearn's points, lowest threshold first, then (P 1, R 0).
    assert r.pr_curves["c"].precision == pytest.approx([0.2, 0.5, 1.0])
    assert r.pr_curves["c"].recall == pytest.approx([1.0, 0.5, 0.0])


def test_majority_class_from_training_split_and_split_label():
    r = evaluate_predictions(
        Y_TRUE, one_hotish(Y_PRED, 3), CLASSES, split="train", majority_class=2
    )
    assert r.split == "train"
    # The training split's majority, c, is 2 of these 10 frames.
    assert r.majority_baseline == Baseline(class_id=2, name="c", accuracy=0.2)


def test_perfect_predictions():
    r = evaluate_predictions(Y_TRUE, one_hotish(Y_TRUE, 3, high=0.9), CLASSES)
    no_nan_anywhere(r)
    for key in ("accuracy", "balanced_accuracy", "macro_f1", "mean_average_precision"):
        assert getattr(r, key) == 1.0, key
    assert r.confusion_matrix == ((5, 0, 0), (0, 3, 0), (0, 0, 2))
    for row in r.per_class:
        assert row.precision == row.recall == row.f1 == 1.0
    for curve in r.pr_curves.values():
        assert curve.average_precision == 1.0


def test_class_absent_from_y_true():
    # Classes d and e have no frames; d is predicted once (wrongly), e never.
    classes = ("a", "b", "c", "d", "e")
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 0, 1, 3, 2])
    r = evaluate_predictions(y_true, one_hotish(y_pred, 5), classes)
    no_nan_anywhere(r)
    d, e = r.per_class[3], r.per_class[4]
    assert d == ClassScores(class_id=3, name="d", precision=0.0, recall=0.0, f1=0.0, support=0)
    assert e.support == 0 and e.precision == e.recall == e.f1 == 0.0
    assert set(r.pr_curves) == {"a", "b", "c"}
    assert r.confusion_matrix[1] == (0, 1, 0, 1, 0)
    assert r.confusion_matrix[3] == r.confusion_matrix[4] == (0,) * 5
    # Balanced accuracy over the classes present in y_true: (1 + 1/2 + 1) / 3 = 5/6.
    assert r.balanced_accuracy == pytest.approx(5 / 6)
    # Macro-F1 over true-or-predicted classes a, b, c, d (not e):
    # a 1, b 2(1 * 1/2)/(3/2) = 2/3, c 1, d 0  -> (1 + 2/3 + 1 + 0) / 4 = 2/3.
    assert r.macro_f1 == pytest.approx(2 / 3)
    assert r.chance == pytest.approx(1 / 5)


def test_pr_curve_downsampling_keeps_endpoints():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, size=400)
    p1 = np.clip(0.3 * y_true + rng.random(400) * 0.7, 0, 1)  # distinct scores: a long curve
    probabilities = np.stack([1 - p1, p1], axis=1)  # (400, 2)
    full_p, full_r, _ = precision_recall_curve(y_true == 1, p1)
    assert len(full_p) > 50
    for points in (2, 7, 50):
        r = evaluate_predictions(y_true, probabilities, ("free", "active"), pr_points=points)
        no_nan_anywhere(r)
        curve = r.pr_curves["active"]
        assert len(curve.precision) == len(curve.recall) == points
        assert curve.precision[0] == pytest.approx(full_p[0])
        assert curve.recall[0] == pytest.approx(full_r[0]) == 1.0
        assert curve.precision[-1] == pytest.approx(full_p[-1]) == 1.0
        assert curve.recall[-1] == pytest.approx(full_r[-1]) == 0.0
        assert list(curve.recall) == sorted(curve.recall, reverse=True)


def test_float_labels_accepted():
    # The HandCam label files hold float64 class ids.
    r = evaluate_predictions(Y_TRUE.astype(float), one_hotish(Y_PRED, 3), CLASSES)
    assert r.accuracy == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("y_true", "probabilities", "classes", "found"),
    [
        (Y_TRUE[:9], one_hotish(Y_PRED, 3), CLASSES, "(10, 3)"),  # N mismatch
        (Y_TRUE, one_hotish(Y_PRED, 3), ("a", "b"), "(10, 3)"),  # C != len(classes)
        (np.array([], dtype=int), np.zeros((0, 3)), CLASSES, "(0,)"),  # empty
        (Y_TRUE.reshape(5, 2), one_hotish(Y_PRED, 3), CLASSES, "(5, 2)"),  # y_true not 1-D
        (np.array([0, 3]), one_hotish(np.array([0, 1]), 3), CLASSES, "[3]"),  # id out of range
        (np.array([0, 0.5]), one_hotish(np.array([0, 1]), 3), CLASSES, "[0.5]"),  # not whole
        (np.array([0, np.nan]), one_hotish(np.array([0, 1]), 3), CLASSES, "nan"),
        (np.array([0, 1]), np.array([[np.nan, 0, 1], [0, 1, 0]]), CLASSES, "NaN"),
    ],
)
def test_bad_input_raises_with_expected_and_found(y_true, probabilities, classes, found):
    with pytest.raises(HandCamError, match="expected") as err:
        evaluate_predictions(y_true, probabilities, classes)
    assert found in str(err.value)


def test_bad_options_raise():
    with pytest.raises(HandCamError, match="majority_class"):
        evaluate_predictions(Y_TRUE, one_hotish(Y_PRED, 3), CLASSES, majority_class=3)
    with pytest.raises(HandCamError, match="pr_points"):
        evaluate_predictions(Y_TRUE, one_hotish(Y_PRED, 3), CLASSES, pr_points=1)


def test_overfitting_gap():
    # The student's AlexNet: 92% on the training set, 54.2% on the test split.
    assert overfitting_gap(0.92, 0.542) == pytest.approx(0.378)
    assert overfitting_gap(0.5, 0.6) == pytest.approx(-0.1)


def test_no_tensorflow_or_keras_import():
    code = (
        "import sys, numpy as np, handclf_core.runs.metrics as ev; "
        "assert 'sklearn' not in sys.modules; "  # imported on first use only
        "ev.evaluate_predictions(np.array([0, 1]), np.eye(2), ('free', 'active')); "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')); "
        "assert not heavy, heavy"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
