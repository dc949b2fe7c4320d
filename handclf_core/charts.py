"""Altair charts of the Dataset and Preprocessing pages: plain data in, a chart out.

No Streamlit here: the pages draw what these functions return, and tests check their
encodings. Classes are always labelled "id · name" (e.g. "20 · cookie"), in id order, so a
chart reads against the label files and the confusion matrices of the Compare page.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .config import HAND_CAMERAS, SCENES, SPLITS

SPLIT_SCALE = alt.Scale(domain=list(SPLITS), range=["#4c78a8", "#f58518"])
HAND_SCALE = alt.Scale(domain=list(HAND_CAMERAS), range=["#54a24b", "#b279a2"])
AXIS = alt.Axis(labelLimit=240)  # class names in full: "11 · remote-control-AC"


def class_label(class_id: int, name: str) -> str:
    """How a class is shown everywhere: "20 · cookie"."""
    return f"{class_id} · {name}"


def human_bytes(n: float) -> str:
    """1234567 -> "1.2 MB" (decimal units, as disks and `du -h --si` count)."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def class_counts_frame(stats: dict, *, by_hand: bool = False) -> pd.DataFrame:
    """Long table of `stats` (from `stats.dataset_stats`): one row per split, hand and class
    with its frame count and its share of that split's (or that hand's) frames."""
    labels = [class_label(i, c) for i, c in enumerate(stats["classes"])]
    rows = []
    for split in SPLITS:
        part = stats["splits"][split]
        groups = (
            {h: part["class_counts_per_hand"][h] for h in HAND_CAMERAS}
            if by_hand
            else {"both hands": part["class_counts"]}
        )
        for hand, counts in groups.items():
            total = max(sum(counts), 1)
            for i, count in enumerate(counts):
                rows.append((split, hand, i, labels[i], count, count / total))
    return pd.DataFrame(rows, columns=["split", "hand", "class_id", "class", "frames", "share"])


def class_distribution(stats: dict, *, log: bool = False, by_hand: bool = False) -> alt.Chart:
    """Frames per class, train and test bars side by side; one panel per hand if `by_hand`.

    A log axis shows the rare classes, which a linear axis flattens next to `free`; classes
    with no frame have no bar there (log 0 is undefined) and keep their row.
    """
    df = class_counts_frame(stats, by_hand=by_hand)
    order = list(dict.fromkeys(df["class"]))
    if log:
        df = df[df.frames > 0]
    encoding = {
        "y": alt.Y("class:N", sort=order, title=None, scale=alt.Scale(domain=order), axis=AXIS),
        "yOffset": alt.YOffset("split:N", sort=list(SPLITS)),
        "x": alt.X(
            "frames:Q",
            title="frames (log scale)" if log else "frames",
            # Unstacked: a stacked bar starts at 0, which a log scale cannot place.
            scale=alt.Scale(type="log", domainMin=0.5) if log else alt.Scale(type="linear"),
            stack=None,
        ),
        "color": alt.Color("split:N", scale=SPLIT_SCALE, legend=alt.Legend(orient="top")),
        "tooltip": [
            "class:N",
            "split:N",
            "hand:N",
            alt.Tooltip("frames:Q", format=","),
            alt.Tooltip("share:Q", format=".2%", title="share of the split"),
        ],
    }
    if log:
        encoding["x2"] = alt.value(0)  # bars grow from the axis' left edge
    if by_hand:
        encoding["column"] = alt.Column("hand:N", sort=list(HAND_CAMERAS), title=None)
    width = 300 if by_hand else 600
    return alt.Chart(df).mark_bar().encode(**encoding).properties(width=width, height=alt.Step(18))


def scene_frame(stats: dict) -> pd.DataFrame:
    """One row per split, scene and class present: frames, and share of the scene's frames."""
    rows = []
    for split in SPLITS:
        part = stats["splits"][split]
        for scene in SCENES:
            counts = part["class_counts_per_scene"][scene]
            total = max(sum(counts), 1)
            for i, count in enumerate(counts):
                if count:
                    label = class_label(i, stats["classes"][i])
                    rows.append((split, scene, i, label, count, count / total, total))
    columns = ["split", "scene", "class_id", "class", "frames", "share", "scene_frames"]
    return pd.DataFrame(rows, columns=columns)


def scene_heatmap(stats: dict) -> alt.Chart:
    """Class x scene, coloured by the class's share of that scene's frames, per split.

    A square-root colour scale: `free` is about half of every scene; on a linear scale every
    other class would be the same pale colour.
    """
    df = scene_frame(stats)
    order = [class_label(i, c) for i, c in enumerate(stats["classes"])]
    return (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X("scene:N", sort=list(SCENES), title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("class:N", sort=order, title=None, axis=AXIS),
            color=alt.Color(
                "share:Q",
                scale=alt.Scale(type="sqrt", scheme="blues"),
                legend=alt.Legend(format=".0%", title="share of the scene"),
            ),
            column=alt.Column("split:N", sort=list(SPLITS), title=None),
            tooltip=[
                "class:N",
                "split:N",
                "scene:N",
                alt.Tooltip("frames:Q", format=","),
                alt.Tooltip("share:Q", format=".1%", title="share of the scene"),
                alt.Tooltip("scene_frames:Q", format=",", title="frames of the scene"),
            ],
        )
        .properties(width=alt.Step(70), height=alt.Step(20))
    )


def label_segments(frames: pd.DataFrame, task: str, classes: list[str]) -> pd.DataFrame:
    """Runs of equal labels in one recording: one row per camera and run.

    Args:
        frames: the recording's rows of `HandCamDataset.frames` (camera, frame, task column).
        task: the label column to follow.
        classes: class names in id order.

    Returns camera, class_id, class, start, end (frame numbers, end exclusive: the next
    stored frame, so a subsampled recording leaves no gaps) and frames (stored frames).
    """
    rows = []
    for camera, part in frames.sort_values("frame").groupby("camera", sort=True):
        labels, numbers = part[task].to_numpy(), part["frame"].to_numpy()
        cuts = np.flatnonzero(np.diff(labels)) + 1  # first frame of every new run
        starts, ends = np.r_[0, cuts], np.r_[cuts, len(labels)]
        for s, e in zip(starts, ends, strict=True):
            end = numbers[e] if e < len(numbers) else numbers[-1] + 1
            label = class_label(int(labels[s]), classes[labels[s]])
            rows.append((camera, int(labels[s]), label, int(numbers[s]), int(end), int(e - s)))
    columns = ["camera", "class_id", "class", "start", "end", "frames"]
    return pd.DataFrame(rows, columns=columns)


def label_timeline(segments: pd.DataFrame) -> alt.Chart:
    """Which class each hand shows, frame by frame: one row per class present, a bar per run,
    left and right hands in their own colours (from `label_segments`)."""
    order = list(segments.sort_values("class_id")["class"].drop_duplicates())
    return (
        alt.Chart(segments)
        .mark_bar()
        .encode(
            x=alt.X("start:Q", title="frame number", scale=alt.Scale(nice=False)),
            x2="end:Q",
            y=alt.Y("class:N", sort=order, title=None, axis=AXIS),
            yOffset=alt.YOffset("camera:N", sort=list(HAND_CAMERAS)),
            color=alt.Color(
                "camera:N", scale=HAND_SCALE, title="hand", legend=alt.Legend(orient="top")
            ),
            tooltip=["camera:N", "class:N", "start:Q", "end:Q", "frames:Q"],
        )
        .properties(width=700, height=alt.Step(14))
    )


def memory_frame(frames: int, inputs: dict[str, tuple[int, int, int]]) -> pd.DataFrame:
    """Bytes that `frames` inputs of each (height, width, channels) uint8 shape take.

    Args:
        frames: how many frames (e.g. a whole split).
        inputs: a name per shape, e.g. {"alexnet 227x227x3": (227, 227, 3)}.
    """
    rows = [
        (name, "x".join(map(str, shape)), int(frames * np.prod(shape)))
        for name, shape in inputs.items()
    ]
    df = pd.DataFrame(rows, columns=["input", "shape", "bytes"])
    df["size"] = df["bytes"].map(human_bytes)
    return df


def memory_chart(df: pd.DataFrame, highlight: str | None = None) -> alt.LayerChart:
    """Bars of `memory_frame`'s bytes, each labelled with its size; `highlight` in colour."""
    base = alt.Chart(df).encode(
        y=alt.Y("input:N", sort=list(df["input"]), title=None, axis=AXIS),
        x=alt.X("bytes:Q", title="bytes as uint8", axis=alt.Axis(format="~s")),
        tooltip=["input:N", "shape:N", "size:N"],
    )
    bars = base.mark_bar().encode(
        color=alt.when(alt.datum.input == (highlight or ""))
        .then(alt.value("#f58518"))
        .otherwise(alt.value("#9db4cf"))
    )
    text = base.mark_text(align="left", dx=4).encode(text="size:N")
    return (bars + text).properties(width=520, height=alt.Step(28))
