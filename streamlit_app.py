"""HandCam classroom: the entrypoint. It draws the sidebar (language, data source and task,
kept across pages) and routes to the lesson's pages; the Home page, the lesson in brief, is
below. Every text comes from the catalogues (handclf_core/locales) through `session.t`."""

import streamlit as st

from app import cache, guards, session
from app.session import t
from handclf_core.data.layout import CLASSES
from handclf_core.vocab import Task


def home() -> None:
    st.title(t("home.title"))
    ds = guards.current_dataset()
    task = session.task()
    stats = cache.dataset_stats(ds, ds.identity, task)
    st.markdown(t("home.intro", classes=len(CLASSES[Task.OBJ])))
    cols = st.columns(4)
    cols[0].metric(t("metric.train_frames"), f"{stats['splits']['train']['frames']:,}")
    cols[1].metric(t("metric.test_frames"), f"{stats['splits']['test']['frames']:,}")
    cols[2].metric(t("metric.classes"), len(stats["classes"]))
    base = stats["majority_baseline"]
    cols[3].metric(
        t("metric.always_scores", name=session.class_name(task, base["class"])),
        f"{base['test_accuracy']:.1%}",
        help=t("metric.always_scores_help"),
    )
    st.markdown(t("home.lesson"))


st.set_page_config(page_title=t("app.title"), page_icon=":material/back_hand:", layout="wide")
session.sidebar()
session.style()
cache.training_jobs().device(timeout=0)  # the training process loads TensorFlow from now on
cache.preload_keras()  # and this process too, for Predict, once the first page is drawn
back = session.entered()
navigation = st.navigation(
    [
        st.Page(home, title=t("nav.home"), icon=":material/back_hand:", default=True),
        st.Page("pages/1_Dataset.py", title=t("nav.dataset"), icon=":material/bar_chart:"),
        st.Page("pages/2_Preprocessing.py", title=t("nav.preprocessing"), icon=":material/tune:"),
        st.Page("pages/3_Train.py", title=t("nav.train"), icon=":material/model_training:"),
        st.Page("pages/4_Compare.py", title=t("nav.compare"), icon=":material/compare:"),
        st.Page("pages/5_Predict.py", title=t("nav.predict"), icon=":material/image_search:"),
    ]
)
if back:  # a page opened by its URL before the entrypoint had run: back to it
    st.switch_page(back)
navigation.run()
