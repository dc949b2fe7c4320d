"""The settings of a run as widgets: the Train page's, every setting of a run, starting from
each model's recipe, kept in session state under `train.<model>.<field>`; and the
Preprocessing page's choice (`prep_ui`), applied to one model's settings or all
(`apply_ui`). A visit to another page keeps both."""

from __future__ import annotations

import dataclasses

import streamlit as st

from handclf_core.data.images import MAX_INPUT, MIN_INPUT, Preprocessing
from handclf_core.i18n import model_name, name
from handclf_core.models import get_recipe, list_models
from handclf_core.runs import experiments
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.experiments import QUICK_WHY, why_values
from handclf_core.training.splits import effective
from handclf_core.views.runs import config_label, preprocessing_summary, recipe_summary
from handclf_core.vocab import Balance, Precision, Validation

from . import navigation, session

RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)  # the recipes' 0.001, 1.0, 0.01 too
KEEP = {"persist_state": "session"}  # widget values survive a visit to another page
QUICK_KEY = "train.quick"
ALL = "all"  # apply to every model
MOMENTA = (0.0, 0.5, 0.9, 0.95, 0.99)  # SGD's; 0.9 is AlexNet's recipe, 0 the plain SGD


def _key(model: str, field: str) -> str:
    return f"train.{model}.{field}"


def recipe_state(model: str, quick: bool = False) -> dict:
    """Every setting of `model`'s recipe (its quick preset's when `quick`), by field: the
    resolved configuration, read nowhere else."""
    config = TrainConfig(model=model)
    c = (experiments.quick(config) if quick else config).resolved()
    return {
        "epochs": c.epochs, "batch": c.batch_size, "lr": c.learning_rate, "seed": c.seed,
        "size": c.size, "gray": c.gray, "flip": c.flip_right, "crop": c.crop,
        "shuffle": c.shuffle, "limit": c.limit, "balance": c.balance, "momentum": c.momentum,
        "validation": c.validation, "precision": c.precision,
    }  # fmt: skip


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


def settings(model: str, task: str, frames) -> TrainConfig:
    """`model`'s settings as widgets (from its recipe, or what the user or the Preprocessing
    page set), and the configuration they make on these `frames` (the dataset's hand
    frames): resolved, without a frame limit that limits nothing (`effective`), so that it
    is the run Compare will show, under the same name (`summary`)."""
    t, lang = session.translator(), session.lang()
    r, k = get_recipe(model), lambda field: _key(model, field)
    _seed(model)
    if st.session_state.get(QUICK_KEY):
        st.caption(t(QUICK_WHY[model], **why_values(model)))
    c = st.columns(5)
    epochs = c[0].number_input(t("train.epochs"), 1, 1000, key=k("epochs"), **KEEP)
    batch = c[1].number_input(t("train.batch_size"), 1, 4096, key=k("batch"), **KEEP)
    lr = c[2].selectbox(t("train.learning_rate"), RATES, format_func="{:g}".format,
                        key=k("lr"), **KEEP)  # fmt: skip
    limit = c[3].number_input(t("train.limit"), 16, 1_000_000, key=k("limit"),
                              placeholder=t("train.all_frames_placeholder"), **KEEP)  # fmt: skip
    seed = c[4].number_input(t("train.seed"), 0, 2**31 - 1, key=k("seed"), **KEEP)
    c = st.columns(5)
    size = c[0].number_input(t("train.size"), max(r.min_input_size, MIN_INPUT), MAX_INPUT,
                            key=k("size"), **KEEP)  # fmt: skip
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
        shuffle=shuffle, limit=limit, validation=validation, seed=seed,
        precision=precision,
    ).resolved()  # fmt: skip
    tip = t("train.reset_help", model=model_name(model, lang))
    c[4].button(t("train.reset"), key=k("reset"), on_click=reset, args=(model,), help=tip,
                icon=":material/restart_alt:")  # fmt: skip
    return effective(config, frames)


def summary(config: TrainConfig) -> None:
    """The run a configuration makes, named as every page names it, and its recipe in a
    line."""
    lang = session.lang()
    st.markdown(session.t("train.this_run", label=config_label(config, lang)))
    st.caption(recipe_summary(config, lang))


# The Preprocessing page's sizes: each model's recipe's (32: cnn_basic, 28: mnist, ...).
SIZES = {get_recipe(m).input_size: m for m in list_models()}


def prep_ui() -> session.PrepChoice:
    """The choices, seeded from the last ones: widget state is dropped on leaving a page."""
    t, lang = session.translator(), session.lang()
    last = session.prep_choice()
    p = last.preprocessing if last.preprocessing.size in SIZES else Preprocessing()
    seeds = {"gray": p.gray, "flip_right": p.flip_right, "shuffle": last.shuffle}
    for key, value in seeds.items():
        st.session_state.setdefault(f"prep_{key}", value)
    a, b, c = st.columns(3)
    size = session.localized(a.radio, t("preprocessing.size"), list(SIZES), key="prep_size",
                             default=p.size, format_func=lambda s: t("preprocessing.size_option",
                             size=s, model=model_name(SIZES[s], lang)))  # fmt: skip
    crop = session.localized(a.radio, t("preprocessing.crop"), [False, True], key="prep_crop",
                             default=p.crop, format_func=lambda c: t("preprocessing.crop.centre")
                             if c else t("preprocessing.crop.squash"))  # fmt: skip
    gray = b.toggle(t("preprocessing.gray"), key="prep_gray", help=t("preprocessing.gray_help"))
    flip = b.toggle(
        t("preprocessing.flip"), key="prep_flip_right", help=t("preprocessing.flip_help")
    )
    shuffle = b.toggle(t("preprocessing.shuffle"), key="prep_shuffle")
    balance = session.localized(c.radio, t("preprocessing.balance"), list(Balance),
                                key="prep_balance", default=last.balance,
                                format_func=lambda b: name(Balance(b), lang),
                                help=t("preprocessing.balance_help"))  # fmt: skip
    return session.PrepChoice(Preprocessing(size, gray, flip, crop), shuffle, Balance(balance))


def unapplied() -> None:
    """On the Train page: the Preprocessing page's last choice, when it is not the default
    and was never applied, said above the settings, with the way back (a teacher who
    toggles everything there and comes here would otherwise train the recipes unawares)."""
    choice = st.session_state.get(session.PREP_KEY)
    applied = st.session_state.get("prep_applied")
    if choice is None or choice == session.PrepChoice() or (applied and applied[1] == choice):
        return
    t, lang = session.translator(), session.lang()
    text = t(
        "train.prep_not_applied",
        settings=preprocessing_summary(choice.preprocessing, lang),
        balance=name(choice.balance, lang),
        apply=t("preprocessing.apply"),  # the button's own word there
    )
    st.warning(text, icon=":material/tune:")
    st.page_link(navigation.PREPROCESSING, label=t("train.go_apply"), icon=":material/tune:")


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
        st.page_link(navigation.TRAIN, label=t("preprocessing.go_train"),
                     icon=":material/model_training:")  # fmt: skip


SEEDS = (1, 3, 5)  # how many seeds a setting is trained with: one run each


def seeds_choice(key: str) -> int:
    """How many seeds to train a setting with (the seed above, and the next ones)."""
    t = session.t
    return st.radio(t("train.seeds"), SEEDS, key=key, horizontal=True,
                    help=t("train.seeds_help"))  # fmt: skip


def with_seeds(config: TrainConfig, seeds: int) -> list[TrainConfig]:
    """`config` with `seeds` seeds in a row, from its own: each is its own stored run."""
    return [dataclasses.replace(config, seed=config.seed + i) for i in range(seeds)]
