"""Shared fixtures. Every test writes under a temporary cache, never the project's cache/."""

import os
import tempfile

import pytest


def pytest_configure(config):
    os.environ["HANDCLF_CACHE"] = tempfile.mkdtemp(prefix="handclf-test-cache-")
    config._handclf_cache = os.environ["HANDCLF_CACHE"]


def pytest_unconfigure(config):
    """The session's cache (frame stores, runs: about a gigabyte) goes with the session."""
    import shutil

    cache = getattr(config, "_handclf_cache", None)
    if cache:
        shutil.rmtree(cache, ignore_errors=True)
    os.environ.pop("HANDCAM_DATA", None)  # tests name their data explicitly
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory):
    """A small built-in sample (64x36 pictures, stride 50): real labels, synthetic frames."""
    from handclf_core.data.sample import generate_sample

    return generate_sample(tmp_path_factory.mktemp("sample") / "handcam", stride=50, size=(64, 36))


@pytest.fixture(scope="session")
def sample_ds(sample_root):
    from handclf_core.data.dataset import open_dataset

    return open_dataset(sample_root)


def _tiny():
    from handclf_core.runs.config import TrainConfig

    return TrainConfig(model="cnn_basic", epochs=1, batch_size=32, limit=64)


TINY = _tiny()


@pytest.fixture(scope="session")
def tiny_run(sample_ds):
    """A cnn_basic run trained for real on 64 frames (a few seconds)."""
    from handclf_core.training.train import train

    return train(sample_ds, TINY)


@pytest.fixture(scope="session")
def flip_run(sample_ds):
    """A tiny run of a model trained with mirrored right-hand frames."""
    from handclf_core.runs.config import TrainConfig
    from handclf_core.training.train import train

    return train(
        sample_ds, TrainConfig(model="mnist", epochs=1, batch_size=32, limit=32, flip_right=True)
    )[0]


@pytest.fixture(scope="session")
def older_run(sample_ds):
    """A tiny run of its own, for the tests that turn it into a run stored before schema 3
    (`tests.test_mistakes.downgrade`) and score it again."""
    from handclf_core.runs.config import TrainConfig
    from handclf_core.training.train import train

    return train(sample_ds, TrainConfig(model="cnn_basic", epochs=1, batch_size=32, limit=48))[0]


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (tests/browser.py) for a module's browser tests."""
    from tests.browser import chromium

    with chromium() as launched:
        yield launched
