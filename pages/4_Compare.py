"""Compare: every stored run of the chosen dataset and task side by side, on the test split."""

import streamlit as st

import app_state
from handclf_core import compare

t = app_state.translator()
lang = app_state.lang()

PCT = st.column_config.NumberColumn(format="percent")
SHARES = ["test accuracy", "majority baseline", "balanced accuracy", "macro-F1", "train accuracy"]
# Keyed by the runs table's English column ids; the page keys them by the shown headers.
TABLE_FORMAT = {
    **dict.fromkeys(SHARES, PCT),
    "gap": st.column_config.NumberColumn(format="percent", help=t("compare.gap_help")),
    "params": st.column_config.NumberColumn(format="compact"),
    "training time (s)": st.column_config.NumberColumn(format="%.1f"),
    "images/s": st.column_config.NumberColumn(format="%.0f"),
}


def report_ui(task: str) -> bool:
    return (
        st.toggle(
            t("compare.report_toggle"),
            value=task == "obj",
            disabled=task != "obj",
            help=t("compare.report_toggle_help"),
            key="compare.report",
        )
        and task == "obj"
    )


def run_ui(runs: list[dict]) -> dict:
    # Options are run names, so the choice survives a language switch and new runs.
    by_name = {r["name"]: r for r in runs}
    labels = dict(zip(by_name, compare.run_labels(runs, lang), strict=True))
    name = st.selectbox(
        t("compare.model"), list(by_name), format_func=labels.get, key="compare.run"
    )
    return by_name[name]


def formats(columns: dict) -> dict:
    """Column formats keyed by the headers shown in the chosen language."""
    return {compare.table_header(c, lang): f for c, f in columns.items()}


st.title(t("compare.title"))
ds = app_state.current_dataset()
_, task = app_state.choices()
runs = app_state.require_runs(ds, task)

st.markdown(t("compare.intro", count=len(runs), task=task))
table = compare.runs_table(runs, lang)
st.dataframe(table, hide_index=True, column_config=formats(TABLE_FORMAT))
st.download_button(
    t("compare.download"),
    table.to_csv(index=False).encode("utf-8-sig"),  # the BOM tells Excel it is UTF-8 (中文)
    file_name=f"handcam-runs-{task}.csv",
    mime="text/csv",
)

st.markdown(t("compare.accuracy_heading"))
report = report_ui(task)
st.altair_chart(compare.accuracy_chart(runs, report=report, lang=lang), width="stretch")
st.markdown(t("compare.accuracy_reading"))

st.markdown(t("compare.report_section"))
if ds.is_sample:
    st.warning(t("compare.sample_warning"))
st.dataframe(
    compare.report_table(lang),
    hide_index=True,
    column_config=formats({"accuracy": PCT, "baseline": PCT}),
)

st.markdown(t("compare.recall_section"))
st.altair_chart(compare.recall_heatmap(runs, lang), width="content")

st.markdown(t("compare.detail_section"))
run = run_ui(runs)
st.altair_chart(compare.confusion_chart(run, lang), width="content")
st.altair_chart(compare.pr_chart(run, lang), width="stretch")
