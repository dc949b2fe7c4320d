"""Which classes a model keeps apart: its test frames' penultimate-layer features in 2-D.

The penultimate layer is what the last (softmax) layer reads: cnn_basic's 1024 features,
mnist's 128, AlexNet's 4096. Each test frame becomes a point of that space; `project` draws
it in two dimensions, by PCA (the two directions of most variance: linear, instant, the same
every time) or t-SNE (scikit-learn's: keeps neighbours together, seconds, and only the
neighbourhoods mean something, not the distances between groups). Either draws at most
MAP_POINTS frames, evenly spaced through the test split (t-SNE after PCA to 50 dimensions,
as scikit-learn advises): the features are a forward pass a frame, and AlexNet's 12,776
test frames of the real data took 155 s in the web process (bench_real_scale.py).

Forward passes only, in Keras 3's backend-neutral API: it runs on every backend.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from handclf_core.errors import HandCamError
from handclf_core.training.splits import evenly
from handclf_core.vocab import Projection

MAP_POINTS = 1500  # AlexNet's features: about 18 s here; t-SNE's own (N log N): about 10 s
PCA_FIRST = 50  # dimensions kept before t-SNE


@dataclass(frozen=True, eq=False)
class Embedding:
    """Test frames as points of a plane."""

    method: Projection
    positions: np.ndarray  # (n,) positions into the run's ScoredFrames
    points: np.ndarray  # (n, 2) float
    dimensions: int  # of the features projected
    explained: float | None  # PCA: the share of variance the two axes keep; t-SNE: None
    seconds: float  # features and projection


def penultimate(model):
    """The model from the input to what its last layer reads."""
    import keras

    return keras.Model(model.inputs, model.layers[-1].input)


def features(model, images, rows: np.ndarray, batch_size: int = 256, progress=None) -> np.ndarray:
    """(N, D) float32: the penultimate-layer features of the store rows `rows` (sorted)."""
    from handclf_core.training.batches import predict_rows

    return predict_rows(penultimate(model), images, rows, batch_size, progress).astype(np.float32)


def project(
    x: np.ndarray, method: Projection | str, seed: int = 0
) -> tuple[np.ndarray, float | None]:
    """(N, D) features as (N, 2) points by `method`; with PCA, the share of the variance
    the two axes keep (None for t-SNE)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    method = Projection(method)
    x = np.asarray(x, np.float64)
    if x.ndim != 2 or len(x) < 3:
        raise HandCamError(f"expected features of at least 3 frames, found shape {x.shape}")
    if method == Projection.PCA:
        pca = PCA(n_components=2, random_state=seed).fit(x)
        return pca.transform(x), float(pca.explained_variance_ratio_.sum())
    reduced = PCA(n_components=min(PCA_FIRST, *x.shape), random_state=seed).fit_transform(x)
    perplexity = min(30.0, (len(x) - 1) / 3)  # scikit-learn needs perplexity < N
    tsne = TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=seed)
    return tsne.fit_transform(reduced), None


def embed(model, images, predictions, method: Projection | str, progress=None) -> Embedding:
    """The test frames of `predictions` (a run's `ScoredFrames`) as points by `method`: at
    most MAP_POINTS, evenly spaced."""
    start = time.perf_counter()
    method = Projection(method)
    positions = evenly(np.arange(len(predictions.rows)), MAP_POINTS)
    x = features(model, images, predictions.rows[positions], progress=progress)
    points, explained = project(x, method)
    return Embedding(method, positions, points, x.shape[1], explained,
                     time.perf_counter() - start)  # fmt: skip
