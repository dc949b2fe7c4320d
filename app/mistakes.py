"""Compare's look at one run's test frames: the frames behind a cell of its confusion matrix
(picture, what the model saw, hand, recording, top-3), paged; and the map of its test
frames' features (PCA or t-SNE). Both read the per-frame test predictions stored with the
run; a run stored without them is scored once, on request, under a progress bar."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from handclf_core import i18n
from handclf_core.data.images import enlarged, jpeg, preprocess
from handclf_core.errors import HandCamError
from handclf_core.i18n import name
from handclf_core.inside.embedding import MAP_POINTS
from handclf_core.inside.mistakes import cells, check_store, frames_at, score_run
from handclf_core.runs.predictions import read_predictions
from handclf_core.views.mistakes import CELL, confusion_chart, embedding_chart
from handclf_core.vocab import Projection

from . import cache, inference, session, tables, widgets, work
from .shared import shared

PER_PAGE = 8  # frames per page: two rows of four
COLUMNS = 4
SEEN = 96  # px: the model's input, enlarged


def _last_page(key: str, pages: int) -> None:
    """A page number past the last one is the last one."""
    if st.session_state.get(key, 1) > pages:
        st.session_state[key] = pages


def predictions(run, ds):
    """The run's stored test predictions; None, with a button that scores the run, when it
    has none (stored before they were kept) or their file is damaged."""
    t = session.t
    try:
        found = _predictions(run)
    except HandCamError as e:
        st.error(t("mistakes.damaged", error=session.explain(e)), icon=":material/error:")
        found, again = None, True
    else:
        again = False
    if found is not None:
        return found
    if not again:
        st.info(t("mistakes.unscored", frames=run.frames.test), icon=":material/info:")
    if not st.button(t("mistakes.score", frames=run.frames.test), key="mistakes.score",
                     icon=":material/play_arrow:"):  # fmt: skip
        return None
    bar = st.progress(0.0, text=t("mistakes.scoring_start"))
    try:
        score_run(run, ds, again=again,
                  progress=lambda d, n: bar.progress(d / n, text=t("mistakes.scoring", done=d,
                                                                   total=n)))  # fmt: skip
    except HandCamError as e:
        st.error(t("mistakes.score_failed", error=session.explain(e)))
        return None
    finally:
        bar.empty()
    st.rerun()  # the run is read again, with its predictions


def _store(ds, run):
    """The dataset's frame store (the one the run was scored on; `browse` checks that), or
    a button that has the server build it when it is gone (the map below then waits)."""
    from handclf_core.training import board

    store = frame_store(ds)
    if store is None:  # built by the server, whatever page the reader goes to meanwhile
        st.info(session.t("mistakes.no_store"))
        job = board.read(board.store_job_id(ds.identity, run.preprocessing))
        building = job is not None and job.active
        st.button(session.t("mistakes.build_store"), key="mistakes.build", disabled=building,
                  on_click=work.submit_store, args=(ds, run.preprocessing))  # fmt: skip
        if job is not None:
            st.fragment(run_every=work.POLL if building else None)(work.store_panel)(
                job.id, building
            )
    return store


def frame_store(ds):
    """The dataset's frame store (`store.open_store`), opened once per server until it is
    built, replaced or removed (its frames table is read when opened: 20 ms here)."""
    from handclf_core.data.store import open_store, store_stamp

    return shared("store", (ds.identity, store_stamp(ds)), lambda: open_store(ds))


def _predictions(run):
    """The run's kept test predictions (`read_predictions`), read once per server until the
    file changes (its record's digest, the file's time and size: a file damaged or removed
    after it was read is read again and refused); its error is raised each time."""
    sha = run.predictions.sha256 if run.predictions else None
    try:
        info = (run.model_file.parent / run.predictions.name).stat() if sha else None
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino) if info else None
    except OSError:  # gone: read_predictions says so
        stamp = "missing"
    found = shared("predictions", (run.name, sha, stamp), lambda: _read(run))
    if isinstance(found, HandCamError):
        raise found
    return found


def _read(run):
    try:
        return read_predictions(run)
    except HandCamError as e:
        return e


def confusion(run, chosen_key: str) -> None:
    """The run's confusion matrix, its chosen cell outlined (at first its largest mistake);
    a click on a cell chooses it (written into the session under `chosen_key`, which the
    cell picker starts from)."""
    found = cells(run.test.confusion_matrix, run.classes)
    default = f"{found[0].true}|{found[0].predicted}" if found else None
    current = st.session_state.setdefault(chosen_key, default)
    pair = tuple(current.split("|")) if current else None
    # 24 class names side by side need about 50rem; a narrower room numbers the columns.
    events = []
    for box, narrow in zip(tables.by_width("confusion", 50), (False, True), strict=True):
        with box:
            events.append(widgets.shared_chart(
                "confusion.narrow" if narrow else "confusion",
                (*cache.run_key([run]), pair),
                lambda narrow=narrow: confusion_chart(run, session.lang(), pair, narrow=narrow),
                width="stretch",
                on_select="rerun",
                key=f"compare.confusion.{run.name}" + (".narrow" if narrow else ""),
            ))  # fmt: skip
    selections = [(e or {}).get("selection", {}).get(CELL) for e in events]
    picked = next((s for s in selections if s), [])
    if picked:
        true, predicted = picked[0].get("true_id"), picked[0].get("predicted_id")
        clicked = f"{true}|{predicted}"
        if clicked not in {f"{c.true}|{c.predicted}" for c in found}:
            st.caption(session.t("mistakes.empty_cell"))  # a pair that never happened
            return
        applied = f"{chosen_key}.clicked"
        if st.session_state.get(applied) != clicked:
            st.session_state[applied] = st.session_state[chosen_key] = clicked
            st.rerun()  # drawn again with the clicked cell outlined


def cell_options(run, found) -> tuple[list[str], dict[str, str]]:
    """The non-empty cells as "true|predicted" options, mistakes first, and their labels;
    once per server for the same run and language (`app.shared`)."""
    lang = session.lang()
    return shared("mistakes.cells", (*cache.run_key([run]), lang),
                  lambda: _cell_options(run, found))  # fmt: skip


def _cell_options(run, found) -> tuple[list[str], dict[str, str]]:
    t = session.t  # in the reader's language, which keys what is made here
    options, labels = [], {}
    for c in cells(found.confusion(), run.classes):
        key = f"{c.true}|{c.predicted}"
        options.append(key)
        labels[key] = t("mistakes.cell", true=session.class_name(run.task, c.true),
                        predicted=session.class_name(run.task, c.predicted),
                        frames=session.tn("mistakes.frames", c.frames))  # fmt: skip
    return options, labels


def browse(run, found, ds, chosen_key: str) -> None:
    """The cell picker and the frames of the chosen cell, a page at a time."""
    t = session.t
    moved = int(np.abs(found.confusion() - np.asarray(run.test.confusion_matrix)).sum()) // 2
    if moved:  # scored after training, on another machine or precision: say so
        st.caption(session.tn("mistakes.rescored", moved))
    options, labels = cell_options(run, found)
    left, right = st.columns([3, 1])
    chosen = session.localized(left.selectbox, t("mistakes.pick"), options, key=chosen_key,
                               format_func=labels.get)  # fmt: skip
    true, predicted = chosen.split("|")
    positions = found.cell(run.classes.index(true), run.classes.index(predicted))
    store = _store(ds, run)
    if store is None:
        return
    try:
        check_store(found, store.frames, run.task)
    except HandCamError as e:
        st.error(t("mistakes.other_store", error=session.explain(e)))
        return
    pages = max(1, math.ceil(len(positions) / PER_PAGE))
    page = 1
    if pages > 1:
        key = f"mistakes.page.{run.name}.{chosen}"
        # No max_value: a page past the last (typed "99") is taken and brought back to the
        # last page, in the box too; with a maximum the box kept "99" over page 2's frames.
        box = right.number_input(t("mistakes.page", pages=pages), min_value=1, step=1, key=key,
                                 on_change=_last_page, args=(key, pages))  # fmt: skip
        page = int(box)
        page = min(page, pages)
    shown = positions[(page - 1) * PER_PAGE : page * PER_PAGE]
    st.caption(t("mistakes.showing", first=(page - 1) * PER_PAGE + 1, size=run.preprocessing.size,
                 last=(page - 1) * PER_PAGE + len(shown), total=len(positions)))  # fmt: skip
    lang = session.lang()
    key = (*cache.run_key([run]), chosen, page, lang)
    made = shared("mistakes.frames", key, lambda: _frames(run, found, store, shown, lang))
    columns = st.columns(COLUMNS)
    for i, (picture, seen, caption) in enumerate(made):
        with columns[i % COLUMNS]:
            st.image(picture, width="stretch")
            st.image(seen, width=SEEN)
            st.caption(caption)


def _frames(run, found, store, shown, lang: str) -> list[tuple[bytes, bytes, str]]:
    """The frames at `shown` as they are sent: the picture (JPEG), what the model saw
    (enlarged, PNG: its pixels stay sharp squares) and the caption; once per server for
    the same run, cell, page and language (`app.shared`)."""
    t = i18n.translator(lang)
    made = []
    for frame in frames_at(found, shown, store.frames, run.classes):
        picture = np.asarray(store.base[frame.row])
        seen = enlarged(preprocess(picture, run.preprocessing, hand=frame.hand), SEEN)
        top = " · ".join(
            f"{i18n.class_name(lang, run.task, r.name)} {r.probability:.0%}" for r in frame.top
        )
        caption = t("mistakes.frame", hand=name(frame.hand, lang), recording=frame.recording,
                    frame=frame.frame, top=top)  # fmt: skip
        made.append((jpeg(picture), widgets.png(seen), caption))
    return made


_LAST_SECONDS: dict = {}  # (run, projection) -> seconds its last map took in this process


def embedding(run, found, ds) -> None:
    """The map of the run's test frames' penultimate-layer features, on request."""
    t, lang = session.t, session.lang()
    method = session.localized(st.radio, t("embedding.method"), list(Projection),
                               key="embedding.method", horizontal=True,
                               format_func=lambda m: name(Projection(m), lang))  # fmt: skip
    method = Projection(method)
    done = f"embedding.drawn.{run.name}.{method}"
    if not st.session_state.get(done):
        if st.button(t("embedding.draw"), key="embedding.draw", icon=":material/scatter_plot:"):
            st.session_state[done] = True
            st.rerun()  # drawn without the button
        return
    store = frame_store(ds)  # missing: the frames' section above offers to build it
    if store is None:
        st.info(t("embedding.needs_store"))
        return
    last = _LAST_SECONDS.get((run.name, method))  # measured here, not promised
    waiting = (t("embedding.computing") if last is None else
               t("embedding.computing_last", method=name(method, lang), seconds=last))  # fmt: skip
    with st.spinner(waiting):
        images = store.variant(run.preprocessing)
        try:
            shown = inference.embedding(run, images, found, run.name, run.model_sha256, str(method))
        except HandCamError as e:
            st.error(session.explain(e))
            return
    _LAST_SECONDS[(run.name, method)] = shown.seconds
    widgets.chart(embedding_chart(shown, found, run, lang), width="stretch")
    st.caption(t("embedding.caption", frames=len(shown.positions), dimensions=shown.dimensions,
                 seconds=shown.seconds) + " " + (
        t("embedding.pca", share=shown.explained, points=MAP_POINTS) if method == Projection.PCA
        else t("embedding.tsne", points=MAP_POINTS)))  # fmt: skip
