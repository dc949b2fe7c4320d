"""Compare's "Download the lab report": the runs shown, written up by `handclf_core.labreport`
when the button is pressed (not on every look at the page), as HTML or as Markdown in a zip."""

from __future__ import annotations

import streamlit as st

from handclf_core.errors import HandCamError

from . import cache, session


@st.cache_data(show_spinner=False, max_entries=64)
def _problem(_runs, key: tuple) -> str | None:
    """Why the runs cannot be reported together (a catalogue key), once per set of runs."""
    from handclf_core.labreport.build import check_runs

    try:
        check_runs(_runs)
    except HandCamError:
        if any(r.predictions is None for r in _runs):
            return "lab.app.unscored"
        return "lab.app.other_frames"
    return None


def _maker(runs, ds, lang: str, fmt: str):
    def make() -> bytes:
        from handclf_core.data.store import stored_store
        from handclf_core.labreport.build import build_report
        from handclf_core.labreport.render import to_html
        from handclf_core.labreport.write import markdown_zip

        store = stored_store(ds.identity)
        frames = store.frames if store is not None else ds.hand_frames()
        report = build_report(runs, frames, lang, store=store)
        if fmt == "html":
            return to_html(report.document).encode("utf-8")
        return markdown_zip(report.document)

    return make


def buttons(runs, ds) -> None:
    """The two download buttons of the lab report of `runs`, or why there are none."""
    t, lang = session.t, session.lang()
    problem = _problem(list(runs), cache.run_key(runs))
    if problem:
        st.info(t(problem), icon=":material/description:")
        return
    left, right = st.columns(2)
    left.download_button(
        t("lab.app.html"),
        _maker(runs, ds, lang, "html"),
        file_name="lab-report.html",
        mime="text/html",
        icon=":material/description:",
        key="compare.lab.html",
        on_click="ignore",
    )
    right.download_button(
        t("lab.app.markdown"),
        _maker(runs, ds, lang, "md"),
        file_name="lab-report.zip",
        mime="application/zip",
        icon=":material/folder_zip:",
        key="compare.lab.md",
        on_click="ignore",
    )
    st.caption(t("lab.app.caption"))
