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
    with `t`. A URL of no page ("/Nonexistent") opens a hidden page at that URL that says
    so in the reader's language above the Home page (`not_found`)."""
    home_page = st.Page(home, title=t("nav.home"), icon=":material/back_hand:", default=True)
    pages = [home_page, *(st.Page(script, title=t(key), icon=icon) for script, key, icon in PAGES)]
    asked = requested_page()
    if asked and asked not in {p.url_path for p in pages} and "/" not in asked:
        pages.append(
            st.Page(
                not_found(home, asked, t),
                title=t("nav.not_found_title"),
                icon=":material/explore_off:",
                url_path=asked,
                visibility="hidden",
            )
        )
    return st.navigation(pages)


def requested_page() -> str | None:
    """The page name the browser's URL asks for ("Nonexistent" for /Nonexistent; "" or
    None for the app's root or a page chosen by a link or the sidebar).

    Streamlit (1.67) matches it against the pages' `url_path` and, finding none, runs the
    default page under its own English dialog "Page not found" (no option of st.navigation
    changes that). A page given that very `url_path` is found instead: `navigation` adds
    one. The name is the one Streamlit's page manager was asked for, read where Streamlit
    keeps it (its script-run context); None when it cannot be read."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    try:
        name = ctx.pages_manager.intended_page_name if ctx is not None else None
    except AttributeError:  # another Streamlit: Streamlit's own dialog, as before
        return None
    return name.strip().strip("/") if isinstance(name, str) else None


def not_found(home, asked: str, t):
    """The page at a URL of no page: a note naming the URL, then the Home page."""

    def page() -> None:
        st.warning(t("nav.not_found", path=asked), icon=":material/explore_off:")
        home()

    return page
