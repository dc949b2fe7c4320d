"""What every reader of the same runs, language and room is sent alike: computed once per
server, then only sent. (The app's other caches are in `app.cache` and `app.inference`; this
one holds finished pieces of pages: chart specs as Streamlit sends them, tables, texts,
pictures.)

A class of 30 opening Compare at the teacher's word ran Compare's whole script 30 times in a
row on one core (the GIL): the same charts built with Altair and converted to Vega-Lite, the
same tables styled, the same frames encoded, for everyone. Each piece is now keyed by what
it depends on: the runs shown (`cache.run_key`: names and predictions' digests, so a run
stored, replaced or deleted gives new keys and the pieces are made again), the language,
presentation mode and the reader's choices; the first reader makes it, the others get it.
"""

from __future__ import annotations

import streamlit as st

SHARED_ENTRIES = 1024  # pieces kept: a page has about 10 per set of runs, language and room


@st.cache_resource(show_spinner=False, max_entries=SHARED_ENTRIES)
def _shared(what: str, key: tuple, _make):
    return _make()


def shared(what: str, key: tuple, make):
    """`make()`, once per server for every session asking for `what` with the same `key`
    (a tuple of hashable values: everything the result depends on). Shared, not copied:
    nobody may change what it returns. Sessions asking at once wait for the first one."""
    return _shared(what, key, make)


def clear() -> None:
    """Forget every piece (the tests; a reader never needs it: the keys change)."""
    _shared.clear()
