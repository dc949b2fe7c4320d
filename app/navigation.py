"""The lesson's pages: their scripts, titles and icons, in the order the sidebar lists them.
Every link to a page names it from here. The folder is `app_pages/`, not `pages/`, which
Streamlit would read as a legacy multipage app: here the entrypoint's `st.navigation` serves
every page's URL, also the first one a new server is asked for."""

from __future__ import annotations

import streamlit as st

from handclf_core.i18n import N_

DATASET = "app_pages/1_Dataset.py"
PREPROCESSING = "app_pages/2_Preprocessing.py"
TRAIN = "app_pages/3_Train.py"
COMPARE = "app_pages/4_Compare.py"
PREDICT = "app_pages/5_Predict.py"
PAGES = (  # (script, title's catalogue key, icon)
    (DATASET, N_("nav.dataset"), ":material/bar_chart:"),
    (PREPROCESSING, N_("nav.preprocessing"), ":material/tune:"),
    (TRAIN, N_("nav.train"), ":material/model_training:"),
    (COMPARE, N_("nav.compare"), ":material/compare:"),
    (PREDICT, N_("nav.predict"), ":material/image_search:"),
)


def navigation(home, t):
    """The app's navigation: `home` (a function, the default page) then every page, titled
    with `t`."""
    home_page = st.Page(home, title=t("nav.home"), icon=":material/back_hand:", default=True)
    pages = [st.Page(script, title=t(key), icon=icon) for script, key, icon in PAGES]
    return st.navigation([home_page, *pages])
