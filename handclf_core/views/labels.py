"""Names in charts — runs and classes on axes and in legends — drawn whole: broken onto
lines of at most WRAP columns instead of shortened to their limit ("thermos-b…", "AlexNet ·
validation: a random 20% of fra…", which hid the seed that told two runs apart), never
dropped when rows are close, and an axis's title set above its names instead of turned
beside them (Vega tucks a turned title against the names nearest it, over longer ones).
Rows are as tall as their names' lines."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable

import altair as alt

WRAP = 30  # columns a line of a name takes at most; a Chinese character counts two
LINE = 15  # px a line of a name takes at a desk's type size (widgets.chart scales steps)
LEGEND_WRAP = 45  # a legend's lines, under or beside its chart, have more room than an axis's


def columns(text: str) -> int:
    """How wide `text` is drawn, in columns: two for a wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def lines(text: str, width: int = WRAP) -> list[str]:
    """`text` on lines of at most `width` columns, broken at spaces (a "·" stays with the
    word after it, a number with the word before it), a word wider than a line broken where
    it must (two columns over rather than a line of a closing bracket)."""
    words = []
    for word in text.split(" "):
        if words and (words[-1] == "·" or word.isdigit()):  # "· seed", "seed 1" kept whole
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
    out: list[str] = []
    for word in words:
        while columns(word) > width + 2:  # a long word, or Chinese without spaces (a
            # closing bracket or two may run over rather than make a line of their own)
            cut = next(i for i in range(len(word), 0, -1) if columns(word[:i]) <= width)
            out.append(word[:cut])
            word = word[cut:]
        if out and columns(f"{out[-1]} {word}") <= width:
            out[-1] = f"{out[-1]} {word}"
        else:
            out.append(word)
    return out or [""]


def label_expr(names: Iterable[str], width: int = WRAP) -> str:
    """A Vega expression drawing each of `names` on its lines (a name that fits one line,
    or a value not among `names`, as it is)."""
    broken = {n: ln for n in dict.fromkeys(names) if len(ln := lines(n, width)) > 1}
    if not broken:
        return "datum.label"
    return f"{json.dumps(broken, ensure_ascii=False)}[datum.label] || datum.label"


def most_lines(names: Iterable[str], width: int = WRAP) -> int:
    return max((len(lines(n, width)) for n in names), default=1)


def step(names: Iterable[str], least: int, bars: int = 1, width: int = WRAP) -> alt.Step:
    """The height of a bar in rows of `names` (on lines of `width` columns), `bars` bars a
    row: `least` px, or more where a name takes several lines."""
    return alt.Step(max(least, -(-(LINE * most_lines(names, width) + 6) // bars)))


def axis(
    names: Iterable[str], *, title_above: bool = True, width: int = WRAP, **options
) -> alt.Axis:
    """An axis of `names`, each whole and on lines of `width` columns; with `title_above`
    (a y axis of names) its title set level above the names, ending at the axis line."""
    place = (
        {"titleAngle": 0, "titleAlign": "right", "titleAnchor": "start",
         "titleBaseline": "bottom", "titleX": 0, "titleY": -6}
        if title_above else {}
    )  # fmt: skip
    return alt.Axis(labelExpr=label_expr(names, width), labelLimit=0, labelOverlap=False,
                    **place, **options)  # fmt: skip


UNDER_WRAP = 14  # a legend under its chart: the plot beside long names may be that narrow


def legend(names: Iterable[str], width: int | None = None, **options) -> alt.Legend:
    """A legend of `names`, each whole and on lines of `width` columns (LEGEND_WRAP), one
    entry a row; under or above its chart (`orient`), on lines of UNDER_WRAP columns unless
    `width` says otherwise: it starts at the plot's left edge, which names beside it push
    right (on a phone, or a projector beside the open sidebar, longer lines ran past the
    chart's edge). Vega lays out a legend's entries once: lines chosen by the chart's width
    overlapped the next entry; and a chart of fixed height cuts the last lines of a legend
    of many names on several lines (the PR curves' keeps its own, shorter, on one)."""
    options.setdefault("direction", "vertical")
    if width is None:
        width = UNDER_WRAP if options.get("orient") in ("bottom", "top") else LEGEND_WRAP
    expr = label_expr(names, width)
    return alt.Legend(labelExpr=expr, labelLimit=0, titleLimit=0, **options)


# The type size of a chart's text marks (px): 12 at a desk; widgets.chart sets the room's.
TEXT_SIZE = alt.param(name="text_size", value=12)


def fits(cells: int, chars: int) -> alt.ExprRef:
    """An opacity for the figures in a row of `cells` cells as wide as the chart: 1 where a
    figure of `chars` characters fits its cell at the room's type size, else 0 (the cell's
    colour and tooltip still tell): figures of 29 runs' cells were drawn over each other."""
    return alt.expr(f"width / {max(cells, 1)} >= {TEXT_SIZE.name} * {0.62 * chars:.2f} + 4 ? 1 : 0")


TITLE_PADDING = 16  # px of a chart's container its title does not have (padding, rounding)
EM = 0.62  # a Latin letter of a chart's sans-serif type (DejaVu Sans, bold), in em, at most


def ems(text: str) -> float:
    """How wide `text` is drawn, in em at most: a wide (CJK) character takes one."""
    return sum(1 if unicodedata.east_asian_width(c) in "WF" else EM for c in text)


def title_choices(title: str | list[str], px: float) -> list[tuple[list[str], int]]:
    """The ways to draw a title of type `px` px, widest first: its lines (each of `title`'s
    lines broken further where it must) and the width in px they need."""
    given = [title] if isinstance(title, str) else list(title)
    choices: dict[str, int] = {}
    widest = max(columns(line) for line in given)
    for width in [widest, *range(widest - 2, 9, -2)]:
        broken = [part for line in given for part in lines(line, width)]
        need = max(ems(part) for part in broken) * px + 4
        choices.setdefault(json.dumps(broken, ensure_ascii=False), round(need))
    return [(json.loads(text), need) for text, need in choices.items()]


def title_expr(title: str | list[str], px: float) -> str:
    """A Vega expression for a title of type `px` px: the widest of `title_choices` that
    the chart's container holds (the title framed by the whole chart, `frame: "bounds"`),
    so that a title is drawn whole in a narrow room instead of shortened ("…a setting of
    several seeds: t…")."""
    choices = title_choices(title, px)
    expr = json.dumps(choices[-1][0], ensure_ascii=False)
    # The chart's container, less its padding; `width` named so that a resize redraws it.
    room = f"(containerSize()[0] - {TITLE_PADDING} + 0 * width)"
    for shown, need in reversed(choices[:-1]):
        expr = f"{room} >= {need} ? {json.dumps(shown, ensure_ascii=False)} : ({expr})"
    return expr


def title_text(title) -> str:
    """A drawn spec's title as one line of words, whether given as text, lines or
    `title_expr`'s expression (its widest choice): what the reader reads."""
    text = title.get("text") if isinstance(title, dict) else title
    if isinstance(text, dict) and "expr" in text:
        widest = text["expr"].split(" ? ", 1)[1] if " ? " in text["expr"] else text["expr"]
        text = json.JSONDecoder().raw_decode(widest)[0]
    return " ".join(text) if isinstance(text, list) else str(text or "")
