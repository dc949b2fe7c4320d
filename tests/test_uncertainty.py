"""Intervals and paired comparisons (runs.uncertainty, runs.confidence), on data where the
answer is known."""

import math

import numpy as np
import pandas as pd
import pytest

from handclf_core.errors import HandCamError
from handclf_core.runs.uncertainty import Scored, compare, intervals, widening


def _split(per_recording: list[int], classes: int = 4, seed: int = 0):
    """Test frames in recordings of the given sizes; class 0 is half of them."""
    rng = np.random.default_rng(seed)
    recordings = np.repeat(np.arange(len(per_recording)), per_recording)
    true = np.where(rng.random(recordings.size) < 0.5, 0, rng.integers(1, classes, recordings.size))
    return true, recordings


def test_a_predictor_right_on_every_frame_has_the_interval_1_1():
    true, rec = _split([50] * 10)
    iv = intervals(Scored.of(true, rec, true, 4, 0))
    for m in (iv.test_accuracy, iv.balanced_accuracy, iv.macro_f1):
        assert (m.value, m.low, m.high) == (1.0, 1.0, 1.0)
    assert iv.recordings == 10 and iv.frames == 500 and not iv.frequencies_only


def test_recordings_that_each_score_the_same_give_a_zero_width_interval():
    true, rec = _split([20, 40, 60, 80, 100, 20, 40, 60, 80, 100])
    predicted = true.copy()
    for r in range(10):  # exactly 3 of every 4 frames right in each recording
        at = np.flatnonzero(rec == r)
        wrong = at[3::4]
        predicted[wrong] = (true[wrong] + 1) % 4
    iv = intervals(Scored.of(true, rec, predicted, 4, 0)).test_accuracy
    assert iv.value == pytest.approx(0.75)
    assert iv.low == pytest.approx(0.75) and iv.high == pytest.approx(0.75)


def test_with_every_frame_its_own_recording_the_interval_is_the_binomial_one():
    rng = np.random.default_rng(3)
    n = 2000
    true = rng.integers(0, 4, n)
    predicted = np.where(rng.random(n) < 0.7, true, (true + 1) % 4)
    iv = intervals(Scored.of(true, np.arange(n), predicted, 4, 0))
    p = iv.test_accuracy.value
    half = 1.96 * math.sqrt(p * (1 - p) / n)
    assert abs(iv.test_accuracy.low - (p - half)) < 0.01
    assert abs(iv.test_accuracy.high - (p + half)) < 0.01
    assert iv.frame_level.low == pytest.approx(p - half, abs=1e-4)


def test_the_95_percent_interval_covers_the_truth_at_least_90_percent_of_the_time():
    """Several hundred synthetic test splits of 10 recordings, each recording's accuracy
    drawn around a known true accuracy: the interval holds it in >= 90% of them."""
    rng = np.random.default_rng(7)
    truth, splits, covered = 0.65, 300, 0
    for _ in range(splits):
        sizes = rng.integers(100, 500, 10)
        rec = np.repeat(np.arange(10), sizes)
        accuracy = np.clip(rng.normal(truth, 0.10, 10), 0, 1)[rec]
        true = rng.integers(0, 4, rec.size)
        predicted = np.where(rng.random(rec.size) < accuracy, true, (true + 1) % 4)
        iv = intervals(Scored.of(true, rec, predicted, 4, 0), draws=500).test_accuracy
        covered += iv.low <= truth <= iv.high
    assert covered / splits >= 0.90


def test_the_frame_level_interval_is_far_too_narrow_for_correlated_recordings():
    """The lesson's point: frames of one recording are not independent."""
    rng = np.random.default_rng(1)
    rec = np.repeat(np.arange(10), 300)
    accuracy = rng.uniform(0.4, 0.9, 10)[rec]
    true = rng.integers(0, 4, rec.size)
    predicted = np.where(rng.random(rec.size) < accuracy, true, (true + 1) % 4)
    iv = intervals(Scored.of(true, rec, predicted, 4, 0))
    recording_width = iv.test_accuracy.high - iv.test_accuracy.low
    frame_width = iv.frame_level.high - iv.frame_level.low
    assert recording_width > 2.5 * frame_width
    assert widening(10) == pytest.approx(1.217, abs=0.002) and widening(1) == 1.0


def test_a_run_compared_with_itself_gives_exactly_zero():
    true, rec = _split([30] * 10)
    rng = np.random.default_rng(2)
    predicted = np.where(rng.random(true.size) < 0.6, true, 0)
    s = Scored.of(true, rec, predicted, 4, 0)
    for metric in ("test_accuracy", "balanced_accuracy", "macro_f1"):
        d = compare(s, s, metric)
        assert (d.difference.value, d.difference.low, d.difference.high) == (0.0, 0.0, 0.0)
        assert d.verdict == "neither"


def test_a_paired_difference_finds_a_real_gap_and_not_a_fake_one():
    rng = np.random.default_rng(4)
    rec = np.repeat(np.arange(10), 200)
    hard = rng.uniform(0.3, 0.9, 10)[rec]  # recordings differ a lot; both runs share it
    true = rng.integers(0, 4, rec.size)
    luck = rng.random(rec.size)
    better = np.where(luck < hard + 0.08, true, (true + 1) % 4)
    worse = np.where(luck < hard, true, (true + 1) % 4)
    a, b = Scored.of(true, rec, better, 4, 0), Scored.of(true, rec, worse, 4, 0)
    d = compare(a, b)
    assert d.verdict == "a" and d.difference.low > 0
    assert d.difference.value == pytest.approx(np.mean(better == true) - np.mean(worse == true))
    assert compare(b, a).verdict == "b"
    # The same gap read off two unpaired intervals overlaps: pairing is what shows it.
    ia, ib = intervals(a).test_accuracy, intervals(b).test_accuracy
    assert ia.low < ib.high
    # Two runs that differ by chance only: neither.
    other = np.where(rng.random(rec.size) < hard, true, (true + 1) % 4)
    assert compare(Scored.of(true, rec, other, 4, 0), b).verdict == "neither"


def test_runs_scored_on_different_test_frames_are_refused():
    true, rec = _split([30] * 10)
    a = Scored.of(true, rec, true, 4, 0)
    b = Scored.of(true[:-30], rec[:-30], true[:-30], 4, 0)
    with pytest.raises(HandCamError, match="same test frames"):
        compare(a, b)
    with pytest.raises(HandCamError, match="metric"):
        compare(a, a, "loss")


def test_frequencies_only_flags_the_baseline_not_the_class_weights_trade():
    true, rec = _split([100] * 10, classes=6)
    always = np.zeros_like(true)
    assert intervals(Scored.of(true, rec, always, 6, 0)).frequencies_only
    # Right on half the rare frames, wrong on most of the majority class: accuracy far below
    # the baseline, balanced accuracy far above it (what class weights do).
    rng = np.random.default_rng(5)
    luck = rng.random(true.size)
    trade = np.where(true == 0, np.where(luck < 0.2, 0, 1), np.where(luck < 0.5, true, 0))
    iv = intervals(Scored.of(true, rec, trade, 6, 0))
    assert iv.over_baseline.high < 0 and iv.balanced_over_baseline.low > 0
    assert not iv.frequencies_only


def test_seeds_pool_into_one_interval_with_the_seed_noise_in_it():
    rng = np.random.default_rng(6)
    rec = np.repeat(np.arange(10), 200)
    true = rng.integers(0, 4, rec.size)
    one = np.where(rng.random(rec.size) < 0.7, true, (true + 1) % 4)
    twice = intervals(Scored.of(true, rec, np.stack([one, one]), 4, 0))
    single = intervals(Scored.of(true, rec, one, 4, 0))
    assert twice.test_accuracy == single.test_accuracy and twice.seeds == 2
    apart = np.where(rng.random(rec.size) < 0.5, true, (true + 1) % 4)
    pooled = intervals(Scored.of(true, rec, np.stack([one, apart]), 4, 0)).test_accuracy
    assert pooled.value == pytest.approx(((one == true).mean() + (apart == true).mean()) / 2)
    assert pooled.high - pooled.low > 2 * (single.test_accuracy.high - single.test_accuracy.low)


def test_the_interval_of_the_real_test_split_is_fast():
    """12,776 frames, 10 recordings, 24 classes: the README's figure (bench/ measures it)."""
    import time

    true, rec = _split([1278] * 9 + [1274], classes=24)
    s = Scored.of(true, rec, np.roll(true, 1), 24, 0)
    intervals(s)  # the first call imports SciPy's quantile
    start = time.perf_counter()
    intervals(s)
    assert time.perf_counter() - start < 1.0


def test_a_run_s_test_frames_are_grouped_by_recording_and_checked(tiny_run, sample_ds):
    from handclf_core.runs.confidence import run_intervals, settings, test_recordings
    from handclf_core.runs.predictions import read_predictions

    run, _ = tiny_run
    found = read_predictions(run)
    frames = sample_ds.hand_frames()
    recordings = test_recordings(run, found, frames)
    assert set(recordings) <= {f"{s}/{n}" for s in ("house", "lab", "office") for n in range(1, 5)}
    assert len(set(recordings)) >= 2
    iv = run_intervals(run, frames)
    assert iv.test_accuracy.value == pytest.approx(run.test.accuracy)
    assert iv.balanced_accuracy.value == pytest.approx(run.test.balanced_accuracy)
    assert iv.macro_f1.value == pytest.approx(run.test.macro_f1)
    assert iv.baseline.value == pytest.approx(run.test.majority_baseline.accuracy)
    assert run_intervals(run, frames) is iv  # kept
    other = frames.copy()
    other[run.task] = (other[run.task] + 1) % 24
    with pytest.raises(HandCamError, match="other labels"):
        test_recordings(run, found, other)
    with pytest.raises(HandCamError, match="frame table"):
        test_recordings(run, found, pd.DataFrame(frames.iloc[:3]))
    assert settings([run, run]) == [[run, run]]


def test_one_test_recording_says_nothing_beyond_itself():
    """A subset whose test split is one recording: no interval can be drawn from it, so it
    spans everything (never a zero-width interval that would claim certainty)."""
    true, rec = _split([200])
    rng = np.random.default_rng(8)
    predicted = np.where(rng.random(true.size) < 0.7, true, 0)
    iv = intervals(Scored.of(true, rec, predicted, 4, 0))
    assert iv.recordings == 1 and (iv.test_accuracy.low, iv.test_accuracy.high) == (0.0, 1.0)
    assert iv.frequencies_only  # not distinguishable from the baseline on one recording
    other = Scored.of(true, rec, true, 4, 0)
    assert compare(other, Scored.of(true, rec, predicted, 4, 0)).verdict == "neither"
