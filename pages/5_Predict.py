"""Predict: classify one picture with the newest trained run of every model, or the runs chosen."""

import pandas as pd
import streamlit as st

from app import cache, guards, prediction, runpicker, session
from handclf_core.data.layout import CLASSES, HAND_CAMERAS, SPLITS
from handclf_core.errors import HandCamError
from handclf_core.i18n import name
from handclf_core.inside.predict import classify, guess_hand
from handclf_core.vocab import Camera, Hand, PictureSource, Split

session.through_entrypoint(__file__)
t = session.translator()
lang = session.lang()
ANY = "any"


def source_ui() -> PictureSource:
    return session.localized(st.radio, t("predict.picture"), list(PictureSource),
                             horizontal=True, format_func=lambda s: name(PictureSource(s), lang),
                             key="predict.source")  # fmt: skip


def frame_ui(ds, task: str) -> pd.Series:
    """Split, recording, camera and class filters, then a slider over the matching frames."""
    frames = ds.hand_frames()
    c1, c2, c3, c4 = st.columns(4)
    split = session.localized(c1.selectbox, t("predict.split"), SPLITS, default=Split.TEST,
                              format_func=lambda s: name(Split(s), lang),
                              key="predict.split")  # fmt: skip
    frames = frames[frames.split == split]
    where = frames.scene + "/" + frames.recording.astype(str)  # "house/1"
    recording = session.localized(
        c2.selectbox, t("predict.recording"), [ANY, *dict.fromkeys(where)],
        key="predict.recording", format_func=lambda r: t("predict.any") if r == ANY else r,
    )  # fmt: skip
    if recording != ANY:
        frames = frames[where == recording]
    camera = session.localized(c3.selectbox, t("predict.camera"), HAND_CAMERAS,
                               key="predict.camera",
                               format_func=lambda c: name(Camera(c).hand, lang))  # fmt: skip
    frames = frames[frames.camera == camera]
    names = CLASSES[task]
    wanted = session.localized(
        c4.selectbox, t("predict.class_held"), [ANY, *sorted(set(frames[task].tolist()))],
        key="predict.class",
        format_func=lambda c: t("predict.any") if c == ANY else session.class_name(task, names[c]),
    )  # fmt: skip
    if wanted != ANY:
        frames = frames[frames[task] == wanted]
    if len(frames) > 1:
        i = st.slider(t("predict.frame", count=len(frames)), 1, len(frames), 1, key="predict.frame")
        return frames.iloc[i - 1]
    return frames.iloc[0]


def hand_ui(default: Hand) -> Hand:
    # The index is part of the widget's identity: a frame of the other camera resets it.
    return st.radio(t("predict.which_hand"), list(Hand), index=list(Hand).index(default),
                    format_func=lambda h: name(Hand(h), lang), horizontal=True,
                    help=t("predict.which_hand_help"))  # fmt: skip


st.title(t("predict.title"))
ds = guards.current_dataset()
task = session.task()
stored = guards.require_runs(ds, task)
st.markdown(t("predict.intro"))
runs = runpicker.predict_runs(stored)

truth = None
source = source_ui()
if source == PictureSource.FRAME:
    frame = frame_ui(ds, task)
    data, file_name = ds.read_bytes(frame.file), frame.file
    default_hand, truth = Camera(frame.camera).hand, CLASSES[task][frame[task]]
else:
    if source == PictureSource.UPLOAD:
        upload = st.file_uploader(t("predict.upload"), type=["png", "jpg", "jpeg"],
                                  key="predict.file")  # fmt: skip
        missing = t("predict.upload_info")
    else:
        upload = st.camera_input(t("predict.take_picture"), key="predict.camera")
        missing = t("predict.camera_info")
    if upload is None:
        st.info(missing)
        st.stop()
    data, file_name, default_hand = upload.getvalue(), upload.name, guess_hand(upload.name)
hand = hand_ui(default_hand)

try:
    waiting = t("predict.classifying") if cache.keras_loaded() else t("predict.loading_keras")
    with st.spinner(waiting):
        picture, results = classify(data, file_name, runs, hand)
except HandCamError as e:
    st.error(t("predict.failed", error=e))
    st.stop()

st.image(picture, caption=file_name, width=480)
if truth:
    st.markdown(t("predict.true_label", name=session.class_name(task, truth)))
looks = st.toggle(t("predict.heat"), key="predict.heat", help=t("predict.heat_help"))
for col, run, result in zip(st.columns(len(runs)), runs, results, strict=True):
    with col:
        prediction.answer(run, result, picture, hand, source, truth, looks)

with st.expander(t("predict.inside"), icon=":material/layers:"):
    st.markdown(t("predict.inside_intro"))
    prediction.inside(runs, picture, hand)
