"""Predict: classify one picture with the newest trained run of every model."""

import pandas as pd
import streamlit as st

import app_state
from handclf_core import charts, compare, i18n
from handclf_core.config import CLASSES, SPLITS
from handclf_core.errors import HandCamError
from handclf_core.i18n import N_

t = app_state.translator()
lang = app_state.lang()

# Option values stay these ids (tests and session state use them); the texts shown come
# from the catalogue.
UPLOAD, FRAME = "Upload a picture", "A frame of the dataset"
SOURCES = {FRAME: N_("predict.source.frame"), UPLOAD: N_("predict.source.upload")}
HANDS = {"left": N_("predict.hand.left"), "right": N_("predict.hand.right")}
CAMERAS = {"Lhand": N_("predict.camera.Lhand"), "Rhand": N_("predict.camera.Rhand")}
ANY = "any"


def source_ui() -> str:
    return st.radio(
        t("predict.picture"),
        [FRAME, UPLOAD],
        horizontal=True,
        format_func=lambda s: t(SOURCES[s]),
        key="predict.source",
    )


def frame_ui(ds, task: str) -> pd.Series:
    """Split, recording, camera and class filters, then a slider over the matching frames."""
    frames = ds.hand_frames()
    c1, c2, c3, c4 = st.columns(4)
    split = c1.selectbox(
        t("predict.split"),
        SPLITS,
        index=SPLITS.index("test"),
        format_func=lambda s: charts.split_name(s, lang),
        key="predict.split",
    )
    frames = frames[frames.split == split]
    where = frames.scene + "/" + frames.recording.astype(str)  # "house/1"
    recording = c2.selectbox(
        t("predict.recording"),
        [ANY, *dict.fromkeys(where)],
        format_func=lambda r: t("predict.any") if r == ANY else r,
        key="predict.recording",
    )
    if recording != ANY:
        frames = frames[where == recording]
    camera = c3.selectbox(
        t("predict.camera"),
        ["Lhand", "Rhand"],
        format_func=lambda c: t(CAMERAS[c]),
        key="predict.camera",
    )
    frames = frames[frames.camera == camera]
    names = CLASSES[task]
    wanted = c4.selectbox(
        t("predict.class_held"),
        [ANY, *sorted(set(frames[task].tolist()))],
        format_func=lambda c: (
            t("predict.any") if c == ANY else i18n.class_name(lang, task, names[c])
        ),
        key="predict.class",
    )
    if wanted != ANY:
        frames = frames[frames[task] == wanted]
    if len(frames) > 1:
        i = st.slider(t("predict.frame", count=len(frames)), 1, len(frames), 1, key="predict.frame")
        return frames.iloc[i - 1]
    return frames.iloc[0]


def hand_ui(default: str) -> str:
    # The index is part of the widget's identity: a frame of the other camera resets it.
    return st.radio(
        t("predict.which_hand"),
        list(HANDS),
        index=list(HANDS).index(default),
        format_func=lambda h: t(HANDS[h]),
        horizontal=True,
        help=t("predict.which_hand_help"),
    )


st.title(t("predict.title"))
ds = app_state.current_dataset()
_, task = app_state.choices()
runs = compare.latest_per_model(app_state.require_runs(ds, task))
st.markdown(t("predict.intro"))

truth = None
if source_ui() == UPLOAD:
    upload = st.file_uploader(t("predict.upload"), type=["png", "jpg", "jpeg"], key="predict.file")
    if upload is None:
        st.info(t("predict.upload_info"))
        st.stop()
    data, name = upload.getvalue(), upload.name
    default_hand = "right" if "rhand" in name.lower() else "left"  # HandCam's file names
else:
    frame = frame_ui(ds, task)
    data, name = ds.read_bytes(frame.file), frame.file
    default_hand = "right" if frame.camera == "Rhand" else "left"
    truth = CLASSES[task][frame[task]]
hand = hand_ui(default_hand)

try:
    with st.spinner(t("predict.classifying")):
        picture, results = app_state.classify(data, name, runs, hand)
except HandCamError as e:
    st.error(t("predict.failed", error=e))
    st.stop()

st.image(picture, caption=name, width=480)
if truth:
    st.markdown(t("predict.true_label", name=app_state.class_name(task, truth)))
headers = {
    "class": t("predict.col.class"),
    "probability": t("predict.col.probability"),
    "true": t("predict.col.true"),
}
for col, run, result in zip(st.columns(len(runs)), runs, results, strict=True):
    with col:
        st.subheader(compare.model_title(run["config"]["model"], lang))
        top = pd.DataFrame(result["top"])
        if truth:
            top["true"] = top["class"].eq(truth).map({True: "✓", False: ""})
        top["class"] = [app_state.class_name(task, c) for c in top["class"]]
        st.dataframe(
            top.rename(columns=headers),
            hide_index=True,
            column_config={
                headers["probability"]: st.column_config.ProgressColumn(format="percent")
            },
        )
        acc = run["metrics"]["test"]["accuracy"]
        st.caption(t("predict.caption", ms=result["milliseconds"], accuracy=acc, run=run["name"]))
