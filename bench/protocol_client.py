"""A Streamlit client without a browser: what a browser's tab sends over the app's WebSocket
(`/_stcore/stream`), for `bench/classroom_protocol.py`.

A browser opens the socket with the subprotocol "streamlit", asks for the page in its URL
(a `rerun_script` BackMsg whose ClientState names the page by its URL name), reruns a
fragment each `auto_rerun` interval (Compare's and Predict's look at the run cache), and
moves to another page by that page's script hash (from the `navigation` ForwardMsg). A
page's time runs from the request to its `script_finished`. No widget is touched: a
student who opens the pages and reads them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

MAX_SIZE = 2**28  # what the server sends a page is its business: no client-side bound


@dataclasses.dataclass(frozen=True)
class PageTime:
    """One page asked for and drawn: its URL name, seconds from the request to its
    `script_finished`, and the errors it showed (exception elements, error boxes)."""

    page: str
    seconds: float
    errors: tuple[str, ...] = ()


class Tab:
    """One browser tab: one WebSocket, one Streamlit session."""

    def __init__(self, url: str, locale: str = "en-US"):
        self.url = url.replace("http", "ws", 1) + "/_stcore/stream"
        self.locale = locale
        self.pages: dict[str, str] = {}  # URL name ("" for Home) -> script hash
        self.page_hash = ""
        self.errors: list[str] = []
        self.notes: list[str] = []  # the info boxes of the page: a guard's stop says why
        self.fragment_runs = 0
        self._finished: asyncio.Queue = asyncio.Queue()
        self._full_run: str | None = None
        self._seen: list[str] = []  # the last messages' kinds, for a page never drawn
        self._reruns: dict[str, asyncio.Task] = {}  # fragment id -> its timer
        self._socket = self._reader = None

    async def __aenter__(self) -> Tab:
        self._socket = await connect(
            self.url, subprotocols=["streamlit"], max_size=MAX_SIZE, open_timeout=120
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        self._stop_reruns()
        self._reader.cancel()
        with contextlib.suppress(Exception):
            await self._socket.close()

    async def open(self, page: str, timeout: float = 300) -> PageTime:
        """Ask for `page` (its URL name, "" for Home) as a browser does: by its URL on
        arrival, by its script hash afterwards; wait for that whole page's run to end."""
        self._stop_reruns()  # a page change ends the old page's timers (as the frontend)
        first = not self.pages
        self.errors.clear()
        self.notes.clear()
        self._full_run = None  # the page's run: the first whole-page run started from now
        self._finished = asyncio.Queue()
        start = time.perf_counter()
        await self._rerun(page_name=page if first else "",
                          page_script_hash="" if first else self.pages[page])  # fmt: skip
        try:
            await asyncio.wait_for(self._finished.get(), timeout)
        except TimeoutError:
            raise TimeoutError(f"not drawn in {timeout:.0f} s; its run {self._full_run}, the "
                               f"last messages {self._seen[-6:]}") from None  # fmt: skip
        return PageTime(page, time.perf_counter() - start, tuple(self.errors))

    async def _rerun(self, fragment_id: str = "", auto: bool = False, **client) -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        state.page_script_hash = client.get("page_script_hash", self.page_hash)
        state.page_name = client.get("page_name", "")
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
        state.context_info.locale = self.locale
        state.context_info.timezone = "UTC"
        state.widget_states.SetInParent()
        await self._socket.send(msg.SerializeToString())

    async def _read(self) -> None:
        async for data in self._socket:
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            self._seen = [*self._seen[-20:], kind]
            run = msg.metadata.run
            if kind == "script_finished":
                if run.fragment_ids:
                    self.fragment_runs += 1
                elif run.script_run_id == self._full_run:
                    # Its status may say "early for rerun" though it ran to its end: an
                    # auto-rerun asked for meanwhile runs the fragment right after.
                    self._finished.put_nowait(msg.script_finished)
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
                self.page_hash = msg.navigation.page_script_hash
            elif kind == "new_session" and not run.fragment_ids:
                self._full_run = self._full_run or run.script_run_id
                self._stop_reruns()  # a whole page's run: its fragments say again
            elif kind == "auto_rerun":
                self._schedule(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
            elif kind == "stop_auto_rerun":
                for fragment in msg.stop_auto_rerun.fragment_ids:
                    with contextlib.suppress(KeyError):
                        self._reruns.pop(fragment).cancel()
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._look(msg.delta.new_element)

    def _look(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.errors.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "alert" and element.alert.format == element.alert.ERROR:
            self.errors.append(element.alert.body[:200])
        elif kind == "alert" and element.alert.format == element.alert.INFO:
            self.notes.append(element.alert.body[:200])

    def _schedule(self, fragment: str, interval: float) -> None:
        """The browser's `setInterval`: a rerun of the fragment every `interval` s, sent
        whether or not the last one has ended."""
        if fragment in self._reruns:
            return

        async def every() -> None:
            while True:
                await asyncio.sleep(interval)
                await self._rerun(fragment_id=fragment, auto=True)

        self._reruns[fragment] = asyncio.create_task(every())

    def _stop_reruns(self) -> None:
        for task in self._reruns.values():
            task.cancel()
        self._reruns.clear()
