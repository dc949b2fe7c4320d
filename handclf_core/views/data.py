"""Charts of the Dataset page (pure Altair): plain data in, a chart out.

No Streamlit here: the pages draw what these functions return, and tests check their
encodings. Classes are always labelled "id · name" (e.g. "20 · cookie"), in id order, so a
chart reads against the label files and the confusion matrices of the Compare page.

Every function takes `lang` ("en" or "zh_TW", see `i18n`): titles come from the catalogue,
and the labels a chart shows (splits, hands, class names) are translated in the data it
draws, in the columns the encodings name ("split", "hand", "camera", "class"); the raw ids
stay beside them ("split_id", "hand_id", "camera_id", "class_id").
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from handclf_core import i18n
from handclf_core.data.layout import HAND_CAMERAS, SCENES, SPLITS
from handclf_core.i18n import name
from handclf_core.views import labels
from handclf_core.vocab import Camera, Scene, Split

SPLIT_COLOURS = ["#4c78a8", "#f58518"]  # train, test
HAND_COLOURS = ["#54a24b", "#b279a2"]  # Lhand, Rhand
BOTH = "both"  # the hand column of counts over both hands


def class_label(class_id: int, name: str, *, task: str | None = None, lang: str = "en") -> str:
    """How a class is shown everywhere: "20 · cookie"; with `task`, the name as a reader of
    `lang` knows it ("20 · 餅乾 cookie" in zh-TW, see `i18n.class_name`)."""
    if task is not None:
        name = i18n.class_name(lang, task, name)
    return f"{class_id} · {name}"


def hand_name(camera: str, lang: str = "en") -> str:
    """A hand camera ("Lhand", "Rhand") as shown: its hand's name ("left hand"); BOTH for
    counts over both hands."""
    if camera == BOTH:
        t = i18n.translator(lang)
        return t("charts.hand.both")
    return name(Camera(camera).hand, lang)


def _split_scale(lang: str) -> alt.Scale:
    return alt.Scale(domain=[name(s, lang) for s in SPLITS], range=SPLIT_COLOURS)


def _hand_scale(lang: str) -> alt.Scale:
    return alt.Scale(domain=[hand_name(c, lang) for c in HAND_CAMERAS], range=HAND_COLOURS)


def human_bytes(n: float) -> str:
    """1234567 -> "1.2 MB" (decimal units, as disks and `du -h --si` count)."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def class_counts_frame(stats: dict, *, by_hand: bool = False, lang: str = "en") -> pd.DataFrame:
    """Long table of `stats` (from `stats.dataset_stats`): one row per split, hand and class
    with its frame count and its share of that split's (or that hand's) frames. "split",
    "hand" and "class" are the labels shown in `lang`; "split_id", "hand_id" and "class_id"
    the raw ids (BOTH for both hands together)."""
    task = stats.get("task")
    labels = [class_label(i, c, task=task, lang=lang) for i, c in enumerate(stats["classes"])]
    rows = []
    for split in SPLITS:
        part = stats["splits"][split]
        groups = (
            {h: part["class_counts_per_hand"][h] for h in HAND_CAMERAS}
            if by_hand
            else {BOTH: part["class_counts"]}
        )
        for hand, counts in groups.items():
            total = max(sum(counts), 1)
            shown = name(split, lang), hand_name(hand, lang)
            for i, count in enumerate(counts):
                rows.append((*shown, i, labels[i], count, count / total, split, hand))
    columns = ["split", "hand", "class_id", "class", "frames", "share", "split_id", "hand_id"]
    return pd.DataFrame(rows, columns=columns)


def class_distribution(
    stats: dict, *, log: bool = False, by_hand: bool = False, lang: str = "en"
) -> alt.Chart:
    """Frames per class, train and test bars side by side; one panel per hand if `by_hand`.

    A log axis shows the rare classes, which a linear axis flattens next to `free`; classes
    with no frame have no bar there (log 0 is undefined) and keep their row.
    """
    t = i18n.translator(lang)
    df = class_counts_frame(stats, by_hand=by_hand, lang=lang)
    order = list(dict.fromkeys(df["class"]))
    splits = [name(s, lang) for s in SPLITS]
    if log:
        df = df[df.frames > 0]
    encoding = {
        "y": alt.Y("class:N", sort=order, title=t("charts.class"), scale=alt.Scale(domain=order),
                   axis=labels.axis(order)),
        "yOffset": alt.YOffset("split:N", sort=splits),
        "x": alt.X(
            "frames:Q",
            title=t("charts.frames_log") if log else t("charts.frames"),
            # Unstacked: a stacked bar starts at 0, which a log scale cannot place.
            scale=alt.Scale(type="log", domainMin=0.5) if log else alt.Scale(type="linear"),
            stack=None,
        ),
        "color": alt.Color(
            "split:N", scale=_split_scale(lang), title=t("charts.split"),
            legend=labels.legend(splits, orient="top", direction="horizontal"),
        ),
        "tooltip": [
            alt.Tooltip("class:N", title=t("charts.class")),
            alt.Tooltip("split:N", title=t("charts.split")),
            alt.Tooltip("hand:N", title=t("charts.hand")),
            alt.Tooltip("frames:Q", format=",", title=t("charts.frames")),
            alt.Tooltip("share:Q", format=".2%", title=t("charts.share_of_split")),
        ],
    }  # fmt: skip
    if log:
        encoding["x2"] = alt.value(0)  # bars grow from the axis' left edge
    if by_hand:
        hands = [hand_name(c, lang) for c in HAND_CAMERAS]
        encoding["column"] = alt.Column("hand:N", sort=hands, title=None)
    width = 300 if by_hand else 600
    height = labels.step(order, 18, bars=len(splits))
    return alt.Chart(df).mark_bar().encode(**encoding).properties(width=width, height=height)


def scene_frame(stats: dict, *, lang: str = "en") -> pd.DataFrame:
    """One row per split, scene and class present: frames, and share of the scene's frames
    ("split" and "class" shown in `lang`, "split_id" and "class_id" the raw ids)."""
    task = stats.get("task")
    rows = []
    for split in SPLITS:
        part = stats["splits"][split]
        for scene in SCENES:
            counts = part["class_counts_per_scene"][scene]
            total = max(sum(counts), 1)
            for i, count in enumerate(counts):
                if count:
                    label = class_label(i, stats["classes"][i], task=task, lang=lang)
                    shown = name(split, lang)
                    place = name(Scene(scene), lang)
                    rows.append((shown, place, i, label, count, count / total, total, split))
    columns = ["split", "scene", "class_id", "class", "frames", "share", "scene_frames"]
    return pd.DataFrame(rows, columns=[*columns, "split_id"])


def scene_heatmap(stats: dict, split: str, *, lang: str = "en") -> alt.Chart:
    """Class x scene of one split, coloured by the class's share of that scene's frames;
    as wide as its container (the page draws the splits side by side, one above the other
    in a narrow room).

    A square-root colour scale: `free` is about half of every scene; on a linear scale every
    other class would be the same pale colour.
    """
    t = i18n.translator(lang)
    df = scene_frame(stats, lang=lang)
    df = df[df["split_id"] == split]
    task = stats.get("task")
    order = [class_label(i, c, task=task, lang=lang) for i, c in enumerate(stats["classes"])]
    scenes = [name(Scene(s), lang) for s in SCENES]
    return (
        alt.Chart(df, title=name(Split(split), lang))
        .mark_rect()
        .encode(
            x=alt.X(
                "scene:N",
                sort=scenes,
                title=t("charts.scene"),
                axis=labels.axis(scenes, title_above=False, labelAngle=0),
            ),  # fmt: skip
            y=alt.Y("class:N", sort=order, title=t("charts.class"), axis=labels.axis(order)),
            color=alt.Color(
                "share:Q",
                scale=alt.Scale(type="sqrt", scheme="blues", domain=[0, 1]),
                legend=alt.Legend(  # under the cells, its title above: a phone holds it
                    format=".0%",
                    title=t("charts.share_of_scene"),
                    orient="bottom",
                    titleOrient="top",
                    titleLimit=0,
                    gradientLength=160,
                ),
            ),  # fmt: skip
            tooltip=[
                alt.Tooltip("class:N", title=t("charts.class")),
                alt.Tooltip("split:N", title=t("charts.split")),
                alt.Tooltip("scene:N", title=t("charts.scene")),
                alt.Tooltip("frames:Q", format=",", title=t("charts.frames")),
                alt.Tooltip("share:Q", format=".1%", title=t("charts.share_of_scene")),
                alt.Tooltip("scene_frames:Q", format=",", title=t("charts.frames_of_scene")),
            ],
        )
        .properties(width="container", height=labels.step(order, 20))
    )


def label_segments(
    frames: pd.DataFrame, task: str, classes: list[str], *, lang: str = "en"
) -> pd.DataFrame:
    """Runs of equal labels in one recording: one row per camera and run.

    Args:
        frames: the recording's rows of `HandCamDataset.frames` (camera, frame, task column).
        task: the label column to follow.
        classes: class names in id order.
        lang: the language of the shown labels ("camera", "class").

    Returns camera, class_id, class, start, end (frame numbers, end exclusive: the next
    stored frame, so a subsampled recording leaves no gaps), frames (stored frames) and
    camera_id (the raw camera id; "camera" is the hand as shown in `lang`).
    """
    rows = []
    for camera, part in frames.sort_values("frame").groupby("camera", sort=True):
        labels, numbers = part[task].to_numpy(), part["frame"].to_numpy()
        cuts = np.flatnonzero(np.diff(labels)) + 1  # first frame of every new run
        starts, ends = np.r_[0, cuts], np.r_[cuts, len(labels)]
        hand = hand_name(camera, lang)
        for s, e in zip(starts, ends, strict=True):
            end = numbers[e] if e < len(numbers) else numbers[-1] + 1
            class_id = int(labels[s])
            label = class_label(class_id, classes[class_id], task=task, lang=lang)
            rows.append((hand, class_id, label, int(numbers[s]), int(end), int(e - s), camera))
    columns = ["camera", "class_id", "class", "start", "end", "frames", "camera_id"]
    return pd.DataFrame(rows, columns=columns)


def label_timeline(segments: pd.DataFrame, *, lang: str = "en") -> alt.Chart:
    """Which class each hand shows, frame by frame: one row per class present, a bar per run,
    left and right hands in their own colours (from `label_segments` in the same `lang`)."""
    t = i18n.translator(lang)
    order = list(segments.sort_values("class_id")["class"].drop_duplicates())
    hands = [hand_name(c, lang) for c in HAND_CAMERAS]
    return (
        alt.Chart(segments)
        .mark_bar()
        .encode(
            x=alt.X("start:Q", title=t("charts.frame_number"), scale=alt.Scale(nice=False)),
            x2="end:Q",
            y=alt.Y("class:N", sort=order, title=t("charts.class"), axis=labels.axis(order)),
            yOffset=alt.YOffset("camera:N", sort=hands),
            color=alt.Color(
                "camera:N",
                scale=_hand_scale(lang),
                title=t("charts.hand"),
                legend=labels.legend(hands, orient="top", direction="horizontal"),
            ),
            tooltip=[
                alt.Tooltip("camera:N", title=t("charts.camera")),
                alt.Tooltip("class:N", title=t("charts.class")),
                alt.Tooltip("start:Q", title=t("charts.start")),
                alt.Tooltip("end:Q", title=t("charts.end")),
                alt.Tooltip("frames:Q", title=t("charts.frames")),
            ],
        )
        .properties(width=700, height=labels.step(order, 14, bars=len(hands)))
    )
