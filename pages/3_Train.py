"""Train: each model's recipe, trained in the background (or loaded when stored), live."""

import re
import time

import altair as alt
import streamlit as st

import app_state
from handclf_core.charts import split_name
from handclf_core.compare import balance_name, device_name
from handclf_core.i18n import N_
from handclf_core.models import get_recipe, list_models
from handclf_core.runs import BALANCE, TrainConfig, run_path

t = app_state.translator()
lang = app_state.lang()

# A class demo: seconds on the built-in sample, a minute or two on the real frames.
QUICK_FRAMES, QUICK_EPOCHS = 300, 2
RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)  # the recipes' 0.001, 1.0, 0.01 too
KEEP = {"persist_state": "session"}  # widget values survive a visit to another page
METRICS = {"loss": N_("train.loss"), "accuracy": N_("train.accuracy")}
# What a job is doing (handclf_core.jobs and train describe it in English for the CLI).
STAGES = {
    "waiting for the worker": N_("train.stage.waiting"),
    "starting": N_("train.stage.starting"),
    "starting the training process (importing TensorFlow)": N_("train.stage.starting_process"),
    "decoding frames": N_("train.stage.decoding"),
    "resizing frames": N_("train.stage.resizing"),
    "training": N_("train.stage.training"),
}


def _stage(stage: str) -> str:
    if stage in STAGES:
        return t(STAGES[stage])
    if m := re.fullmatch(r"scoring the (\w+) split", stage):
        return t("train.stage.scoring", split=split_name(m[1], app_state.lang()))
    return stage


def _device(text: str) -> str:
    return device_name(text, app_state.lang())


def _quick_changed() -> None:  # on: every model's epochs to the demo's; off: the recipe's
    quick = st.session_state["train.quick"]
    for m in list_models():
        st.session_state[f"train.{m}.epochs"] = QUICK_EPOCHS if quick else get_recipe(m).epochs


def quick_ui() -> int | None:
    """Frames per split to train on (None: all of them)."""
    tip = t("train.quick_help", epochs=QUICK_EPOCHS)
    if st.toggle(t("train.quick"), key="train.quick", on_change=_quick_changed, help=tip, **KEEP):
        return st.number_input(
            t("train.limit"), 16, 100_000, QUICK_FRAMES, 100, key="train.limit", **KEEP
        )
    return None


def recipe_caption(config: TrainConfig, optimizer: str, limit: int | None) -> str:
    if config.momentum:
        optimizer = t("train.optimizer_momentum", optimizer=optimizer, momentum=config.momentum)
    else:
        optimizer = t("train.optimizer", optimizer=optimizer)
    return t(
        "train.recipe_caption",
        optimizer=optimizer,
        size=config.size,
        colour=t("train.gray") if config.gray else t("train.rgb"),
        mirror=t("train.mirrored") if config.flip_right else "",
        crop=t("train.cropped") if config.crop else t("train.squashed"),
        order=t("train.reshuffled") if config.shuffle else t("train.in_order"),
        frames=t("train.at_most", limit=limit) if limit else t("train.all_frames"),
    )


def recipe_ui(model: str, task: str, prep: dict, limit: int | None) -> TrainConfig:
    """The recipe's settings, editable; crop, shuffle and balancing default from the
    Preprocessing page."""
    r, k = get_recipe(model), f"train.{model}."
    for name, value in {"epochs": r.epochs, "batch": r.batch_size, "lr": r.learning_rate}.items():
        st.session_state.setdefault(k + name, value)
    if st.session_state.get(k + "prep") != prep["balance"]:  # a new choice there wins
        st.session_state[k + "prep"] = st.session_state[k + "balance"] = prep["balance"]
    c = st.columns(5)
    epochs = c[0].number_input(t("train.epochs"), 1, 1000, key=k + "epochs", **KEEP)
    batch = c[1].number_input(t("train.batch_size"), 1, 4096, key=k + "batch", **KEEP)
    lr = c[2].selectbox(
        t("train.learning_rate"), RATES, format_func="{:g}".format, key=k + "lr", **KEEP
    )
    balance = c[3].selectbox(
        t("train.balance"),
        BALANCE,
        format_func=lambda b: balance_name(b, lang),
        key=k + "balance",
        **KEEP,
    )
    seed = c[4].number_input(t("train.seed"), 0, 2**31 - 1, 0, key=k + "seed", **KEEP)
    config = TrainConfig(
        model=model,
        task=task,
        epochs=epochs,
        batch_size=batch,
        learning_rate=lr,
        crop=prep["crop"],
        balance=balance,
        shuffle=prep["shuffle"],
        limit=limit,
        seed=seed,
    )
    config = config.resolved()
    st.caption(recipe_caption(config, r.optimizer, limit))
    return config


def _clock(seconds: float) -> str:
    return "…" if seconds != seconds else f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def curves_ui(history) -> None:
    data = app_state.curves(history)
    order = [split_name(s, app_state.lang()) for s in ("train", "validation")]
    for col, metric in zip(st.columns(2), ("loss", "accuracy"), strict=True):
        name = t(METRICS[metric])
        chart = alt.Chart(data[data.metric == metric], title=name, height=220)
        chart = chart.mark_line(point=True).encode(
            x=alt.X("epoch:Q", title=t("train.axis_epoch"), axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("value:Q", title=name),
            color=alt.Color("label:N", title=None, sort=order),
        )
        col.altair_chart(chart, width="stretch")


def progress_ui(job) -> None:
    b, p = job.batch, job.prepare
    if b is None:
        done = p["done"] / p["total"] if p else 0.0
        st.progress(done, text=t("train.preparing", stage=_stage(job.stage)))
        return
    epoch_done = (b["epoch"] - 1 + b["batch"] / b["batches"]) / b["epochs"]
    st.progress(epoch_done, text=t("train.epoch", epoch=b["epoch"], epochs=b["epochs"]))
    text = t(
        "train.batch",
        batch=b["batch"],
        batches=b["batches"],
        loss=b["loss"],
        accuracy=b["accuracy"],
    )
    st.progress(b["batch"] / b["batches"], text=text)
    c = st.columns(3)
    c[0].metric(t("train.images_per_second"), f"{b['images_per_second']:,.0f}")
    eta = b["eta_seconds"] if job.stage == "training" else 0.0
    c[1].metric(t("train.time_left"), _clock(eta), help=t("train.time_left_help"))
    c[2].metric(t("train.elapsed"), _clock(time.time() - job.started))
    if job.stage != "training":
        st.caption(t("train.now", stage=_stage(job.stage)))
    if job.epochs:
        curves_ui(job.epochs)


def result_ui(run: dict, cached: bool) -> None:
    base = run["metrics"]["test"]["majority_baseline"]["class"]
    base = app_state.class_name(run["config"]["task"], base)
    for col, m in zip(st.columns(4), app_state.result_metrics(run), strict=True):
        if "baseline" in m:
            delta = t("train.vs_baseline", points=(m["value"] - m["baseline"]) * 100)
            help = t("train.baseline_help", name=base, score=m["baseline"])
            col.metric(m["label"], f"{m['value']:.1%}", delta, help=help)
        else:  # a wide gap: the model learned its training frames by heart (over-fitting)
            delta = t("train.vs_test", points=(m["value"] - m["test"]) * 100)
            help = t("train.train_accuracy_help")
            col.metric(m["label"], f"{m['value']:.1%}", delta, "inverse", help=help)
    timings, env = run["timings"], run["environment"]
    c = st.columns(3)
    c[0].metric(
        t("train.training_time"), _clock(timings["seconds"]), help=t("train.training_time_help")
    )
    c[1].metric(t("train.images_per_second"), f"{timings['images_per_second']:,.0f}")
    device_help = t("train.device_help", keras=env["keras"], backend=env["backend"])
    c[2].metric(t("train.device"), _device(env["device"]), help=device_help)
    if cached:
        st.caption(t("train.loaded", path=run["path"]))
    else:
        st.caption(t("train.stored", path=run["path"]))
    curves_ui(run["history"])


def job_ui(job, polling: bool) -> None:
    """A job's progress or outcome; while it runs, a fragment redraws this every second."""
    s = job.snapshot()
    if s.status == "queued":
        st.info(t("train.queued"))
    elif s.status == "running":
        progress_ui(s)
    elif s.status == "done":
        result_ui(s.result, s.cached)
    elif s.status == "failed":
        st.error(t("train.failed", error=s.error))
    else:
        st.warning(t("train.cancelled"))
    if s.active:
        st.button(t("train.cancel"), key=f"train.cancel.{s.key}", on_click=job.cancel)
    elif polling:
        st.rerun()  # it just ended: redraw the whole page once (button label), stop polling


st.title(t("train.title"))
ds = app_state.current_dataset()
_, task = app_state.choices()
device = app_state.training_device()
st.markdown(t("train.intro"))
on = {"device": _device(device["device"]), "backend": device["backend"]}
if device["mixed_precision"]:
    st.caption(t("train.device_caption_mixed", **on))
else:
    st.caption(t("train.device_caption", **on))
limit = quick_ui()
prep = app_state.prep_choices()
for tab, model in zip(st.tabs(list_models()), list_models(), strict=True):
    with tab:
        config = recipe_ui(model, task, prep, limit)
        # A click submits in a callback, which runs before the script: the job shows at once.
        job = app_state.model_job(ds, config)
        stored = run_path(ds.identity, config).exists()
        label = t("train.load_stored") if stored else t("train.train")
        submit, busy = app_state.training_jobs().submit, job is not None and job.active
        st.button(
            label,
            key=f"train.{model}.go",
            type="primary",
            on_click=submit,
            args=(ds, config),
            disabled=busy,
        )
        if job is not None:
            st.fragment(run_every=1.0 if job.active else None)(job_ui)(job, job.active)
