"""Widget groups the pages share: charts sized for the room, and long work of the core under
a progress bar that is cleared however the work ends, its errors shown as messages."""

from __future__ import annotations

import streamlit as st

from handclf_core.errors import HandCamError

from . import session

# Type sizes (px) of every chart: at a desk, and on a projector (presentation mode).
SIZES = {
    False: {"label": 12, "title": 13, "text": 12, "heading": 15},
    True: {"label": 18, "title": 20, "text": 17, "heading": 24},
}


def chart(figure, **options):
    """Draw a chart of `handclf_core.views` with the type sizes of the room: larger in
    presentation mode (the sidebar's switch). `options` go to st.altair_chart, whose
    selection event (with `on_select`) is returned."""
    size = SIZES[session.presenting()]
    figure = (
        figure.configure_axis(labelFontSize=size["label"], titleFontSize=size["title"])
        .configure_legend(labelFontSize=size["label"], titleFontSize=size["title"])
        .configure_header(labelFontSize=size["title"], titleFontSize=size["title"])
        .configure_title(fontSize=size["heading"])
        .configure_text(fontSize=size["text"])
    )
    return st.altair_chart(figure, **options)


def build_store(ds, prep) -> bool:
    """Build the frame store of `ds`'s hand frames (once; opened if there) and derive the
    inputs of `prep` (a Preprocessing), under a progress bar cleared however it ends. Returns
    False, with the error shown, when a frame cannot be decoded (nothing is left behind)."""
    from handclf_core.data.store import build_store
    from handclf_core.views.runs import preprocessing_summary

    t, lang = session.t, session.lang()
    bar = st.progress(0.0, text=t("store.decoding_start"))
    try:
        store, _ = build_store(
            ds,
            progress=lambda d, n: bar.progress(d / n, text=t("store.decoding", done=d, total=n)),
        )
        store.variant(
            prep,
            progress=lambda d, n: bar.progress(
                d / n, text=t("store.deriving", variant=preprocessing_summary(prep, lang), done=d)
            ),
        )
        return True
    except HandCamError as e:
        st.error(t("store.failed", error=e))
        return False
    finally:
        bar.empty()
