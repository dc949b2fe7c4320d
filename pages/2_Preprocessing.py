"""Preprocessing: what a frame becomes before a model sees it, what that costs, the store."""

import streamlit as st

import app_state
from handclf_core import charts
from handclf_core.config import REAL_FRAME_COUNTS
from handclf_core.images import BASE_SIZE, Preprocessing
from handclf_core.models import get_recipe, list_models
from handclf_core.runs import BALANCE

RECIPES = {m: get_recipe(m) for m in list_models()}
SIZES = {r.input_size: m for m, r in RECIPES.items()}  # 32: cnn_basic, 28: mnist, 227: alexnet
BALANCE_TEXT = {
    "none": "none (the assignment)",
    "class_weight": "class weights",
    "oversample": "oversample rare classes",
}


def prep_ui() -> dict:
    """The choices, seeded from the last ones: widget state is dropped on leaving a page."""
    for name, value in app_state.prep_choices().items():
        st.session_state.setdefault(f"prep_{name}", value)
    if st.session_state["prep_size"] not in SIZES:
        st.session_state["prep_size"] = app_state.PREP_DEFAULTS["size"]
    a, b, c = st.columns(3)
    size = a.radio(
        "Input size", list(SIZES), key="prep_size", format_func=lambda s: f"{s}x{s} ({SIZES[s]})"
    )
    crop = a.radio(
        "16:9 to square",
        [False, True],
        key="prep_crop",
        format_func=lambda c: "centre-crop" if c else "squash (the assignment)",
    )
    gray = b.toggle("Grayscale", key="prep_gray", help="The mnist model's one channel.")
    flip = b.toggle(
        "Mirror right-hand frames",
        key="prep_flip_right",
        help="Both hands then look like left ones (the alexnet recipe).",
    )
    shuffle = b.toggle("Shuffle every epoch", key="prep_shuffle")
    balance = c.radio("Class balancing", BALANCE, key="prep_balance", format_func=BALANCE_TEXT.get)
    return {
        "size": size,
        "gray": gray,
        "flip_right": flip,
        "crop": crop,
        "shuffle": shuffle,
        "balance": balance,
    }


st.title("Preprocessing")
ds = app_state.current_dataset()
_, task = app_state.choices()
stats = app_state.dataset_stats(ds.description, ds.identity, task)
st.markdown(
    "A camera frame is 1920x1080 RGB; the assignment's models take 32x32 RGB (`cnn_basic`), "
    "28x28 grayscale (`mnist`) or 227x227 RGB with right hands mirrored (`alexnet`). "
    "**Expected** (a student's report, on the test split): 52.9%, 50.1% and 54.2%, where "
    "always answering `free` scores 50.1%: the grayscale model learnt nothing the baseline "
    "lacks, and the largest input gained four points. **The choices here are the defaults "
    "of the Train page.**\n\n## Your choices"
)
choices = prep_ui()
app_state.set_prep_choices(choices)
prep = Preprocessing(**{k: choices[k] for k in ("size", "gray", "flip_right", "crop")})

st.markdown(
    "## Before and after\n"
    "Left: the frame as stored (404x227, a fifth of the camera's resolution). Right: the "
    "model's input, enlarged so each of its pixels shows. **Squash or crop?** Squashing keeps "
    "the whole field of view but makes objects 1.8x narrower; cropping keeps shapes but cuts "
    "off the frame's sides, where a held object often is. Mirroring lets one set of filters "
    "serve both hands, at the price of hiding which hand it is."
)
previews = app_state.preview_frames(ds, ds.identity)
for start in range(0, len(previews), 2):  # two before/after pairs a row
    cols = st.columns([1.8, 1, 1.8, 1], vertical_alignment="center")
    for i, row in enumerate(previews.iloc[start : start + 2].itertuples()):
        right = row.camera == "Rhand"
        cols[2 * i].image(app_state.thumbnail(ds, ds.identity, row.file), width="stretch")
        cols[2 * i + 1].image(
            app_state.preview_input(ds, ds.identity, row.file, right, prep), width="stretch"
        )
        held = charts.class_label(row.obj, app_state.class_names("obj")[row.obj])
        where = f"{row.split}/{row.scene}/{row.recording} #{row.frame}"
        cols[2 * i].caption(f"{row.camera}, {where}, holding {held}")

n_train = stats["splits"]["train"]["frames"]
shape = (prep.size, prep.size, prep.channels)
inputs = {"your choice": shape}
inputs |= {f"{m} default": (r.input_size, r.input_size, r.channels) for m, r in RECIPES.items()}
inputs["the store (404x227 RGB)"] = (*BASE_SIZE[::-1], 3)
st.markdown(
    "## What it costs in memory\n"
    f"The whole training split ({n_train:,} frames here) as uint8 arrays. A float32 copy "
    "takes 4x as much, which is why training reads batches from the store instead."
)
st.altair_chart(charts.memory_chart(charts.memory_frame(n_train, inputs), "your choice"))
full = sum(sum(c) for c in REAL_FRAME_COUNTS["train"].values()) * 2  # both hands
st.caption(
    f"On the full HandCam training split ({full:,} hand frames) your choice, "
    f"{'x'.join(map(str, shape))}, takes {charts.human_bytes(full * prep.size**2 * prep.channels)}."
)

st.markdown(
    "## The frame store\n"
    "Decoding a 1920x1080 PNG takes about 40 ms: every frame is decoded once into the "
    "store, and each input above is derived from it in seconds."
)
msg, status = st.empty(), app_state.store_status(ds, prep)
ready = bool(status and status["variant"])
if st.button("Build the store and these inputs", type="primary", disabled=ready):
    app_state.build_store_with_progress(ds, prep)
    status = app_state.store_status(ds, prep)
if status is None:
    msg.info(
        "No frame store yet for this dataset: build it with the button below (minutes "
        "on the full dataset, seconds on the sample). Training would build it too."
    )
elif not status["variant"]:
    msg.info(
        f"The store holds {status['frames']:,} frames; the {prep.key} inputs are not "
        "derived yet: the button derives them (seconds)."
    )
else:
    msg.success(f"Ready: {status['frames']:,} frames in the store, {prep.key} derived.")

st.markdown(
    "## Shuffling and balancing\n"
    "Frames are stored recording by recording, in long runs of one label: without shuffling, "
    "a batch would show one object over and over. On balancing, see the Dataset page. "
    "With class weights, a frame of the rarest training class here weighs "
    f"{stats['splits']['train']['imbalance_ratio'] or 1:,.0f}x a frame of "
    f"`{stats['majority_baseline']['class']}`; oversampling repeats it as many times instead."
)
