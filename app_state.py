"""The app's shared state: the sidebar's choices and every Streamlit cache, in one place.

Pages import this module, never `st.cache_*` themselves; `handclf_core` never imports
Streamlit. Nothing here imports TensorFlow: the pages that browse data stay fast, and the
pages that train or predict import it through `handclf_core.train` / `handclf_core.predict`.
"""

from __future__ import annotations

import os

import streamlit as st

from handclf_core import i18n
from handclf_core.config import CLASSES, TASKS
from handclf_core.errors import HandCamError
from handclf_core.i18n import N_

# The sidebar widgets' keys: the choices every page reads.
DATA_KEY, TASK_KEY = "data_spec", "task"
# The language is plain session state, which the sidebar's switch (its own widget key) sets
# in a callback: a widget whose value code sets before it is drawn loses it in the browser
# on the next page switch.
LANG_KEY, LANG_SWITCH_KEY = "lang", "lang_switch"
TASK_LABELS = {"obj": N_("task.obj"), "ges": N_("task.ges"), "FA": N_("task.FA")}


def lang() -> str:
    """The language chosen in the sidebar ("en" or "zh_TW"); at first the browser's."""
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = i18n.language_from_locale(st.context.locale)
    return st.session_state[LANG_KEY]


def _language_switched() -> None:
    st.session_state[LANG_KEY] = st.session_state[LANG_SWITCH_KEY]


def t(key: str, **values) -> str:
    """The text of catalogue `key` in the chosen language, `values` filled in."""
    return i18n.translate(lang(), key, **values)


def translator():
    """`t` bound to the language chosen now: for format_func callbacks, which Streamlit (and
    AppTest) may call outside the script run, where the session's choice is out of reach.
    Pages start with `t = app_state.translator()`."""
    return i18n.translator(lang())


def class_name(task: str, name: str) -> str:
    """A class as the chosen language names it, the dataset's id name kept beside it."""
    return i18n.class_name(lang(), task, name)


@st.cache_resource(show_spinner=False)
def _dataset(spec: str):
    from handclf_core.dataset import load_dataset

    return load_dataset(spec or None)


@st.cache_data(show_spinner=False)
def dataset_stats(spec: str, identity: str, task: str) -> dict:
    """Statistics of the chosen dataset and task (`identity` keys the cache on content)."""
    from handclf_core.stats import dataset_stats as compute

    return compute(_dataset(spec), task)


def sidebar() -> None:
    """The data source and task controls. Drawn once, by the entrypoint, around every page:
    widgets of the entrypoint keep their state as the user moves between pages."""
    # Defaults go in as the widgets' own (a value set in session state before a widget is
    # first drawn is lost by the browser on the next page switch); "obj" is the first task.
    first = {} if DATA_KEY in st.session_state else {"value": os.environ.get("HANDCAM_DATA", "")}
    t = translator()
    with st.sidebar:
        # Labelled in both languages: whoever cannot read the current one finds the switch.
        st.selectbox(
            "Language · 語言",
            list(i18n.LANGUAGES),
            index=list(i18n.LANGUAGES).index(lang()),
            format_func=i18n.LANGUAGES.get,
            key=LANG_SWITCH_KEY,
            on_change=_language_switched,
        )
        st.text_input(
            t("sidebar.data"),
            key=DATA_KEY,
            placeholder=t("sidebar.data_placeholder"),
            help=t("sidebar.data_help"),
            **first,
        )
        st.selectbox(
            t("sidebar.task"),
            TASKS,
            key=TASK_KEY,
            format_func=lambda task: f"{task}: {t(TASK_LABELS[task])}",
        )


def choices() -> tuple[str, str]:
    """(dataset spec, task) as chosen in the sidebar; defaults when a page runs alone."""
    spec = st.session_state.get(DATA_KEY, os.environ.get("HANDCAM_DATA", "")) or ""
    return spec.strip(), st.session_state.get(TASK_KEY, "obj")


def current_dataset():
    """The dataset the sidebar names, generating the built-in sample on first use with a
    progress bar; on a bad path, a message saying what to do, and the page stops."""
    spec, _ = choices()
    bar = st.empty()
    try:
        if not spec:
            from handclf_core.sample import default_sample_dir

            if not default_sample_dir().exists():
                progress = bar.progress(0.0, text=t("data.generating_sample"))

                from handclf_core.sample import ensure_sample

                ensure_sample(progress=lambda d, n: progress.progress(d / n, text=f"{d}/{n}"))
        ds = _dataset(spec)
    except HandCamError as e:
        st.error(t("data.unreadable", error=e))
        st.info(t("data.unreadable_next"))
        st.stop()
    finally:
        bar.empty()
    if ds.is_sample:
        st.caption(t("data.sample_caption"))
    return ds


def class_names(task: str) -> tuple[str, ...]:
    return CLASSES[task]


# --- Compare / Predict pages ---


def require_runs(ds, task: str) -> list[dict]:
    """The stored runs of this dataset and task, newest first; without any, a pointer to
    the Train page and the page stops. Not cached: reading a few run.json files takes
    milliseconds, and a run trained a moment ago must appear at once."""
    from handclf_core.runs import list_runs

    runs = list_runs(ds.identity, task)
    if not runs:
        st.info(t("runs.none", task=task))
        st.page_link("pages/3_Train.py", label=t("runs.go_train"), icon="🏋️")
        st.stop()
    return runs


def classify(data: bytes, name: str, runs: list[dict], hand: str):
    """Decode a picture once and classify it with every run: (RGB PIL image, one
    `predict` result per run). Raises HandCamError, with a message naming the file, for
    empty, non-image, truncated or corrupt data. Each model is loaded once per process
    (`handclf_core.predict` keeps them), so later pictures cost only the forward pass."""
    from handclf_core.images import decode_image
    from handclf_core.predict import predict

    picture = decode_image(data, name)
    return picture, [predict(picture, run, hand=hand, top=5, name=name) for run in runs]


# --- Dataset / Preprocessing pages ---
# The Preprocessing page's choices, which the Train page takes as its defaults: a plain dict
# in st.session_state[PREP_KEY], {"size": int, "gray": bool, "flip_right": bool, "crop": bool,
# "shuffle": bool, "balance": "none" | "class_weight" | "oversample"}. Read it with
# `prep_choices()`. Functions below take the dataset as `_ds` (not hashed by Streamlit) and
# key their cache on `identity`, its content hash: no second load of the dataset.
PREP_KEY = "prep_choices"
PREP_DEFAULTS = {
    "size": 32,  # cnn_basic's input side
    "gray": False,
    "flip_right": False,
    "crop": False,  # squash the 16:9 frame, as the assignment did
    "shuffle": True,
    "balance": "none",  # the assignment trained on the frames as they come
}


def prep_choices() -> dict:
    """The preprocessing chosen on the Preprocessing page (a fresh dict, safe to change),
    with PREP_DEFAULTS for anything not chosen: 32x32 RGB, squashed, no mirroring, shuffled,
    no class balancing."""
    chosen = st.session_state.get(PREP_KEY) or {}
    return {k: chosen.get(k, default) for k, default in PREP_DEFAULTS.items()}


def set_prep_choices(choices: dict) -> None:
    """Store the Preprocessing page's choices (only the PREP_DEFAULTS keys) for the Train page."""
    st.session_state[PREP_KEY] = {k: choices[k] for k in PREP_DEFAULTS}


@st.cache_data(show_spinner=False)
def recordings(_ds, identity: str) -> list[str]:
    """Every recording of the hand frames as "split/scene/N", in dataset order."""
    hands = _ds.hand_frames()
    keys = hands[["split", "scene", "recording"]].drop_duplicates()
    return [f"{s}/{sc}/{r}" for s, sc, r in keys.itertuples(index=False)]


@st.cache_data(show_spinner=False)
def label_segments(_ds, identity: str, task: str, recording: str, lang: str = "en"):
    """Runs of equal `task` labels of both hands in one "split/scene/N" recording, the hands
    and classes named in `lang`."""
    from handclf_core.charts import label_segments as segments

    split, scene, number = recording.split("/")
    hands = _ds.hand_frames()
    rows = hands[(hands.split == split) & (hands.scene == scene) & (hands.recording == int(number))]
    return segments(rows, task, list(CLASSES[task]), lang=lang)


@st.cache_data(show_spinner=False)
def gallery_frames(_ds, identity: str, task: str, seed: int):
    """One hand frame per class present (either split, either hand), drawn with `seed`."""
    hands = _ds.hand_frames()
    picks = hands.groupby(task, sort=True).sample(n=1, random_state=seed)
    return picks.reset_index(drop=True)


@st.cache_data(show_spinner=False)
def preview_frames(_ds, identity: str, per_hand: int = 2):
    """Training frames of each hand holding an object, evenly spaced through the split:
    real pictures on which to show what preprocessing does."""
    import pandas as pd

    hands = _ds.hand_frames()
    held = hands[(hands.split == "train") & (hands.obj != 0)]
    held = held if len(held) else hands  # a dataset where no hand holds anything
    picks = []
    for camera in ("Lhand", "Rhand"):
        part = held[held.camera == camera]
        if len(part):
            index = {(len(part) * (2 * k + 1)) // (2 * per_hand) for k in range(per_hand)}
            picks.append(part.iloc[sorted(index)])
    return pd.concat(picks).reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=256)
def base_frame(_ds, identity: str, file: str):
    """One frame decoded and reduced to the store's (227, 404, 3) uint8 resolution."""
    from handclf_core.images import decode_image, to_base

    return to_base(decode_image(_ds.read_bytes(file), f"{_ds.description}:{file}"))


@st.cache_data(show_spinner=False, max_entries=256)
def thumbnail(_ds, identity: str, file: str) -> bytes:
    """A frame as a 404x227 JPEG: cheap to send, and st.image sends bytes as they are."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(base_frame(_ds, identity, file)).save(out, format="JPEG", quality=85)
    return out.getvalue()


@st.cache_data(show_spinner=False, max_entries=256)
def preview_input(_ds, identity: str, file: str, right_hand: bool, prep, show: int = 227):
    """A frame as the model sees it with `prep` (a Preprocessing), enlarged to `show` px with
    nearest-neighbour so each input pixel stays a visible square: (show, show[, 3]) uint8."""
    import numpy as np
    from PIL import Image

    from handclf_core.images import preprocess

    x = preprocess(base_frame(_ds, identity, file), prep, right_hand=right_hand)  # (s, s, C)
    im = Image.fromarray(x[..., 0] if prep.gray else x)
    return np.asarray(im.resize((show, show), Image.Resampling.NEAREST))


def store_status(ds, prep) -> dict | None:
    """The frame store of `ds`'s hand frames: None when not built; else its frame count, build
    time and whether the inputs of `prep` are derived. Not cached: a store built a moment ago
    (here, on the Train page or by the CLI) must show at once; it reads two small files."""
    from handclf_core.store import open_store

    store = open_store(ds)
    if store is None:
        return None
    variant = store.path / "variants" / f"{prep.key}.npy"  # named by FrameStore.variant
    return {
        "frames": len(store),
        "seconds": store.meta.get("seconds"),
        "variant": variant.is_file(),
        "path": str(store.path),
    }


def build_store_with_progress(ds, prep) -> bool:
    """Build the frame store of `ds`'s hand frames (once; opened if there) and derive the
    inputs of `prep` (a Preprocessing), under a progress bar cleared however it ends. Returns
    False, with the error shown, when a frame cannot be decoded (nothing is left behind)."""
    from handclf_core.store import build_store

    bar = st.progress(0.0, text=t("store.decoding_start"))
    try:
        store, _ = build_store(
            ds,
            progress=lambda d, n: bar.progress(d / n, text=t("store.decoding", done=d, total=n)),
        )
        store.variant(
            prep,
            progress=lambda d, n: bar.progress(
                d / n, text=t("store.deriving", variant=prep.key, done=d)
            ),
        )
        return True
    except HandCamError as e:
        st.error(t("store.failed", error=e))
        return False
    finally:
        bar.empty()


# --- Train page ---
# Training runs in the background (handclf_core.jobs: one worker thread driving one training
# process), so a run goes on while the user switches pages, and a second tab sees the same job.
# TensorFlow is imported lazily, by training_device() only: the other pages stay light.


@st.cache_resource(show_spinner=False)
def training_jobs():
    """The app process's training queue (one worker, one job at a time), shared by every
    session: submitting a configuration that is queued or running returns that job."""
    from handclf_core.jobs import TrainingJobs

    return TrainingJobs()


def training_device() -> dict:
    """{"device", "backend", "gpus", "mixed_precision"}: what Keras trains on, found once."""
    with st.spinner(t("train.starting_tensorflow")):
        return _training_device()


@st.cache_resource(show_spinner=False)
def _training_device() -> dict:
    """{"device", "backend", "gpus", "mixed_precision"}: what Keras trains on, found once
    (on a GPU it also turns on memory growth, which must happen before TensorFlow uses it)."""
    from handclf_core.train import configure_device

    return configure_device()


def model_job(ds, config):
    """The job the Train page shows for `config`'s model: a queued or running job of that
    model on this dataset and task, whatever its settings (the user may have changed the
    widgets meanwhile); else the latest job of exactly this configuration; else None."""
    from handclf_core.runs import run_path

    jobs = training_jobs()
    mine = (ds.identity, config.model, config.task)
    for job in reversed(jobs.jobs()):
        if job.active and (job.dataset, job.config.model, job.config.task) == mine:
            return job
    return jobs.get(run_path(ds.identity, config).name)


def curves(history):
    """Loss and accuracy per epoch in long form (epoch, metric, split, label, value) for a
    chart, from a run's "history" ({"loss": [...], "val_loss": [...], ...}) or a job's epoch
    events; "label" is the split ("train", "validation") in the chosen language."""
    import pandas as pd

    if isinstance(history, list):  # epoch events, one dict per epoch
        history = {k: [e[k] for e in history] for k in history[0]} if history else {}
    from handclf_core.charts import split_name

    rows = [
        {"epoch": i + 1, "metric": name.removeprefix("val_"), "value": value,
         "split": "validation" if name.startswith("val_") else "train"}
        for name in ("loss", "accuracy", "val_loss", "val_accuracy")
        for i, value in enumerate(history.get(name, []))
    ]  # fmt: skip
    for row in rows:
        row["label"] = split_name(row["split"], lang())
    return pd.DataFrame(rows, columns=["epoch", "metric", "split", "label", "value"])


def result_metrics(run: dict) -> list[dict]:
    """A run's headline figures for st.metric, each with what always answering the training
    split's majority class scores on the test split (the line to beat): test accuracy,
    balanced accuracy, macro-F1; and train accuracy, shown beside the test accuracy."""
    test = run["metrics"]["test"]
    base = test["majority_baseline"]
    p = base["accuracy"]  # the majority class's share of the test frames
    in_test = {c["class_id"] for c in test["per_class"] if c["support"]}
    # The baseline predicts one class: recall 1 on it, 0 on the others, and F1 2p/(1+p) on
    # it (precision p); the averages run over the classes as evaluate_predictions takes them.
    hit = base["class_id"] in in_test
    base_balanced = 1 / len(in_test) if hit else 0.0
    base_f1 = 2 * p / (1 + p) / len(in_test) if hit else 0.0
    return [
        {"label": t("metric.test_accuracy"), "value": test["accuracy"], "baseline": p},
        {"label": t("metric.balanced_accuracy"), "value": test["balanced_accuracy"],
         "baseline": base_balanced},
        {"label": t("metric.macro_f1"), "value": test["macro_f1"], "baseline": base_f1},
        {"label": t("metric.train_accuracy"), "value": run["metrics"]["train_accuracy"],
         "test": test["accuracy"]},
    ]  # fmt: skip
