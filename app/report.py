"""Compare's "Download the lab report": the runs shown, written up by `handclf_core.labreport`
when the button is pressed (not on every look at the page), as HTML or as Markdown in a zip."""

from __future__ import annotations

import streamlit as st

from handclf_core.i18n import N_
from handclf_core.views.runs import run_labels

from . import cache, session


@st.cache_data(show_spinner=False, max_entries=64)
def _reportable(_runs, key: tuple) -> tuple[list[str], list[str]]:
    """The names of the runs a report can compare, and of the others; once per set of runs."""
    from handclf_core.labreport.build import reportable

    kept, left = reportable(_runs)
    return [r.name for r in kept], [r.name for r in left]


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


# The report's downloads: (format, button label, file name, MIME type, icon)
DOWNLOADS = (
    ("html", N_("lab.app.html"), "lab-report.html", "text/html", ":material/description:"),
    ("md", N_("lab.app.markdown"), "lab-report.zip", "application/zip", ":material/folder_zip:"),
)


def buttons(runs, ds) -> None:
    """The two download buttons of the lab report of `runs` (those on the same test frames),
    and which runs it leaves out."""
    t, lang = session.t, session.lang()
    kept, left = _reportable(list(runs), cache.run_key(runs))
    if not kept:
        st.info(t("lab.app.unscored"), icon=":material/description:")
        return
    chosen = [r for r in runs if r.name in kept]
    # One under the other, each as wide as the page: side by side, a projector's type cut
    # the second label at 1440 px.
    for fmt, label, file_name, mime, icon in DOWNLOADS:
        st.download_button(
            t(label),
            _maker(chosen, ds, lang, fmt),
            file_name=file_name,
            mime=mime,
            icon=icon,
            key=f"compare.lab.{fmt}",
            on_click="ignore",
            width="stretch",
        )
    caption = t("lab.app.caption")
    if left:
        labels = dict(zip((r.name for r in runs), run_labels(list(runs), lang), strict=True))
        caption += " " + t(
            "lab.app.left_out", runs=t("lab.list_separator").join(labels[n] for n in left)
        )
    st.caption(caption)
