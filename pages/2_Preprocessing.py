"""Preprocessing: what a frame becomes before a model sees it, what that costs, the store."""

import streamlit as st

from app import cache, guards, session, trainform, widgets
from app.session import PrepChoice
from handclf_core.data.images import Preprocessing
from handclf_core.data.layout import CLASSES, REAL_FRAME_COUNTS
from handclf_core.data.store import store_status
from handclf_core.i18n import model_name, name
from handclf_core.models import get_recipe, list_models
from handclf_core.views import data as charts
from handclf_core.views.runs import preprocessing_summary
from handclf_core.vocab import Balance, Camera, Split, Task

session.through_entrypoint(__file__)
t = session.translator()
lang = session.lang()

SIZES = {get_recipe(m).input_size: m for m in list_models()}  # 32: cnn_basic, 28: mnist, ...


def prep_ui() -> PrepChoice:
    """The choices, seeded from the last ones: widget state is dropped on leaving a page."""
    last = session.prep_choice()
    p = last.preprocessing if last.preprocessing.size in SIZES else Preprocessing()
    seeds = {"gray": p.gray, "flip_right": p.flip_right, "shuffle": last.shuffle}
    for key, value in seeds.items():
        st.session_state.setdefault(f"prep_{key}", value)
    a, b, c = st.columns(3)
    size = session.localized(a.radio, t("preprocessing.size"), list(SIZES), key="prep_size",
                             default=p.size, format_func=lambda s: t("preprocessing.size_option",
                             size=s, model=model_name(SIZES[s], lang)))  # fmt: skip
    crop = session.localized(a.radio, t("preprocessing.crop"), [False, True], key="prep_crop",
                             default=p.crop, format_func=lambda c: t("preprocessing.crop.centre")
                             if c else t("preprocessing.crop.squash"))  # fmt: skip
    gray = b.toggle(t("preprocessing.gray"), key="prep_gray", help=t("preprocessing.gray_help"))
    flip = b.toggle(
        t("preprocessing.flip"), key="prep_flip_right", help=t("preprocessing.flip_help")
    )
    shuffle = b.toggle(t("preprocessing.shuffle"), key="prep_shuffle")
    balance = session.localized(c.radio, t("preprocessing.balance"), list(Balance),
                                key="prep_balance", default=last.balance,
                                format_func=lambda b: name(Balance(b), lang),
                                help=t("preprocessing.balance_help"))  # fmt: skip
    return PrepChoice(Preprocessing(size, gray, flip, crop), shuffle, Balance(balance))


st.title(t("preprocessing.title"))
ds = guards.current_dataset()
task = session.task()
stats = cache.dataset_stats(ds, ds.identity, task)
st.markdown(t("preprocessing.intro"))
choice = prep_ui()
session.set_prep_choice(choice)
prep = choice.preprocessing
trainform.apply_ui(choice)

st.markdown(t("preprocessing.before_after"))
previews = cache.preview_frames(ds, ds.identity)
for start in range(0, len(previews), 2):  # two before/after pairs a row
    cols = st.columns([1.8, 1, 1.8, 1], vertical_alignment="center")
    for i, row in enumerate(previews.iloc[start : start + 2].itertuples()):
        hand = Camera(row.camera).hand
        cols[2 * i].image(cache.thumbnail(ds, ds.identity, row.file), width="stretch")
        cols[2 * i + 1].image(
            cache.model_input(ds, ds.identity, row.file, hand, prep), width="stretch"
        )
        held = charts.class_label(row.obj, CLASSES[Task.OBJ][row.obj], task=Task.OBJ, lang=lang)
        cols[2 * i].caption(
            t("preprocessing.frame_caption", camera=name(hand, lang),
              split=name(Split(row.split), lang), scene=row.scene, recording=row.recording,
              frame=row.frame, held=held)
        )  # fmt: skip

n_train = stats["splits"]["train"]["frames"]
inputs = charts.memory_inputs(prep, lang=lang)
st.markdown(t("preprocessing.memory", frames=n_train))
widgets.chart(
    charts.memory_chart(charts.memory_frame(n_train, inputs, lang=lang), next(iter(inputs)),
                        lang=lang)
)  # fmt: skip
full = sum(sum(c) for c in REAL_FRAME_COUNTS["train"].values()) * 2  # both hands
st.caption(
    t("preprocessing.memory_full", frames=full, shape=f"{prep.size}x{prep.size}x{prep.channels}",
      size=charts.human_bytes(full * prep.size**2 * prep.channels))
)  # fmt: skip

st.markdown(t("preprocessing.store"))
msg, status = st.empty(), store_status(ds, prep)
summary = preprocessing_summary(prep, lang)  # "227x227 gray, right mirrored, cropped"
if st.button(t("preprocessing.build"), type="primary", key="prep_build",
             disabled=bool(status and status.variant_ready)):  # fmt: skip
    widgets.build_store(ds, prep)
    status = store_status(ds, prep)
if status is None:
    msg.info(t("preprocessing.no_store"))
elif not status.variant_ready:
    msg.info(t("preprocessing.no_variant", frames=status.frames, variant=summary))
else:
    msg.success(t("preprocessing.ready", frames=status.frames, variant=summary))

st.markdown(
    t("preprocessing.shuffling", ratio=stats["splits"]["train"]["imbalance_ratio"] or 1,
      majority=stats["majority_baseline"]["class"])
)  # fmt: skip
