"""Widget groups a page draws around long work of the core: progress bars that are cleared
however the work ends, and errors shown as messages."""

from __future__ import annotations

import streamlit as st

from handclf_core.errors import HandCamError

from . import session


def build_store(ds, prep) -> bool:
    """Build the frame store of `ds`'s hand frames (once; opened if there) and derive the
    inputs of `prep` (a Preprocessing), under a progress bar cleared however it ends. Returns
    False, with the error shown, when a frame cannot be decoded (nothing is left behind)."""
    from handclf_core.store import build_store

    t = session.t
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
