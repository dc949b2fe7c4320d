"""Dataset: how many frames, how unequal the classes, what a recording and its frames look like."""

import streamlit as st

from app import cache, guards, navigation, session, widgets
from handclf_core.data.layout import SPLITS
from handclf_core.i18n import name
from handclf_core.views import data as charts
from handclf_core.vocab import Scene, Split

t = session.translator()
lang = session.lang()

GALLERY_PAGE = 12  # thumbnails decoded per view: 12 PNG decodes stay fast on 1920x1080 frames


def distribution_ui() -> tuple[bool, bool]:
    left, right = st.columns(2)
    log = left.toggle(t("dataset.log_scale"), key="ds_log", help=t("dataset.log_scale_help"))
    by_hand = right.toggle(t("dataset.by_hand"), key="ds_by_hand")
    return log, by_hand


def recording_name(recording: str) -> str:
    """A "split/scene/N" recording as shown: the split named in the page's language."""
    split, scene, number = recording.split("/")
    return t("dataset.recording_option", split=name(Split(split), lang),
             scene=name(Scene(scene), lang), number=number)  # fmt: skip


def gallery_ui(n_classes: int) -> tuple[int, list[int]]:
    """(seed, class ids to show): pages of at most GALLERY_PAGE classes, evenly filled."""
    st.session_state.setdefault("ds_seed", 0)
    per_page = -(-n_classes // -(-n_classes // GALLERY_PAGE))  # 24: 12 + 12; 13: 7 + 6
    left, right = st.columns([3, 1])
    first = 0
    if n_classes > per_page:
        first = left.radio(
            t("dataset.class_page"), range(0, n_classes, per_page), horizontal=True,
            key="ds_page", format_func=lambda lo: f"{lo}–{min(lo + per_page, n_classes) - 1}",
        )  # fmt: skip
    if right.button(t("dataset.other_frames"), help=t("dataset.other_frames_help")):
        st.session_state["ds_seed"] += 1
    return st.session_state["ds_seed"], list(range(first, min(first + per_page, n_classes)))


st.title(t("dataset.title"))
ds = guards.current_dataset()
task = session.task()
stats = cache.dataset_stats(ds, ds.identity, task)
classes = stats["classes"]
widgets.dataset_figures(stats, task, imbalance=True)

st.markdown(t("dataset.distribution", task=task))
log, by_hand = distribution_ui()
widgets.chart(charts.class_distribution(stats, log=log, by_hand=by_hand, lang=lang))

st.markdown(t("dataset.scenes"))
for column, split in zip(st.columns(len(SPLITS)), SPLITS, strict=True):
    with column, st.container(key=f"wide-scenes-{split}"):  # wraps in a narrow room
        widgets.chart(charts.scene_heatmap(stats, split, lang=lang))

st.markdown(t("dataset.recording"))
shown_recording = session.localized(
    st.selectbox, t("dataset.recording_label"), cache.recordings(ds, ds.identity), key="ds_rec",
    format_func=recording_name,
)  # fmt: skip
segments = cache.label_segments(ds, ds.identity, task, shown_recording, lang)
widgets.chart(charts.label_timeline(segments, lang=lang))

st.markdown(t("dataset.gallery"))
seed, shown = gallery_ui(len(classes))
picks = cache.gallery_frames(ds, ds.identity, task, seed).set_index(task)
for row in range(0, len(shown), 6):
    for col, class_id in zip(st.columns(6), shown[row : row + 6], strict=False):
        label = charts.class_label(class_id, classes[class_id], task=task, lang=lang)
        if class_id not in picks.index:
            col.caption(t("dataset.no_frame", label=label))
            continue
        f = picks.loc[class_id]
        col.image(cache.thumbnail(ds, ds.identity, f.file), width="stretch")
        col.caption(
            t("dataset.frame_caption", label=label, camera=charts.hand_name(f.camera, lang),
              split=name(Split(f.split), lang), scene=name(Scene(f.scene), lang),
              recording=f.recording, frame=f.frame)
        )  # fmt: skip

st.markdown(t("dataset.balancing", option=t("train.balance")))  # the Train page's own word
left, right = st.columns(2)
left.page_link(
    navigation.PREPROCESSING, label=t("dataset.go_preprocessing"), icon=":material/tune:"
)
right.page_link(navigation.TRAIN, label=t("dataset.go_train"), icon=":material/model_training:")
