"""Static tables read whole in any room. Where the page's main column is as wide as a
table's columns need, it is a table; in a narrower one (a projector's 1024 px beside the
open sidebar, a phone) each row becomes a card: its first cell as the card's heading, then
each figure beside its column's header, so that nothing scrolls sideways or is cut.

The switch is the browser's, by a CSS container query on the main column's width in rem
(presentation mode's larger type asks for more room), with the headers written into the
style sheet: Streamlit draws a table from its data, with no attribute a style could read
them from."""

from __future__ import annotations

import json

import streamlit as st

from handclf_core.views.labels import ems

# The main column is the container they ask about (`@container main`, app.session's CSS).
CELL_PADDING = 1.8  # em a cell takes beyond its words (Streamlit's padding, the border)
LONGEST = 16  # em a column needs at most: longer words wrap at their spaces


def needs(columns: dict[str, list]) -> float:
    """About how many em a table of `columns` (header: its cells) needs drawn without
    scrolling: each column as wide as its widest cell (at most LONGEST em, words wrapping
    beyond) or its header's longest word, plus a cell's padding."""
    total = 0.0
    for header, values in columns.items():
        cells = [ems(str(v)) for v in values] + [ems(w) for w in str(header).split()]
        total += min(max(cells, default=1.0), LONGEST) + CELL_PADDING
    return total


def card_css(key: str, headers: list[str], width: float) -> str:
    """The style of the table in `st.container(key=key)`: cards below `width` em."""
    at = f".st-key-{key}"
    labels = "\n".join(
        f"{at} td.col{i}::before {{ content: {json.dumps(str(h), ensure_ascii=False)}; }}"
        for i, h in enumerate(headers)
        if i
    )
    return f"""<style>
@container main (max-width: {width:.1f}rem) {{
{at} thead {{ display: none; }}
{at} table, {at} tbody, {at} tr {{ display: block; width: 100%; }}
{at} tr {{ border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem;
  margin-bottom: 0.75rem; padding: 0.25rem 0.75rem; }}
{at} td {{ display: flex; gap: 1rem; justify-content: space-between; border: none !important;
  padding: 0.15rem 0 !important; text-align: right !important; }}
{at} td::before {{ text-align: left; font-weight: 600; flex: 0 1 50%; }}
{at} td.col0 {{ font-weight: 600; text-align: left !important; }}
{labels}
}}
</style>"""


def whole(table, key: str) -> None:
    """`table` (text, as Arrow: `widgets.arrow`) as a static table, or cards where the main
    column is narrower than the table needs."""
    columns = table.to_pydict()
    width = needs(columns) * 1.05  # the cells' type is a little larger than the root's
    st.html(card_css(key, list(columns), width))
    with st.container(key=key):
        st.table(table, hide_index=True)


def by_width(key: str, width: float) -> tuple:
    """Two containers, of which the browser shows one: the first where the main column is
    at least `width` rem wide, the second below (a chart laid out for a narrow room)."""
    st.html(f"""<style>
.st-key-{key}-narrow {{ display: none; }}
@container main (max-width: {width:.1f}rem) {{
.st-key-{key}-wide {{ display: none; }}
.st-key-{key}-narrow {{ display: flex; }}
}}
</style>""")
    return st.container(key=f"{key}-wide"), st.container(key=f"{key}-narrow")
