"""The reader's choices, kept in Streamlit's session state: language, data source and task
(the sidebar), and the Preprocessing page's choices that the Train page starts from."""

from __future__ import annotations

import errno
import functools
import os
import re
from dataclasses import dataclass, field

import streamlit as st

from handclf_core import i18n
from handclf_core.data.images import Preprocessing
from handclf_core.i18n import name
from handclf_core.runs.config import TrainConfig
from handclf_core.vocab import TASKS, Balance, Task

# The sidebar widgets' keys: the choices every page reads.
DATA_KEY, SUBSET_KEY, TASK_KEY = "data_spec", "data_subset", "task"
PRESENT_KEY = "present"
# The language is plain session state, which the sidebar's switch (its own widget key) sets
# in a callback: a widget whose value code sets before it is drawn loses it in the browser
# on the next page switch.
LANG_KEY, LANG_SWITCH_KEY = "lang", "lang_switch"
PREP_KEY = "prep_choice"


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


def explain(error: Exception | str) -> str:
    """A user's error as the reader reads it: its catalogue explanation in their language
    when it names one (`HandCamError.key`), else `unexplained`."""
    key = getattr(error, "key", None)
    return t(key, **error.fields) if key else unexplained(error)


def unexplained(error: Exception | str) -> str:
    """An error without a catalogue key, as the reader reads it: a system's refusal
    (OSError) by its kind; a line the core wrote (a job's error, read back from the job
    board) in the words of the catalogue explanation whose English it is; else the line
    itself in English, and in another language a translated line that still names the
    file it is about (a Python message is never shown to a reader of another language)."""
    if isinstance(error, OSError):
        key = _OS_KEYS.get(error.errno, i18n.N_("error.os.other"))
        return t(key, path=error.filename or "", code=error.errno or 0)
    line = str(error)
    found = recognised(line)
    if found is not None:
        return t(found[0], **found[1])
    if lang() == i18n.DEFAULT_LANGUAGE:
        return line
    head, colon, _ = line.partition(": ")
    if colon and _PATH.fullmatch(head):
        return t("error.unexplained_file", path=head)
    return t("error.unexplained")


# What a core error's line starts with when it names a file: "PATH: expected ...". A path
# from the root or home (spaces and all), or a word with a slash or a file suffix in it
# ("notes.png", "frames.zip:train/house/1/Lhand/Image1.png"); not "input size".
_PATH = re.compile(r"(?:[/~\\]|[A-Za-z]:[/\\]).*|\S*(?:[/\\]|\.\w{1,5}\b)\S*")


_OS_KEYS = {
    errno.ENOENT: i18n.N_("error.os.missing"),
    errno.EACCES: i18n.N_("error.os.denied"),
    errno.EPERM: i18n.N_("error.os.denied"),
}


def recognised(line: str) -> tuple[str, dict] | None:
    """(key, fields) of the catalogue explanation whose English text is `line` exactly,
    fields read back from it; None for a line no explanation writes. A job of the server
    fails in the training process, and its error comes back as that line alone."""
    for pattern, key, numbers in _explanations():
        m = pattern.fullmatch(line)
        if m:
            fields = m.groupdict()
            try:  # "{limit:,}" was written "67,108,864"
                fields |= {name: int(fields[name].replace(",", "")) for name in numbers}
            except ValueError:
                continue  # not this explanation's number: another one's words
            return key, fields
    return None


@functools.cache
def _explanations() -> list[tuple[re.Pattern, str, tuple[str, ...]]]:
    """Every English error explanation (keys "error.*") as a pattern of its fields, the
    longest text first (the most specific wins)."""
    found = []
    for key, text in i18n.read_catalogue(i18n.DEFAULT_LANGUAGE).items():
        if not key.startswith("error.") or not isinstance(text, str):
            continue
        pattern, names, numbers, at = "", set(), [], 0
        for m in re.finditer(r"\{(\w+)(:[^{}]*)?\}", text):
            pattern += re.escape(text[at : m.start()])
            name = m.group(1)
            pattern += f"(?P={name})" if name in names else f"(?P<{name}>.+?)"
            names.add(name)
            if m.group(2):
                numbers.append(name)
            at = m.end()
        pattern += re.escape(text[at:])
        literal = len(re.sub(r"\{[^{}]*\}", "", text))
        found.append((literal, re.compile(pattern, re.S), key, tuple(numbers)))
    found.sort(key=lambda f: -f[0])
    return [f[1:] for f in found]


def tn(key: str, count: int, **values) -> str:
    """The form of plural catalogue `key` for `count` ("1 run", "3 runs") in the chosen
    language, `count` and `values` filled in."""
    return i18n.translate_count(lang(), key, count, **values)


def translator():
    """`t` bound to the language chosen now: for format_func callbacks, which Streamlit (and
    AppTest) may call outside the script run, where the session's choice is out of reach.
    Pages start with `t = session.translator()`."""
    return i18n.translator(lang())


def class_name(task: str, name: str) -> str:
    """A class as the chosen language names it, the dataset's id name kept beside it."""
    return i18n.class_name(lang(), task, name)


def localized(widget, label: str, options, *, key: str, format_func, default=None, **kw):
    """A choice widget (selectbox, radio, multiselect) whose option labels follow the
    language and whose choice survives a language switch and a visit to another page.

    A widget keeps the option labels it was first drawn with (seen in the browser: a
    switch to 繁體中文 left them English), so the widget is keyed by `key` and the
    language; the choice itself is plain session state under `key`, which the widget
    starts from. `widget` may be a column's or the sidebar's (`c1.selectbox`)."""
    options = list(options)
    value = st.session_state.get(key, default)
    many = getattr(widget, "__name__", "") == "multiselect"
    value = [v for v in (value or []) if v in options] if many else value
    shown, synced = f"{key}.{lang()}", f"{key}.synced"
    if shown in st.session_state:  # drawn before: has code changed the choice since?
        changed = st.session_state.get(synced, value) != value
        if changed and (many or value in options):
            st.session_state[shown] = value
    elif many:
        kw["default"] = value
    else:
        kw["index"] = options.index(value) if value in options else 0
    chosen = widget(label, options, key=shown, format_func=format_func, **kw)
    st.session_state[key] = st.session_state[synced] = chosen
    return chosen


def sidebar() -> None:
    """The data source and task controls. Drawn once, by the entrypoint, around every page:
    widgets of the entrypoint keep their state as the user moves between pages."""
    # Defaults go in as the widgets' own (a value set in session state before a widget is
    # first drawn is lost by the browser on the next page switch); "obj" is the first task.
    first = {} if DATA_KEY in st.session_state else {"value": os.environ.get("HANDCAM_DATA", "")}
    t, language = translator(), lang()
    with st.sidebar:
        # Labelled in both languages: whoever cannot read the current one finds the switch.
        st.selectbox(
            "Language · 語言",
            list(i18n.LANGUAGES),
            index=list(i18n.LANGUAGES).index(language),
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
        st.toggle(t("sidebar.subset"), key=SUBSET_KEY, help=t("sidebar.subset_help"))
        st.toggle(t("sidebar.present"), key=PRESENT_KEY, help=t("sidebar.present_help"))
        localized(
            st.selectbox, t("sidebar.task"), TASKS, key=TASK_KEY, default=Task.OBJ,
            format_func=lambda choice: f"{choice}: {name(Task(choice), language)}",
        )  # fmt: skip


def data_spec() -> str:
    """The dataset the sidebar names ("" for the built-in sample); the default when a page
    runs alone."""
    spec = st.session_state.get(DATA_KEY, os.environ.get("HANDCAM_DATA", "")) or ""
    return spec.strip()


def presenting() -> bool:
    """Whether the sidebar's presentation mode (type for a projector) is on."""
    return bool(st.session_state.get(PRESENT_KEY, False))


# Presentation mode: Streamlit sizes its type in rem, so a larger root size scales every
# text, heading, metric and widget label at once; charts take theirs from widgets.chart.
# The sidebar grows with it (its px width cut the task's name in zh-TW); code (the models'
# ids) is no smaller than a desk's body text (Streamlit's 0.75em left it at 15.75 px).
PRESENTATION_CSS = """<style>
html { font-size: 21px; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stCaptionContainer"] { font-size: 1.05rem; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p
{ font-size: 2.25rem; line-height: 1.25; }
[data-testid="stMetricDelta"] [data-testid="stMarkdownContainer"] p { font-size: 0.95rem; }
[data-testid="stMarkdownContainer"] code { font-size: 0.9em; }
[data-testid="stSidebar"][data-collapsed="false"]
{ width: 20rem !important; min-width: 20rem !important; }
</style>"""


# Always: a metric's or a widget's label wraps rather than ending in "…" or being clipped (a
# long zh-TW label in a row of five figures was cut: 「永遠回答「空手 free」的…」; a toggle's
# label lost its last letters on a projector), and so does a button's or a page link's in a
# narrow column; a multiselect shows every chip it holds (past
# about five rows Streamlit's box scrolled: the runs shown on Compare, after the grid).
BASE_CSS = (
    """<style>
[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] div,
[data-testid="stWidgetLabel"] p, [data-testid="stWidgetLabel"] [data-testid="stMarkdownContainer"],
[data-testid="stPageLink"] a *, [data-testid="stButton"] button *,
[data-testid="stDownloadButton"] button *
{ white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stMultiSelect"] div { max-height: none !important; }
"""
    + """
/* Narrow rooms (a projector's 1280 px beside the open sidebar): a row of columns wraps
   rather than squeezing each column under what its content needs. Streamlit's rows already
   wrap (flex-wrap) but let a column shrink to nothing; a minimum width in rem grows with
   presentation mode's type, so the layout gives way, never the words. A column of select
   boxes needs room for its choice, one of a chart for its bars and names. */
[data-testid="stHorizontalBlock"] > [data-testid="stColumn"]
{ min-width: min(100%, 9rem) !important; }
[data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:has([data-testid="stSelectbox"],
  [data-testid="stNumberInput"], [data-testid="stTextInput"], [data-testid="stButton"])
{ min-width: min(100%, 13rem) !important; }
[data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:has([data-testid="stVegaLiteChart"])
{ min-width: min(100%, 18rem) !important; }
/* A headline figure ("501.8 MB" in 2.25rem type) and a heat map of class names beside its
   cells (st.container(key="wide-…")) need wider columns. */
[data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:has([data-testid="stMetric"])
{ min-width: min(100%, 11rem) !important; }
[data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:has([class*="st-key-wide-"])
{ min-width: min(100%, 26rem) !important; }
/* A multiselect's chip holds its whole name, on lines (it was cut at the box's width). */
[data-testid="stMultiSelect"] [data-tag], [data-testid="stMultiSelect"] [data-tag] span[title]
{ height: auto !important; white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; }
/* The main column, a container its tables ask about (app.tables: cards when narrow). */
[data-testid="stMainBlockContainer"] { container: main / inline-size; }
/* Narrow rooms give the page's width to its content, not to margins. */
@media (max-width: 1440px) {
[data-testid="stMainBlockContainer"]
{ padding-left: 2rem !important; padding-right: 2rem !important; }
}
@media (max-height: 900px) {
[data-testid="stMainBlockContainer"] { padding-top: 3rem !important; }
}
/* A phone's screen: pictures shrink to their column (Predict's is 480 px wide). */
@media (max-width: 640px) {
[data-testid="stMainBlockContainer"]
{ padding-left: 1rem !important; padding-right: 1rem !important; }
[data-testid="stImage"], [data-testid="stImageContainer"], [data-testid="stImageCaption"]
{ max-width: 100% !important; }
[data-testid="stImageContainer"] img { max-width: 100% !important; height: auto !important; }
}
</style>"""
)


def style() -> None:
    """The page's type for the room: drawn by the entrypoint on every run."""
    st.html(BASE_CSS + (PRESENTATION_CSS if presenting() else ""))


def subset() -> bool:
    """Whether the reader asked to read a dataset with recordings missing."""
    return bool(st.session_state.get(SUBSET_KEY, False))


def task() -> Task:
    """The task chosen in the sidebar; obj when a page runs alone."""
    return Task(st.session_state.get(TASK_KEY, Task.OBJ))


@dataclass(frozen=True)
class PrepChoice:
    """What the Preprocessing page chose for training; the defaults are the core's own."""

    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    shuffle: bool = TrainConfig.shuffle
    balance: Balance = TrainConfig.balance


def prep_choice() -> PrepChoice:
    """The Preprocessing page's last choice (the defaults before any)."""
    return st.session_state.get(PREP_KEY) or PrepChoice()


def set_prep_choice(choice: PrepChoice) -> None:
    st.session_state[PREP_KEY] = choice
