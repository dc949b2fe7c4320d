"""Widget groups the pages share: charts sized for the room, the runs and report tables,
a dataset's headline figures, and long work of the core under a progress bar that is
cleared however the work ends, its errors shown as messages."""

from __future__ import annotations

import functools

import streamlit as st

from handclf_core.views import labels
from handclf_core.views.labels import TEXT_SIZE

from . import session, tables
from .shared import shared

# Type sizes (px) of every chart: at a desk, and on a projector (presentation mode).
SIZES = {
    False: {"label": 12, "title": 13, "text": 12, "heading": 15},
    True: {"label": 18, "title": 20, "text": 17, "heading": 24},
}


# The charts' type: the browser's own sans-serif, which Vega measures (to place axis titles
# beside their labels) in the same face it draws. With the page's web font, measured before
# it had loaded, a y axis's title was drawn 2 px outside its chart (cut) and, with wider
# zh-TW labels, over them.
FONT = "sans-serif"
# Room around every chart: Vega places a rotated axis title by its font size, and the line
# it draws is a pixel or two taller, so a y axis's title at the chart's left edge was cut.
PADDING = {"left": 8, "top": 5, "right": 5, "bottom": 5}


def chart(figure, **options):
    """Draw a chart of `handclf_core.views` with the type sizes of the room: larger in
    presentation mode (the sidebar's switch). `options` go to st.altair_chart, whose
    selection event (with `on_select`) is returned."""
    return st.altair_chart(_for_room(figure, session.presenting()), **options)


def shared_chart(what: str, depends: tuple, build, **options):
    """`chart(build())`, built once per server for every reader with the same `depends`
    (everything the chart depends on but the language and the room, which are added) and
    then only sent (`app.shared`): its Vega-Lite spec kept as Streamlit sends it, its data
    already Arrow. `options` go to st.vega_lite_chart (the same element as st.altair_chart),
    whose selection event (with `on_select`) is returned."""
    room = session.presenting()
    spec = shared(f"chart.{what}", (*depends, session.lang(), room),
                  lambda: _streamlit_spec(_for_room(build(), room)))  # fmt: skip
    return st.vega_lite_chart(dict(spec), **options)  # Streamlit takes its data off a copy


def png(pixels) -> bytes:
    """An (H, W[, 3]) uint8 picture as PNG bytes (its pixels stay sharp squares), which
    st.image sends as they are: encoded once when shared, not for each reader."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _streamlit_spec(figure) -> dict:
    """The spec st.altair_chart makes of `figure` (Streamlit's own conversion: its data as
    named Arrow datasets), to be sent by st.vega_lite_chart as often as asked."""
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    return _convert_altair_to_vega_lite_spec(figure)


def _for_room(figure, presenting: bool):
    """`figure`, converted with the type sizes of the room when Streamlit asks for its spec."""
    size = SIZES[presenting]
    font = {"labelFont": FONT, "titleFont": FONT}
    sizes = {
        "axis": {"labelFontSize": size["label"], "titleFontSize": size["title"], **font},
        "legend": {"labelFontSize": size["label"], "titleFontSize": size["title"], **font},
        "header": {"labelFontSize": size["title"], "titleFontSize": size["title"], **font},
        "title": {"fontSize": size["heading"], "font": FONT},
        "text": {"fontSize": size["text"], "font": FONT},
    }
    # Streamlit converts a chart with its `to_dict()`, which validates it against
    # Vega-Lite's schema, and each `configure_*` of Altair deep-copies the chart: together
    # most of the 0.8 s a new session's Compare took here. Every chart the views draw is
    # validated by the tests (tests/test_views_charts.py), in both languages; drawn for a
    # reader, it is converted unvalidated and the sizes go into its spec's config. (Set
    # on the object itself: Altair keeps other attributes as the chart's properties.)
    room = functools.partial(
        _sized_spec, figure, sizes, size["text"], size["label"] / BASE, size["heading"]
    )
    object.__setattr__(figure, "to_dict", room)
    return figure


BASE = SIZES[False]["label"]  # the type size the views' row heights (steps) are made for


def _sized_spec(
    figure, sizes: dict, text: int, scale: float, heading: int, *args, **kwargs
) -> dict:
    """The chart's Vega-Lite spec, unvalidated, with `sizes` over its own config, its rows
    and columns of fixed step `scale` times as high and wide (a row of names holds their
    lines in the larger type), its `text_size` parameter (`views.labels.fits`) `text`, and
    its title on as many lines as its width needs in type of `heading` px."""
    spec = type(figure).to_dict(figure, *args, **{**kwargs, "validate": False})
    config = spec.setdefault("config", {})
    for part, values in sizes.items():
        config[part] = {**config.get(part, {}), **values}
    # A continuous axis's end labels ("100%") inside the chart, not half past its edge.
    config["axisQuantitative"] = {"labelFlush": True, **config.get("axisQuantitative", {})}
    spec.setdefault("padding", PADDING)
    _scale_steps(spec, scale)
    for param in spec.get("params", []):
        if param.get("name") == TEXT_SIZE.name:
            param["value"] = text
    _wrap_title(spec, heading)
    return spec


TITLE_LIMIT = 10_000  # px: no limit; the expression chose lines the container holds


def _wrap_title(spec: dict, px: int) -> None:
    """The title of a single or layered chart (one with a `width` signal: not a facet or a
    concatenation, whose titles the views keep short) broken onto lines for its width."""
    title = spec.get("title")
    if not title or any(k in spec for k in ("facet", "hconcat", "vconcat", "concat", "repeat")):
        return
    params = dict(title) if isinstance(title, dict) else {"text": title}
    if isinstance(params.get("text"), (str, list)):
        params["text"] = {"expr": labels.title_expr(params["text"], px)}
        # Framed by the whole chart, and never shortened to a width Vega took while the page
        # was still being laid out (a projector's titles ended "…" on a busy machine).
        params["frame"], params["limit"] = "bounds", TITLE_LIMIT
        spec["title"] = params


def _scale_steps(spec: dict, scale: float) -> None:
    """Every `{"step": n}` of the spec's views (not its data) `scale` times larger."""
    for key, value in spec.items():
        if key in ("width", "height") and isinstance(value, dict) and "step" in value:
            value["step"] = round(value["step"] * scale)
        elif isinstance(value, dict) and key not in ("datasets", "data", "config"):
            _scale_steps(value, scale)
        elif isinstance(value, list) and key in ("layer", "hconcat", "vconcat", "concat"):
            for part in value:
                _scale_steps(part, scale)


# Formats of the runs table's columns, by column id (keyed by their shown headers).
_PERCENT = ("test_accuracy", "majority_baseline", "balanced_accuracy", "macro_f1",
            "train_accuracy", "validation_accuracy")  # fmt: skip
_NUMBER = {
    "training_time": "{:.1f}",
    "images_per_second": "{:.0f}",
    "test_frames": "{:,}",
    "gap": "{:+.1f}",  # in points already ("+10.5"), as Compare's table shows it
}


def runs_table(runs, columns) -> None:
    """The runs as a static table of `columns` (ids of `views.runs.RUN_COLUMNS`), fractions
    as percentages, headed in the chosen language: read whole, its words wrapping to the
    page in the room's type (a grid scrolled sideways at a 1440-px desk). Made once per
    server for the same runs, columns and language (`app.shared`)."""
    from .cache import run_key

    lang, runs = session.lang(), list(runs)
    made = shared("table.runs", (run_key(runs), tuple(columns), lang),
                  lambda: _runs_table(runs, columns, lang))  # fmt: skip
    tables.whole(made, "runs-table")


def _runs_table(runs, columns, lang: str):
    from babel.numbers import format_compact_decimal

    from handclf_core.views.runs import header
    from handclf_core.views.runs import runs_table as table

    shown = table(runs, lang, columns)

    def weights(n: int) -> str:  # as people say them: 62.4M, 6237.8萬
        return format_compact_decimal(n, locale=lang, fraction_digits=1)

    formats = {c: "{:.1%}" for c in _PERCENT} | _NUMBER | {"params": weights}
    if "created" in columns:  # "2026-12-05 16:46", breakable between date and time
        shown[header("created", lang)] = [r.created[:16].replace("T", " ") for r in runs]
    present = {header(c, lang): f for c, f in formats.items() if header(c, lang) in shown}
    return _as_text(shown, present)


def _as_text(table, formats: dict):
    """`table` as the text it is read as: each column of `formats` (header -> format string
    or function) formatted, what is missing "—". Sent as it is, with no Styler to compute
    for each reader (a Styler's marshalling was a third of a new session's Compare)."""
    import pandas as pd

    shown = table.astype(object)
    for column, how in formats.items():
        shown[column] = [v if pd.isna(v) else how(v) if callable(how) else how.format(v)
                         for v in table[column]]  # fmt: skip
    return arrow(shown.where(table.notna(), "—"))


def arrow(table):
    """A table of text as Streamlit sends it (Arrow): converted once, not for each reader."""
    import pyarrow as pa

    return pa.Table.from_pandas(table.astype(str), preserve_index=False)


def report_toggle(task: str) -> bool:
    """Whether to draw the assignment report's figures beside the runs (task obj only)."""
    from handclf_core.vocab import Task

    t, obj = session.t, task == Task.OBJ
    on = st.toggle(t("compare.report_toggle"), value=obj, key="compare.report", disabled=not obj,
                   help=t("compare.report_toggle_help"))  # fmt: skip
    return on and obj


def report_table() -> None:
    """The assignment report's figures, a static table: its notes wrap instead of ending
    mid-word in a cell. Made once per server and language (`app.shared`)."""
    lang = session.lang()
    tables.whole(shared("table.report", (lang,), lambda: _report_table(lang)), "report-table")


def _report_table(lang: str):
    from handclf_core.views.runs import header, report_table

    table = report_table(lang)
    return _as_text(table, {header(c, lang): "{:.1%}" for c in ("accuracy", "baseline")})


def dataset_figures(stats: dict, task: str, *, imbalance: bool = False) -> None:
    """A dataset's headline figures in a row: training and test frames, classes, (with
    `imbalance`, the training split's imbalance,) and what always answering the majority
    class scores on the test split."""
    t = session.t
    train, test = stats["splits"]["train"], stats["splits"]["test"]
    base = stats["majority_baseline"]
    cols = iter(st.columns(5 if imbalance else 4))
    next(cols).metric(t("metric.train_frames"), f"{train['frames']:,}",
                      help=t("dataset.train_frames_help"))  # fmt: skip
    next(cols).metric(t("metric.test_frames"), f"{test['frames']:,}")
    next(cols).metric(t("metric.classes"), len(stats["classes"]))
    if imbalance:
        ratio = train["imbalance_ratio"]
        shown = f"{ratio:,.{0 if ratio >= 10 else 1}f} : 1" if ratio else "—"
        next(cols).metric(t("dataset.imbalance"), shown, help=t("dataset.imbalance_help"))
    always = t("metric.always_scores", name=session.class_name(task, base["class"]))
    next(cols).metric(always, f"{base['test_accuracy']:.1%}", help=t("metric.always_scores_help"))
