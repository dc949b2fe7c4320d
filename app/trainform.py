"""The Train page's settings of each model: every setting of a run, starting from the model's
recipe, kept in session state under `train.<model>.<field>` so that the Preprocessing page
can apply its choices to one model or all (`apply_preprocessing`) and a visit to another
page keeps them."""

from __future__ import annotations

import streamlit as st

from handclf_core.i18n import model_name, name
from handclf_core.models import get_recipe, list_models
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.experiments import QUICK, QUICK_WHY
from handclf_core.views.runs import config_label, preprocessing_summary, recipe_summary
from handclf_core.vocab import Balance, Precision, Validation

from . import session

RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)  # the recipes' 0.001, 1.0, 0.01 too
KEEP = {"persist_state": "session"}  # widget values survive a visit to another page
QUICK_KEY = "train.quick"
ALL = "all"  # apply to every model
MOMENTA = (0.0, 0.5, 0.9, 0.95, 0.99)  # SGD's; 0.9 is AlexNet's recipe, 0 the plain SGD
VALIDATIONS = {Validation.RECORDING: "lab/4", Validation.RANDOM: "random", Validation.NONE: ""}


def _key(model: str, field: str) -> str:
    return f"train.{model}.{field}"


def recipe_state(model: str, quick: bool = False) -> dict:
    """Every setting of `model`'s recipe (its quick preset's when `quick`), by field."""
    r, c = get_recipe(model), TrainConfig(model=model)
    state = {
        "epochs": r.epochs, "batch": r.batch_size, "lr": r.learning_rate, "seed": c.seed,
        "size": r.input_size, "gray": r.channels == 1, "flip": r.flip_right, "crop": c.crop,
        "shuffle": c.shuffle, "limit": None, "balance": c.balance, "momentum": r.momentum,
        "validation": Validation.RECORDING, "precision": c.resolved().precision,
    }  # fmt: skip
    if quick:
        preset = QUICK[model]
        state.update(epochs=preset.get("epochs", r.epochs), limit=preset.get("limit"),
                     size=preset.get("size", r.input_size),
                     batch=preset.get("batch_size", r.batch_size))  # fmt: skip
    return state


def reset(model: str) -> None:
    """Every setting of `model` back to its recipe (or quick preset)."""
    quick = bool(st.session_state.get(QUICK_KEY))
    for field, value in recipe_state(model, quick).items():
        st.session_state[_key(model, field)] = value


def quick_changed() -> None:
    """The quick toggle: every model's passes, frames, input size and batch to its preset's,
    or the recipe's."""
    quick = bool(st.session_state.get(QUICK_KEY))
    for model in list_models():
        for field in ("epochs", "limit", "size", "batch"):
            st.session_state[_key(model, field)] = recipe_state(model, quick)[field]


def apply_preprocessing(models: list[str], choice: session.PrepChoice) -> None:
    """The Preprocessing page's choice as these models' settings on the Train page."""
    p = choice.preprocessing
    values = {"size": p.size, "gray": p.gray, "flip": p.flip_right, "crop": p.crop,
              "shuffle": choice.shuffle, "balance": choice.balance}  # fmt: skip
    for model in models:
        _seed(model)
        for field, value in values.items():
            st.session_state[_key(model, field)] = value


def _seed(model: str) -> None:
    for field, value in recipe_state(model, bool(st.session_state.get(QUICK_KEY))).items():
        st.session_state.setdefault(_key(model, field), value)


def quick_toggle() -> bool:
    t = session.t
    return st.toggle(t("train.quick"), key=QUICK_KEY, on_change=quick_changed,
                     help=t("train.quick_help"), **KEEP)  # fmt: skip


def settings(model: str, task: str) -> TrainConfig:
    """`model`'s settings as widgets (from its recipe, or what the user or the Preprocessing
    page set), the resolved configuration they make, and a line saying how it differs."""
    t, lang = session.translator(), session.lang()
    r, k = get_recipe(model), lambda field: _key(model, field)
    _seed(model)
    if st.session_state.get(QUICK_KEY):
        st.caption(t(QUICK_WHY[model]))
    c = st.columns(5)
    epochs = c[0].number_input(t("train.epochs"), 1, 1000, key=k("epochs"), **KEEP)
    batch = c[1].number_input(t("train.batch_size"), 1, 4096, key=k("batch"), **KEEP)
    lr = c[2].selectbox(t("train.learning_rate"), RATES, format_func="{:g}".format,
                        key=k("lr"), **KEEP)  # fmt: skip
    limit = c[3].number_input(t("train.limit"), 16, 1_000_000, key=k("limit"),
                              placeholder=t("train.all_frames_placeholder"), **KEEP)  # fmt: skip
    seed = c[4].number_input(t("train.seed"), 0, 2**31 - 1, key=k("seed"), **KEEP)
    c = st.columns(5)
    size = c[0].number_input(t("train.size"), r.min_input_size, 512, key=k("size"), **KEEP)
    momentum = None
    if r.optimizer == "sgd":  # plain SGD (0) is one of the experiments
        momentum = c[0].selectbox(t("train.momentum"), MOMENTA, key=k("momentum"), **KEEP)
    gray = c[1].toggle(t("preprocessing.gray"), key=k("gray"), **KEEP)
    flip = c[1].toggle(t("train.flip"), key=k("flip"), help=t("preprocessing.flip_help"), **KEEP)
    crop = c[2].toggle(t("train.crop"), key=k("crop"), help=t("train.crop_help"), **KEEP)
    shuffle = c[2].toggle(t("preprocessing.shuffle"), key=k("shuffle"), **KEEP)

    def named(term):
        return lambda value: name(term(value), lang)

    balance = session.localized(c[3].selectbox, t("train.balance"), list(Balance),
                                key=k("balance"), format_func=named(Balance))  # fmt: skip
    precision = session.localized(c[3].selectbox, t("train.precision"), list(Precision),
                                  key=k("precision"), help=t("train.precision_help"),
                                  format_func=named(Precision))  # fmt: skip
    validation = session.localized(c[4].selectbox, t("train.validation"), list(Validation),
                                   key=k("validation"), help=t("train.validation_help"),
                                   format_func=named(Validation))  # fmt: skip
    config = TrainConfig(
        model=model, task=task, epochs=epochs, batch_size=batch, learning_rate=lr,
        momentum=momentum, size=size, gray=gray, flip_right=flip, crop=crop, balance=balance,
        shuffle=shuffle, limit=limit, validation=VALIDATIONS[Validation(validation)], seed=seed,
        precision=precision,
    ).resolved()  # fmt: skip
    tip = t("train.reset_help", model=model_name(model, lang))
    c[4].button(t("train.reset"), key=k("reset"), on_click=reset, args=(model,), help=tip,
                icon=":material/restart_alt:")  # fmt: skip
    st.markdown(t("train.this_run", label=config_label(config, lang)))
    st.caption(recipe_summary(config, lang))
    return config


def _apply(choice: session.PrepChoice) -> None:
    target = st.session_state["prep_apply_to"]
    models = list_models() if target == ALL else [target]
    apply_preprocessing(models, choice)
    st.session_state["prep_applied"] = (models, choice)


def apply_ui(choice: session.PrepChoice) -> None:
    """The Preprocessing page's choice applied to one model or all, saying plainly which
    and what."""
    t, lang = session.translator(), session.lang()
    a, b = st.columns([2, 1], vertical_alignment="bottom")
    session.localized(a.selectbox, t("preprocessing.apply_to"), [ALL, *list_models()],
                      key="prep_apply_to", format_func=lambda m: t("preprocessing.apply_all")
                      if m == ALL else model_name(m, lang))  # fmt: skip
    b.button(t("preprocessing.apply"), on_click=_apply, args=(choice,), icon=":material/done_all:")
    applied = st.session_state.get("prep_applied")
    if applied:
        models, done = applied
        names = t("compare.list_separator").join(model_name(m, lang) for m in models)
        st.success(t("preprocessing.applied", models=names,
                     settings=preprocessing_summary(done.preprocessing, lang),
                     balance=name(done.balance, lang)))  # fmt: skip
        st.page_link("pages/3_Train.py", label=t("preprocessing.go_train"),
                     icon=":material/model_training:")  # fmt: skip
