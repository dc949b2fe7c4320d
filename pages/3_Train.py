"""Train: each model's recipe, trained in the background (or loaded when stored), live."""

import streamlit as st

from app import cache, guards, session, training
from handclf_core.i18n import model_name, name
from handclf_core.models import get_recipe, list_models
from handclf_core.runconfig import TrainConfig
from handclf_core.runs import stored_run
from handclf_core.views.runs import recipe_summary
from handclf_core.vocab import Balance

session.through_entrypoint(__file__)
t = session.translator()
lang = session.lang()

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
    tip = t("train.quick_help", epochs=QUICK_EPOCHS)
    if st.toggle(t("train.quick"), key="train.quick", on_change=_quick_changed, help=tip, **KEEP):
        return st.number_input(
            t("train.limit"), 16, 100_000, QUICK_FRAMES, 100, key="train.limit", **KEEP
        )
    return None


def recipe_ui(model: str, task: str, prep: session.PrepChoice, limit: int | None) -> TrainConfig:
    """The recipe's settings, editable; crop, shuffle and balancing default from the
    Preprocessing page."""
    r, k = get_recipe(model), f"train.{model}."
    for key, value in {"epochs": r.epochs, "batch": r.batch_size, "lr": r.learning_rate}.items():
        st.session_state.setdefault(k + key, value)
    if st.session_state.get(k + "prep") != prep.balance:  # a new choice there wins
        st.session_state[k + "prep"] = st.session_state[k + "balance"] = prep.balance
    c = st.columns(5)
    epochs = c[0].number_input(t("train.epochs"), 1, 1000, key=k + "epochs", **KEEP)
    batch = c[1].number_input(t("train.batch_size"), 1, 4096, key=k + "batch", **KEEP)
    lr = c[2].selectbox(
        t("train.learning_rate"), RATES, format_func="{:g}".format, key=k + "lr", **KEEP
    )
    balance = session.localized(
        c[3].selectbox, t("train.balance"), list(Balance), key=k + "balance",
        format_func=lambda b: name(Balance(b), lang),
    )  # fmt: skip
    seed = c[4].number_input(t("train.seed"), 0, 2**31 - 1, 0, key=k + "seed", **KEEP)
    config = TrainConfig(
        model=model, task=task, epochs=epochs, batch_size=batch, learning_rate=lr,
        crop=prep.preprocessing.crop, balance=balance, shuffle=prep.shuffle, limit=limit,
        seed=seed,
    ).resolved()  # fmt: skip
    st.caption(recipe_summary(config, lang))
    return config


st.title(t("train.title"))
ds = guards.current_dataset()
task = session.task()
jobs = cache.training_jobs()
st.markdown(t("train.intro"))
known = jobs.device(timeout=0) is not None  # the training process loads TensorFlow meanwhile
st.fragment(run_every=None if known else 1.0)(training.device_caption)(jobs, not known)
limit = quick_ui()
prep = session.prep_choice()
tabs = st.tabs([model_name(m, lang) for m in list_models()])
for tab, model in zip(tabs, list_models(), strict=True):
    with tab:
        config = recipe_ui(model, task, prep, limit)
        # A click submits in a callback, which runs before the script: the job shows at once.
        job = jobs.shown(ds.identity, config)
        stored = stored_run(ds.identity, config) is not None
        st.button(
            t("train.load_stored") if stored else t("train.train"),
            key=f"train.{model}.go",
            type="primary",
            on_click=jobs.submit,
            args=(ds, config),
            disabled=job is not None and job.active,
        )
        if job is not None:
            st.fragment(run_every=1.0 if job.active else None)(training.job_panel)(job, job.active)
