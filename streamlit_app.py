"""HandCam classroom: the entrypoint. It draws the sidebar (language, data source and task,
kept across pages) and routes to the lesson's pages; the Home page, the lesson in brief, is
below. Every text comes from the catalogues (handclf_core/locales) through `session.t`."""

import streamlit as st

from app import cache, classroom, guards, inference, serverlog, session, widgets, work
from app.navigation import navigation
from app.session import t
from handclf_core.i18n import model_name
from handclf_core.models import list_models
from handclf_core.vocab import CLASSES, Task


def home() -> None:
    st.title(t("home.title"))
    classroom.join_ui(t)  # presentation mode: the address the class's phones open
    ds = guards.current_dataset()
    task = session.task()
    stats = cache.dataset_stats(ds, ds.identity, task)
    st.markdown(t("home.intro", classes=len(CLASSES[Task.OBJ])))
    widgets.dataset_figures(stats, task)
    # The models by the names every other page gives them, not their code names.
    names = {m: model_name(m, session.lang()) for m in list_models()}
    st.markdown(t("home.lesson", **names))


inference.inference_without_onednn()  # before anything here imports TensorFlow
inference.no_cleaning_between_runs()  # no full garbage collection after every run of a page
serverlog.one_line_per_offender()  # a client breaking the protocol: a line, not a traceback
st.set_page_config(page_title=t("app.title"), page_icon=":material/back_hand:", layout="wide")
session.sidebar()
session.style()
cache.training_jobs().device(timeout=0)  # the training process loads TensorFlow from now on
classroom.phones()  # a phone's Predict starts from its camera
page = navigation(home, t)  # first: the sidebar's line links to its pages
with st.sidebar:
    work.sidebar_line()  # the server's long work, wherever the reader is
page.run()
