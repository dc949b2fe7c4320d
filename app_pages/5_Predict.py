"""Predict: classify one picture with the newest trained run of every model, or the runs chosen."""

import streamlit as st

from app import guards, inference, prediction, runpicker, session
from handclf_core.errors import HandCamError
from handclf_core.i18n import name
from handclf_core.inside.predict import guess_hand
from handclf_core.vocab import CLASSES, Camera, Hand, PictureSource

t = session.translator()
lang = session.lang()


def source_ui() -> PictureSource:
    return session.localized(st.radio, t("predict.picture"), list(PictureSource),
                             horizontal=True, format_func=lambda s: name(PictureSource(s), lang),
                             key="predict.source")  # fmt: skip


def hand_ui(default: Hand) -> Hand:
    # The index is part of the widget's identity: a frame of the other camera resets it.
    return st.radio(t("predict.which_hand"), list(Hand), index=list(Hand).index(default),
                    format_func=lambda h: name(Hand(h), lang), horizontal=True,
                    help=t("predict.which_hand_help"))  # fmt: skip


st.title(t("predict.title"))
ds = guards.current_dataset()
task = session.task()
guards.watch_runs()  # before the runs are read: one stored meanwhile is not missed
inference.preload_keras()  # this page runs models here: Keras loads meanwhile
stored = guards.require_runs(ds, task)
st.markdown(t("predict.intro"))
runs = runpicker.predict_runs(stored)

truth = None
source = source_ui()
if source == PictureSource.FRAME:
    frame = prediction.frame_ui(ds, task)
    data, file_name = ds.read_bytes(frame.file), frame.file
    default_hand, truth = Camera(frame.camera).hand, CLASSES[task][frame[task]]
else:
    if source == PictureSource.UPLOAD:
        # Any file is taken and checked here: a type the browser refused would leave the
        # previous picture's answer on screen; a GIF is said to be no PNG or JPEG instead.
        upload = st.file_uploader(t("predict.upload"), key="predict.file")
        missing = t("predict.upload_info")
    else:
        upload = st.camera_input(t("predict.take_picture"), key="predict.photo")
        missing = t("predict.camera_info")
    if upload is None:
        st.info(missing)
        st.stop()
    data, file_name, default_hand = upload.getvalue(), upload.name, guess_hand(upload.name)
hand = hand_ui(default_hand)

try:
    picture = inference.picture(data, file_name)  # the picture is on screen before the answers
except HandCamError as e:
    st.error(t("predict.failed", error=session.explain(e)))
    st.stop()

st.image(picture, caption=file_name, width=480)
if truth:
    st.markdown(t("predict.true_label", name=session.class_name(task, truth)))
looks = prediction.heat_ui()
prediction.picture_doubts(picture, runs, ds)
# A column per model, its name above its answer in the same column: in a narrow room the
# columns wrap (session.style), and each answer goes with its name.
columns = st.columns(len(runs))
for col, run in zip(columns, runs, strict=True):
    with col:
        prediction.header(run, stored)
try:
    waiting = t("predict.classifying") if inference.keras_loaded() else t("predict.loading_keras")
    with st.spinner(waiting):
        results = inference.predictions(picture, runs, hand)
except HandCamError as e:
    st.error(t("predict.failed", error=session.explain(e)))
    st.stop()
for col, run, result in zip(columns, runs, results, strict=True):
    with col:
        prediction.answer(run, result, picture, hand, source, truth, looks, ds)

with st.expander(t("predict.inside"), icon=":material/layers:"):
    st.markdown(t("predict.inside_intro"))
    prediction.inside(runs, picture, hand)
