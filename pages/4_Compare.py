"""Compare: every stored run of the chosen dataset and task side by side, on the test split."""

import streamlit as st

import app_state
from handclf_core import compare

PCT = st.column_config.NumberColumn(format="percent")
SHARES = ["test accuracy", "majority baseline", "balanced accuracy", "macro-F1", "train accuracy"]
TABLE_FORMAT = {
    **dict.fromkeys(SHARES, PCT),
    "gap": st.column_config.NumberColumn(
        format="percent", help="Train minus test accuracy: how much was memorised."
    ),
    "params": st.column_config.NumberColumn(format="compact"),
    "training time (s)": st.column_config.NumberColumn(format="%.1f"),
    "images/s": st.column_config.NumberColumn(format="%.0f"),
}


def report_ui(task: str) -> bool:
    return st.toggle(
        "Add the report's figures (real HandCam test split) for reference",
        value=task == "obj",
        disabled=task != "obj",
        help="The report measured the object task only.",
    )


def run_ui(runs: list[dict]) -> dict:
    labels = compare.run_labels(runs)
    i = st.selectbox("Model", range(len(runs)), format_func=labels.__getitem__)
    return runs[i]


st.title("Compare the models")
ds = app_state.current_dataset()
_, task = app_state.choices()
runs = app_state.require_runs(ds, task)

st.markdown(
    f"""
## Every stored run, side by side

{len(runs)} run(s) trained on this dataset for the task `{task}`, newest first, all scored
on the **test split** (recordings no model saw in training). Read each accuracy against the
**majority baseline**, always answering the most frequent class on the same frames: a model
is only worth something above it. *Balanced accuracy* and *macro-F1* weigh every class
equally, so a model that answers `free` for everything scores low on them. *Gap* is train
minus test accuracy: a big gap means memorised frames, not learnt objects.
"""
)
table = compare.runs_table(runs)
st.dataframe(table, hide_index=True, column_config=TABLE_FORMAT)
st.download_button(
    "Download the table (CSV)",
    table.to_csv(index=False),
    file_name=f"handcam-runs-{task}.csv",
    mime="text/csv",
)

st.markdown("## Accuracy against the baseline")
report = report_ui(task)
st.altair_chart(compare.accuracy_chart(runs, report=report), width="stretch")
st.markdown(
    "A bar that ends near its dashed line learnt little more than the class frequencies. "
    "The bars of the report (light blue, red) are **not comparable** with the runs above them: "
    "they were measured on other frames."
)

st.markdown(
    """
## What the assignment's report measured

A student's own figures on the **real HandCam test split** (object task, both hands), for
reference. Always answering `free` scores 50.09% there, so the best model, AlexNet, is four
points above doing nothing. The **92%** of the report was measured on the **training
frames**: the frames the network had learnt by heart. It says how well AlexNet remembers,
not how well it recognises; on unseen recordings the same model scores 54.2%.
"""
)
if ds.is_sample:
    st.warning(
        "The runs here were trained on the built-in sample (synthetic pictures over the real "
        "labels): their figures cannot be compared with the report's, only with each other."
    )
st.dataframe(
    compare.report_table(),
    hide_index=True,
    column_config={"accuracy": PCT, "baseline": PCT},
)

st.markdown(
    """
## Which classes does each model find?

Recall is the share of a class's test frames that the model labels correctly. A column that
is dark only on the `free` row belongs to a model that learnt the baseline; the rare objects
(a handful of frames each) are where the models really differ.
"""
)
st.altair_chart(compare.recall_heatmap(runs), width="content")

st.markdown(
    """
## One model up close

**Confusion matrix**: rows are the true classes, columns the predictions; the colour is the
share of the row, the number counts frames. A bright `free` column means "when unsure, say
free". **Precision-recall curves**: one line per class, traced by lowering the probability
a prediction needs; the higher and further right, the better. Average precision (AP) sums a
curve into one number; a class the model ignores stays near its share of the frames.
"""
)
run = run_ui(runs)
st.altair_chart(compare.confusion_chart(run), width="content")
st.altair_chart(compare.pr_chart(run), width="stretch")
