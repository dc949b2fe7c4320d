"""Compare: every stored run of the chosen dataset and task side by side, on the test split."""

import streamlit as st

from app import (
    cache,
    confidence,
    guards,
    inference,
    mistakes,
    report,
    runpicker,
    session,
    tables,
    widgets,
)
from app.shared import shared
from handclf_core.views import evaluation, per_class
from handclf_core.views.confidence import setting_labels
from handclf_core.views.runs import DETAIL_COLUMNS, frequencies_only, runs_table

t = session.translator()
lang = session.lang()

st.title(t("compare.title"))
ds = guards.current_dataset()
task = session.task()
guards.watch_runs()  # before the runs are read: one stored meanwhile is not missed
inference.preload_keras()  # this page runs models here: Keras loads meanwhile
stored = guards.require_runs(ds, task)
intro = st.container()  # above the run picker, though it counts the runs picked
# The picker folded: 33 runs' chips filled the first screen, above every figure.
with st.expander(t("compare.choose_runs"), icon=":material/checklist:"):
    runs = runpicker.compare_runs(stored)
if not runs:
    st.info(t("runs.choose_one"))
    st.stop()

found = confidence.settings(runs, ds)  # runs equal but for the seed, with their intervals
shown_key = cache.run_key(runs)  # the runs shown: what the pieces every reader shares depend on
shown = session.tn("compare.runs", len(runs))
intro.markdown(
    t("compare.intro", runs=shown, settings=session.tn("compare.settings", len(found)), task=task)
)
confidence.score_older(runs, ds)  # scored: the page is drawn again, with their intervals
weak = [label for label, s in zip(setting_labels(found, lang), found, strict=True)
        if frequencies_only(s.run, s.intervals)]  # fmt: skip
if weak:
    st.warning(t("compare.frequencies_only", runs="; ".join(weak)), icon=":material/warning:")
confidence.table(found, shown_key)
with st.expander(t("details.heading"), icon=":material/info:"):
    widgets.runs_table(runs, DETAIL_COLUMNS)
st.download_button(
    t("compare.download"),  # UTF-8 with a BOM, for Excel (中文); each run's own interval
    shared(
        "csv.runs",
        (shown_key, lang),
        lambda: (
            runs_table(runs, lang, intervals=confidence.per_run(found, ds))
            .to_csv(index=False)
            .encode("utf-8-sig")
        ),
    ),
    file_name=f"handcam-runs-{task}.csv",
    mime="text/csv",
)
report.buttons(runs, ds)

st.markdown(t("compare.accuracy_heading"))
report = widgets.report_toggle(task)
widgets.shared_chart(
    "accuracy",
    (shown_key, report),
    width="stretch",
    build=lambda: evaluation.accuracy_chart(found, report=report, lang=lang),
)
st.markdown(t("compare.accuracy_reading"))

confidence.lesson(found, ds, shown_key)
confidence.differences(found, ds, shown_key)

st.markdown(t("compare.splits_section"))
widgets.shared_chart(
    "splits", (shown_key,), lambda: evaluation.splits_chart(found, lang), width="stretch"
)  # a row a setting
st.markdown(t("compare.splits_reading"))

st.markdown(t("compare.report_section"))
if ds.is_sample:
    st.warning(t("compare.sample_warning"))
widgets.report_table()

st.markdown(t("compare.recall_section"))
# 24 class names side by side need about 50rem; a narrower room gets a row a class.
wide, narrow = tables.by_width("recall", 50)
with wide:
    widgets.shared_chart(
        "recall", (shown_key,), lambda: per_class.recall_heatmap(found, lang), width="stretch"
    )
with narrow:
    widgets.shared_chart(
        "recall.narrow",
        (shown_key,),
        lambda: per_class.recall_heatmap(found, lang, narrow=True),
        width="stretch",
    )
    names = setting_labels(found, lang)
    st.markdown("\n".join(f"{i}. {name}" for i, name in enumerate(names, 1)))
st.caption(t("compare.recall_caption"))

st.markdown(t("compare.detail_section"))
run = runpicker.one_run(runs)
chosen_key = f"compare.cell.{run.name}"
mistakes.confusion(run, chosen_key)
st.caption(t("compare.confusion_caption"))

st.markdown(t("compare.mistakes_section"))
found = mistakes.predictions(run, ds)
if found is not None:
    mistakes.browse(run, found, ds, chosen_key)

classes = per_class.pr_classes(run)
shown = session.localized(st.multiselect, t("compare.pr_classes"), classes,
                          default=classes[: per_class.PR_DEFAULT], key=f"compare.pr.{run.name}",
                          max_selections=per_class.PR_COLOURS,
                          format_func=lambda c: session.class_name(run.task, c))  # fmt: skip
widgets.shared_chart(
    "pr",
    (*cache.run_key([run]), tuple(shown)),
    width="stretch",
    build=lambda: per_class.pr_chart(run, lang, shown or None),
)

st.markdown(t("compare.embedding_section"))
if found is None:
    st.info(t("embedding.needs_scores"))
else:
    mistakes.embedding(run, found, ds)

with st.expander(t("runs.manage"), icon=":material/inventory_2:", key="compare.manage"):
    runpicker.manage(stored)
