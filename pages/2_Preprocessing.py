"""Preprocessing: what a frame becomes before a model sees it, what that costs, the store."""

import streamlit as st

import app_state
from handclf_core import charts
from handclf_core.config import REAL_FRAME_COUNTS
from handclf_core.i18n import N_
from handclf_core.images import BASE_SIZE, Preprocessing
from handclf_core.models import get_recipe, list_models
from handclf_core.runs import BALANCE

t = app_state.translator()
lang = app_state.lang()

RECIPES = {m: get_recipe(m) for m in list_models()}
SIZES = {r.input_size: m for m, r in RECIPES.items()}  # 32: cnn_basic, 28: mnist, 227: alexnet
BALANCE_TEXT = {
    "none": N_("preprocessing.balance.none"),
    "class_weight": N_("preprocessing.balance.class_weight"),
    "oversample": N_("preprocessing.balance.oversample"),
}


def prep_ui() -> dict:
    """The choices, seeded from the last ones: widget state is dropped on leaving a page."""
    for name, value in app_state.prep_choices().items():
        st.session_state.setdefault(f"prep_{name}", value)
    if st.session_state["prep_size"] not in SIZES:
        st.session_state["prep_size"] = app_state.PREP_DEFAULTS["size"]
    a, b, c = st.columns(3)
    size = a.radio(
        t("preprocessing.size"),
        list(SIZES),
        key="prep_size",
        format_func=lambda s: t("preprocessing.size_option", size=s, model=SIZES[s]),
    )
    crop = a.radio(
        t("preprocessing.crop"),
        [False, True],
        key="prep_crop",
        format_func=lambda c: (
            t("preprocessing.crop.centre") if c else t("preprocessing.crop.squash")
        ),
    )
    gray = b.toggle(t("preprocessing.gray"), key="prep_gray", help=t("preprocessing.gray_help"))
    flip = b.toggle(
        t("preprocessing.flip"), key="prep_flip_right", help=t("preprocessing.flip_help")
    )
    shuffle = b.toggle(t("preprocessing.shuffle"), key="prep_shuffle")
    balance = c.radio(
        t("preprocessing.balance"),
        BALANCE,
        key="prep_balance",
        format_func=lambda b: t(BALANCE_TEXT[b]),
    )
    return {
        "size": size,
        "gray": gray,
        "flip_right": flip,
        "crop": crop,
        "shuffle": shuffle,
        "balance": balance,
    }


st.title(t("preprocessing.title"))
ds = app_state.current_dataset()
_, task = app_state.choices()
stats = app_state.dataset_stats(ds.description, ds.identity, task)
st.markdown(t("preprocessing.intro"))
choices = prep_ui()
app_state.set_prep_choices(choices)
prep = Preprocessing(**{k: choices[k] for k in ("size", "gray", "flip_right", "crop")})

st.markdown(t("preprocessing.before_after"))
previews = app_state.preview_frames(ds, ds.identity)
for start in range(0, len(previews), 2):  # two before/after pairs a row
    cols = st.columns([1.8, 1, 1.8, 1], vertical_alignment="center")
    for i, row in enumerate(previews.iloc[start : start + 2].itertuples()):
        right = row.camera == "Rhand"
        cols[2 * i].image(app_state.thumbnail(ds, ds.identity, row.file), width="stretch")
        cols[2 * i + 1].image(
            app_state.preview_input(ds, ds.identity, row.file, right, prep), width="stretch"
        )
        name = app_state.class_names("obj")[row.obj]
        caption = t(
            "preprocessing.frame_caption",
            camera=charts.hand_name(row.camera, lang=lang),
            split=row.split,
            scene=row.scene,
            recording=row.recording,
            frame=row.frame,
            held=charts.class_label(row.obj, name, task="obj", lang=lang),
        )
        cols[2 * i].caption(caption)

n_train = stats["splits"]["train"]["frames"]
shape = (prep.size, prep.size, prep.channels)
yours = t("preprocessing.input.yours")
inputs = {yours: shape}
inputs |= {
    t("preprocessing.input.default", model=m): (r.input_size, r.input_size, r.channels)
    for m, r in RECIPES.items()
}
inputs[t("preprocessing.input.store")] = (*BASE_SIZE[::-1], 3)
st.markdown(t("preprocessing.memory", frames=n_train))
st.altair_chart(
    charts.memory_chart(charts.memory_frame(n_train, inputs, lang=lang), yours, lang=lang)
)
full = sum(sum(c) for c in REAL_FRAME_COUNTS["train"].values()) * 2  # both hands
st.caption(
    t(
        "preprocessing.memory_full",
        frames=full,
        shape="x".join(map(str, shape)),
        size=charts.human_bytes(full * prep.size**2 * prep.channels),
    )
)

st.markdown(t("preprocessing.store"))
msg, status = st.empty(), app_state.store_status(ds, prep)
ready = bool(status and status["variant"])
if st.button(t("preprocessing.build"), type="primary", disabled=ready):
    app_state.build_store_with_progress(ds, prep)
    status = app_state.store_status(ds, prep)
if status is None:
    msg.info(t("preprocessing.no_store"))
elif not status["variant"]:
    msg.info(t("preprocessing.no_variant", frames=status["frames"], variant=prep.key))
else:
    msg.success(t("preprocessing.ready", frames=status["frames"], variant=prep.key))

st.markdown(
    t(
        "preprocessing.shuffling",
        ratio=stats["splits"]["train"]["imbalance_ratio"] or 1,
        majority=stats["majority_baseline"]["class"],
    )
)
