"""Train: each model's recipe, trained in the background (or loaded when stored), live."""

import time

import altair as alt
import streamlit as st

import app_state
from handclf_core.models import get_recipe, list_models
from handclf_core.runs import BALANCE, TrainConfig, run_path

# A class demo: seconds on the built-in sample, a minute or two on the real frames.
QUICK_FRAMES, QUICK_EPOCHS = 300, 2
RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)  # the recipes' 0.001, 1.0, 0.01 too
KEEP = {"persist_state": "session"}  # widget values survive a visit to another page


def _quick_changed() -> None:  # on: every model's epochs to the demo's; off: the recipe's
    quick = st.session_state["train.quick"]
    for m in list_models():
        st.session_state[f"train.{m}.epochs"] = QUICK_EPOCHS if quick else get_recipe(m).epochs


def quick_ui() -> int | None:
    """Frames per split to train on (None: all of them)."""
    tip = f"{QUICK_EPOCHS} epochs on a few evenly spaced frames of each split."
    if st.toggle("Quick demo", key="train.quick", on_change=_quick_changed, help=tip, **KEEP):
        return st.number_input(
            "Frames per split", 16, 100_000, QUICK_FRAMES, 100, key="train.limit", **KEEP
        )
    return None


def recipe_ui(model: str, task: str, prep: dict, limit: int | None) -> TrainConfig:
    """The recipe's settings, editable; crop, shuffle and balancing default from the
    Preprocessing page."""
    r, k = get_recipe(model), f"train.{model}."
    for name, value in {"epochs": r.epochs, "batch": r.batch_size, "lr": r.learning_rate}.items():
        st.session_state.setdefault(k + name, value)
    if st.session_state.get(k + "prep") != prep["balance"]:  # a new choice there wins
        st.session_state[k + "prep"] = st.session_state[k + "balance"] = prep["balance"]
    c = st.columns(5)
    epochs = c[0].number_input("Epochs", 1, 1000, key=k + "epochs", **KEEP)
    batch = c[1].number_input("Batch size", 1, 4096, key=k + "batch", **KEEP)
    lr = c[2].selectbox("Learning rate", RATES, format_func="{:g}".format, key=k + "lr", **KEEP)
    balance = c[3].selectbox("Balancing", BALANCE, key=k + "balance", **KEEP)
    seed = c[4].number_input("Seed", 0, 2**31 - 1, 0, key=k + "seed", **KEEP)
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
    st.caption(
        f"{r.optimizer} optimizer; input {config.size}x{config.size} "
        f"{'grayscale' if config.gray else 'RGB'}{', right hands mirrored' * config.flip_right}; "
        f"frames {'centre-cropped' if config.crop else 'squashed'}, "
        f"{'reshuffled every epoch' if config.shuffle else 'in recording order'} (Preprocessing "
        f"page); {f'at most {limit:,}' if limit else 'all'} frames per split."
    )
    return config


def _clock(seconds: float) -> str:
    return "…" if seconds != seconds else f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def curves_ui(history) -> None:
    data = app_state.curves(history)
    for col, metric in zip(st.columns(2), ("loss", "accuracy"), strict=True):
        chart = alt.Chart(data[data.metric == metric], title=metric, height=220)
        chart = chart.mark_line(point=True).encode(
            x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("value:Q", title=metric),
            color=alt.Color("split:N", title=None, sort=["train", "validation"]),
        )
        col.altair_chart(chart, width="stretch")


def progress_ui(job) -> None:
    b, p = job.batch, job.prepare
    if b is None:
        st.progress(p["done"] / p["total"] if p else 0.0, text=f"Preparing: {job.stage}…")
        return
    epoch_done = (b["epoch"] - 1 + b["batch"] / b["batches"]) / b["epochs"]
    st.progress(epoch_done, text=f"Epoch {b['epoch']} of {b['epochs']}")
    text = f"Batch {b['batch']} of {b['batches']}: loss {b['loss']:.3f}, accuracy "
    st.progress(b["batch"] / b["batches"], text=f"{text}{b['accuracy']:.1%}")
    c = st.columns(3)
    c[0].metric("Images / second", f"{b['images_per_second']:,.0f}")
    eta = b["eta_seconds"] if job.stage == "training" else 0.0
    c[1].metric("Time left", _clock(eta), help="Of the training; scoring the test split follows.")
    c[2].metric("Elapsed", _clock(time.time() - job.started))
    if job.stage != "training":
        st.caption(f"Now {job.stage}…")
    if job.epochs:
        curves_ui(job.epochs)


def result_ui(run: dict, cached: bool) -> None:
    base = run["metrics"]["test"]["majority_baseline"]["class"]
    for col, m in zip(st.columns(4), app_state.result_metrics(run), strict=True):
        if "baseline" in m:
            delta = f"{(m['value'] - m['baseline']) * 100:+.1f} pts vs baseline"
            help = f"Always answering '{base}' scores {m['baseline']:.1%} on the test split."
            col.metric(m["label"], f"{m['value']:.1%}", delta, help=help)
        else:  # a wide gap: the model learned its training frames by heart (over-fitting)
            delta = f"{(m['value'] - m['test']) * 100:+.1f} pts vs test"
            help = "Scored on training frames: read it beside test accuracy, never for it."
            col.metric(m["label"], f"{m['value']:.1%}", delta, "inverse", help=help)
    t, env = run["timings"], run["environment"]
    c = st.columns(3)
    c[0].metric("Training time", _clock(t["seconds"]), help="Preparing, fitting and scoring.")
    c[1].metric("Images / second", f"{t['images_per_second']:,.0f}")
    c[2].metric("Device", env["device"], help=f"Keras {env['keras']} on {env['backend']}.")
    st.caption(f"{'Loaded from the cache' if cached else 'Trained and stored'}: {run['path']}")
    curves_ui(run["history"])


def job_ui(job, polling: bool) -> None:
    """A job's progress or outcome; while it runs, a fragment redraws this every second."""
    s = job.snapshot()
    if s.status == "queued":
        st.info("Queued: one model trains at a time; this one starts when the one before ends.")
    elif s.status == "running":
        progress_ui(s)
    elif s.status == "done":
        result_ui(s.result, s.cached)
    elif s.status == "failed":
        st.error(f"Training failed. {s.error}")
    else:
        st.warning("Cancelled: nothing was stored.")
    if s.active:
        st.button("Cancel", key=f"train.cancel.{s.key}", on_click=job.cancel)
    elif polling:
        st.rerun()  # it just ended: redraw the whole page once (button label), stop polling


st.title("Train")
ds = app_state.current_dataset()
_, task = app_state.choices()
device = app_state.training_device()
st.markdown(
    "Each model starts from its assignment recipe. Training runs in the background, one model "
    "at a time: switch pages or open a second tab and it goes on. The same data with the same "
    "settings gives the same stored run, so the button **loads** it instead of training again. "
    "On the real frames, expect test accuracy only a few points above always answering `free` "
    "(the assignment's AlexNet: 54.2% against 50.1%); balanced accuracy and macro-F1 are the "
    "figures that baseline cannot fake."
)
precision = ", mixed precision" * device["mixed_precision"]
st.caption(f"Training on **{device['device']}** with Keras on {device['backend']}{precision}.")
limit = quick_ui()
prep = app_state.prep_choices()
for tab, model in zip(st.tabs(list_models()), list_models(), strict=True):
    with tab:
        config = recipe_ui(model, task, prep, limit)
        # A click submits in a callback, which runs before the script: the job shows at once.
        job = app_state.model_job(ds, config)
        label = "Load stored run" if run_path(ds.identity, config).exists() else "Train"
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
