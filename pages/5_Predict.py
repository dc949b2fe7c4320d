"""Predict: classify one picture with the newest trained run of every model."""

import pandas as pd
import streamlit as st

import app_state
from handclf_core import compare
from handclf_core.config import CLASSES, SPLITS
from handclf_core.errors import HandCamError

UPLOAD, FRAME = "Upload a picture", "A frame of the dataset"
HANDS = {"left": "left wrist", "right": "right wrist"}
CAMERAS = {"Lhand": "left hand", "Rhand": "right hand"}


def source_ui() -> str:
    return st.radio("Picture", [FRAME, UPLOAD], horizontal=True)


def frame_ui(ds, task: str) -> pd.Series:
    """Split, recording, camera and class filters, then a slider over the matching frames."""
    frames = ds.hand_frames()
    c1, c2, c3, c4 = st.columns(4)
    split = c1.selectbox("Split", SPLITS, index=SPLITS.index("test"))
    frames = frames[frames.split == split]
    where = frames.scene + "/" + frames.recording.astype(str)  # "house/1"
    recording = c2.selectbox("Recording", ["any", *dict.fromkeys(where)])
    if recording != "any":
        frames = frames[where == recording]
    camera = c3.selectbox("Camera", ["Lhand", "Rhand"], format_func=CAMERAS.get)
    frames = frames[frames.camera == camera]
    names = CLASSES[task]
    wanted = c4.selectbox(
        "Class held",
        ["any", *sorted(set(frames[task].tolist()))],
        format_func=lambda c: c if c == "any" else names[c],
    )
    if wanted != "any":
        frames = frames[frames[task] == wanted]
    if len(frames) > 1:
        i = st.slider(f"Frame (of {len(frames)} matching)", 1, len(frames), 1)
        return frames.iloc[i - 1]
    return frames.iloc[0]


def hand_ui(default: str) -> str:
    # The index is part of the widget's identity: a frame of the other camera resets it.
    return st.radio(
        "Which wrist camera took it?",
        list(HANDS),
        index=list(HANDS).index(default),
        format_func=HANDS.get,
        horizontal=True,
        help="Models trained with mirrored right hands mirror a right-hand picture first.",
    )


st.title("Predict: what is this hand holding?")
ds = app_state.current_dataset()
_, task = app_state.choices()
runs = compare.latest_per_model(app_state.require_runs(ds, task))
st.markdown(
    "## One picture, every model\n\nPick a frame of the dataset (its true label is shown) or "
    "upload a photo. Each model answers with its five most likely classes; the newest "
    "stored run of each model is used. The picture goes through the exact preprocessing the "
    "model was trained with (size, grayscale, mirroring), read from the run itself."
)

truth = None
if source_ui() == UPLOAD:
    upload = st.file_uploader("A PNG or JPEG picture", type=["png", "jpg", "jpeg"])
    if upload is None:
        st.info("Upload a picture from a wrist camera, or pick a frame of the dataset.")
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
    with st.spinner("Classifying (the first time, the models load: a few seconds)…"):
        picture, results = app_state.classify(data, name, runs, hand)
except HandCamError as e:
    st.error(f"This picture cannot be classified. {e}")
    st.stop()

st.image(picture, caption=name, width=480)
if truth:
    st.markdown(f"True label: **{truth}**")
for col, run, result in zip(st.columns(len(runs)), runs, results, strict=True):
    with col:
        st.subheader(compare.model_title(run["config"]["model"]))
        top = pd.DataFrame(result["top"])
        if truth:
            top["true"] = top["class"].eq(truth).map({True: "✓", False: ""})
        st.dataframe(
            top,
            hide_index=True,
            column_config={"probability": st.column_config.ProgressColumn(format="percent")},
        )
        acc = run["metrics"]["test"]["accuracy"]
        st.caption(f"{result['milliseconds']:.0f} ms · test accuracy {acc:.1%} · {run['name']}")
