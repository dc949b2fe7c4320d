"""Preprocessing: what a frame becomes before a model sees it, what that costs, the store."""

import streamlit as st

from app import cache, guards, session, trainform, widgets, work
from handclf_core.data.layout import REAL_FRAME_COUNTS
from handclf_core.data.store import store_status
from handclf_core.i18n import name
from handclf_core.training import board
from handclf_core.training.board import store_job_id
from handclf_core.views import data as charts
from handclf_core.views import preprocessing as memory
from handclf_core.views.runs import preprocessing_summary
from handclf_core.vocab import CLASSES, Camera, Scene, Split, Task

t = session.translator()
lang = session.lang()

st.title(t("preprocessing.title"))
ds = guards.current_dataset()
task = session.task()
stats = cache.dataset_stats(ds, ds.identity, task)
st.markdown(t("preprocessing.intro"))
work.queue_panel()  # every job of the server, whoever started it
choice = trainform.prep_ui()
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
              split=name(Split(row.split), lang), scene=name(Scene(row.scene), lang),
              recording=row.recording, frame=row.frame, held=held)
        )  # fmt: skip

n_train = stats["splits"]["train"]["frames"]
inputs = memory.memory_inputs(prep, lang=lang)
st.markdown(t("preprocessing.memory", frames=n_train))
widgets.chart(
    memory.memory_chart(memory.memory_frame(n_train, inputs, lang=lang), next(iter(inputs)),
                        lang=lang)
)  # fmt: skip
full = sum(sum(c) for c in REAL_FRAME_COUNTS["train"].values()) * 2  # both hands
st.caption(
    t("preprocessing.memory_full", frames=full, shape=f"{prep.size}x{prep.size}x{prep.channels}",
      size=charts.human_bytes(full * prep.size**2 * prep.channels))
)  # fmt: skip

st.markdown(t("preprocessing.store"))
# The build is a job of the server: leaving or reloading the page does not stop it.
status, job = store_status(ds, prep), board.read(store_job_id(ds.identity, prep))
building = job is not None and job.active
summary = preprocessing_summary(prep, lang)  # "227x227 gray, right mirrored, cropped"
if status is None:
    st.info(t("preprocessing.no_store"))
elif not status.variant_ready:
    st.info(t("preprocessing.no_variant", frames=status.frames, variant=summary))
else:
    st.success(t("preprocessing.ready", frames=status.frames, variant=summary))
if not (status and status.variant_ready) and not building:
    st.caption(work.store_plan_text(ds, prep))
st.button(t("preprocessing.build"), type="primary", key="prep_build", on_click=work.submit_store,
          args=(ds, prep), disabled=building or bool(status and status.variant_ready))  # fmt: skip
if job is not None and (building or not (status and status.variant_ready)):
    st.fragment(run_every=work.POLL if building else None)(work.store_panel)(job.id, building)

st.markdown(
    t("preprocessing.shuffling", ratio=stats["splits"]["train"]["imbalance_ratio"] or 1,
      majority=stats["majority_baseline"]["class"])
)  # fmt: skip
