"""The Predict page's parts: a frame of the dataset picked by filters; the heat-map switch;
the doubts about the picture, once for every model; the answer of one run (which run and
why, what the model saw, the top classes as bars beside the majority class's share, its own
doubt, the details); inside the first layers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import streamlit as st

from handclf_core.data.images import enlarged
from handclf_core.data.layout import HAND_CAMERAS, SPLITS
from handclf_core.errors import HandCamError
from handclf_core.i18n import N_, model_name, name
from handclf_core.inside.doubts import doubts, unlike, usual_looks
from handclf_core.inside.predict import model_input
from handclf_core.runs.folders import default_per_model
from handclf_core.views.prediction import top_chart
from handclf_core.views.runs import config_label, frequencies_only, preprocessing_summary
from handclf_core.vocab import CLASSES, Camera, Doubt, PictureSource, Split

from . import cache, inference, session, widgets
from .shared import shared

SEEN = 160  # px: the model's input enlarged, each pixel a visible square
ANY = "any"  # a filter left open
# The switch's value is kept in plain session state, and the switch is drawn from it: a
# widget left undrawn while no picture is there (a source switched to the camera or an
# upload) keeps its value on the server, while the browser draws it anew, off.
HEAT_KEY, HEAT_SWITCH_KEY = "predict.heat.on", "predict.heat"
PICTURE_DOUBTS = (Doubt.SMALL, Doubt.ASPECT)  # of the picture: said once, not per model
UNLIKE = {  # each measure of `inside.doubts.unlike`, in a sentence
    "contrast": N_("predict.unlike.contrast"),
    "detail": N_("predict.unlike.detail"),
    "colours": N_("predict.unlike.colours"),
    "colour": N_("predict.unlike.colour"),
}


def frame_ui(ds, task: str) -> pd.Series:
    """Split, recording, camera and class filters, then a slider over the matching frames."""
    t, lang = session.translator(), session.lang()
    frames = ds.hand_frames()
    c1, c2, c3, c4 = st.columns(4)
    split = session.localized(c1.selectbox, t("predict.split"), SPLITS, default=Split.TEST,
                              format_func=lambda s: name(Split(s), lang),
                              key="predict.split")  # fmt: skip
    frames = frames[frames.split == split]
    where = frames.scene + "/" + frames.recording.astype(str)  # "house/1"
    recording = session.localized(
        c2.selectbox, t("predict.recording"), [ANY, *dict.fromkeys(where)],
        key="predict.recording", format_func=lambda r: t("predict.any") if r == ANY else r,
    )  # fmt: skip
    if recording != ANY:
        frames = frames[where == recording]
    camera = session.localized(c3.selectbox, t("predict.camera"), HAND_CAMERAS,
                               key="predict.camera",
                               format_func=lambda c: name(Camera(c).hand, lang))  # fmt: skip
    frames = frames[frames.camera == camera]
    names = CLASSES[task]
    wanted = session.localized(
        c4.selectbox, t("predict.class_held"), [ANY, *sorted(set(frames[task].tolist()))],
        key="predict.class",
        format_func=lambda c: t("predict.any") if c == ANY else session.class_name(task, names[c]),
    )  # fmt: skip
    if wanted != ANY:
        frames = frames[frames[task] == wanted]
    if len(frames) > 1:
        i = st.slider(t("predict.frame", count=len(frames)), 1, len(frames), 1, key="predict.frame")
        return frames.iloc[i - 1]
    return frames.iloc[0]


def _heat_switched() -> None:
    st.session_state[HEAT_KEY] = st.session_state[HEAT_SWITCH_KEY]


def heat_ui() -> bool:
    """Whether the heat maps are drawn: the switch, which always shows what is drawn."""
    t = session.translator()
    return st.toggle(
        t("predict.heat"),
        value=st.session_state.get(HEAT_KEY, False),
        key=HEAT_SWITCH_KEY,
        on_change=_heat_switched,
        help=t("predict.heat_help"),
    )


def picture_doubts(picture, runs, ds) -> None:
    """What makes every model's answer about this picture mean little, in one box: a look
    unlike every training frame's, a size under some models' input, a shape far from 16:9."""
    t, lang = session.translator(), session.lang()
    width, height = picture.size
    try:
        with st.spinner(t("predict.measuring")):
            usual = usual_looks(ds.identity, ds)
    except (HandCamError, OSError):  # a frame that cannot be read: no measure to doubt by
        usual = None
    said = []
    odd = unlike(picture, usual)
    if odd is not None:
        said.append(t(UNLIKE[odd.measure], value=odd.value, low=odd.low, high=odd.high))
    small = [r for r in runs if Doubt.SMALL in doubts(picture, r, PictureSource.FRAME)]
    if small:
        inputs = [(model_name(r.model, lang), r.preprocessing.size) for r in small]
        models = t("predict.separator").join(
            t("predict.input_of", model=m, size=size) for m, size in dict.fromkeys(inputs)
        )
        said.append(t("predict.small", width=width, height=height, models=models))
    if runs and Doubt.ASPECT in doubts(picture, runs[0], PictureSource.FRAME):
        said.append(name(Doubt.ASPECT, lang, width=width, height=height))
    if said:
        st.warning("\n\n".join(said), icon=":material/help:")


def _is_recipe(config) -> bool:
    # As `runs.folders.default_per_model` reads it: the recipe, whatever its seed and precision.
    recipe = dataclasses.replace(config.recipe(), seed=config.seed, precision=config.precision)
    return config == recipe


def why_this_run(run, stored) -> None:
    """Why a model's column shows this run when the reader chose none: a run of another
    seed than the recipe's, or no run of its recipe at all (its best stored run instead)."""
    if run.name not in {r.name for r in default_per_model(stored)}:
        return  # a run the reader chose: its name above says which
    t, c = session.translator(), run.config
    if not _is_recipe(c):
        st.caption(t("predict.not_recipe", accuracy=run.test.accuracy))
    elif c.seed != c.recipe().seed:
        st.caption(t("predict.other_seed", seed=c.seed, recipe_seed=c.recipe().seed))


def heat(run, result, picture, hand) -> None:
    """Where the model looks for its top class: the occlusion map over the picture."""
    from handclf_core.inside.explain import on_frame

    t = session.t
    top = run.classes.index(result.top[0].name)
    h = inference.occlusion(run, picture, hand, top)
    shown = session.class_name(run.task, result.top[0].name)
    st.image(on_frame(picture, h, run.preprocessing, hand), width="stretch",
             caption=t("predict.heat_caption", name=shown, ms=h.seconds * 1000))  # fmt: skip


def header(run, stored) -> None:
    """A run's name above its answer, and why it is this run: drawn in the answer's column
    before the answer is computed (in a narrow room the columns wrap, each with its name)."""
    lang = session.lang()
    st.subheader(model_name(run.model, lang))
    st.caption(config_label(run.config, lang))
    why_this_run(run, stored)


def answer(
    run, result, picture, hand, source, truth: str | None, looks: bool = False, ds=None
) -> None:
    t, lang, task = session.translator(), session.lang(), run.task
    seen = t("predict.sees", summary=preprocessing_summary(run.preprocessing, lang))
    # What is the same for every reader of this picture, run and hand is made once
    # (`app.shared`): a class asked to classify the same frame sends it 30 times.
    key = (run.name, run.model_sha256, inference.picture_key(picture), str(hand))
    st.image(shared("predict.seen", key, lambda: widgets.png(enlarged(model_input(
        picture, run, hand), SEEN))), width=SEEN, caption=seen)  # fmt: skip
    if looks:
        heat(run, result, picture, hand)
    widgets.shared_chart("top", (*key, truth), lambda: top_chart(result, run, lang, truth),
                         width="stretch")  # fmt: skip
    sure, floor = result.top[0].probability, cache.confidence_floor(run)
    for doubt in doubts(picture, run, source, sure, floor):
        if doubt not in PICTURE_DOUBTS:  # those are said once above (`picture_doubts`)
            st.warning(name(doubt, lang, confidence=sure, floor=floor), icon=":material/help:")
    st.caption(t("predict.caption", ms=result.milliseconds, accuracy=run.test.accuracy))
    if frequencies_only(run, cache.intervals([run], ds) if ds is not None else None):
        st.caption(t("runs.frequencies_only"))
    with st.expander(t("details.heading"), icon=":material/info:"):
        top = pd.DataFrame({"class": [r.name for r in result.top],
                            "probability": [r.probability for r in result.top]})  # fmt: skip
        if truth:
            top["true"] = top["class"].eq(truth).map({True: "✓", False: ""})
        top["class"] = [session.class_name(task, c) for c in top["class"]]
        headers = {"class": t("predict.col.class"), "probability": t("predict.col.probability"),
                   "true": t("predict.col.true")}  # fmt: skip
        progress = st.column_config.ProgressColumn(format="percent")
        st.dataframe(top.rename(columns=headers), hide_index=True,
                     column_config={headers["probability"]: progress})  # fmt: skip
        st.caption(t("details.run", name=run.name, path=run.path))


def inside(runs, picture, hand) -> None:
    """The chosen model's first filters, and what its first two convolutions make of this
    picture: "edges and colours first"."""
    from handclf_core.inside.explain import tile

    t, lang = session.translator(), session.lang()
    by_name = {r.name: r for r in runs}
    labels = {r.name: config_label(r.config, lang) for r in runs}
    chosen = session.localized(st.selectbox, t("predict.inside_run"), list(by_name),
                               key="predict.inside", format_func=labels.get)  # fmt: skip
    run = by_name[chosen]
    filters, maps_of = inference.inside(run, picture, hand)
    key = (run.name, run.model_sha256, inference.picture_key(picture), str(hand))
    k = filters.shape[1]
    st.image(shared("predict.filters", key[:2], lambda: widgets.png(tile(
        filters, columns=16, scale=max(2, 48 // k)))),
             caption=t("predict.filters", count=len(filters), size=k))  # fmt: skip
    for i, maps in enumerate(maps_of, 1):
        shown = np.moveaxis(maps[..., :32], -1, 0)  # the first 32 channels
        scale = max(1, 96 // maps.shape[0])
        tiled = shared(f"predict.maps{i}", key, lambda shown=shown, scale=scale: widgets.png(
            tile(shown, columns=16, scale=scale)))  # fmt: skip
        st.image(tiled, caption=t(
            "predict.feature_maps", layer=i, shown=len(shown), count=maps.shape[-1],
            height=maps.shape[0], width=maps.shape[1]))  # fmt: skip
