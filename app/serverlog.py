"""The server's log in class: a client that breaks the app's WebSocket protocol (garbage, a
text frame, a message over the limit) costs one line, not a traceback that reads like the
app's own failure. The teacher reads this log; the server goes on serving the others either
way (bench/classroom_offenders.py)."""

from __future__ import annotations

import logging

# Where Streamlit's server writes about one client's connection: its WebSocket handler
# (a frame that is no BackMsg: a warning with its traceback), and uvicorn, which logs an
# exception the handler raises (a text frame) with its traceback.
OFFENDERS_LOGGERS = ("streamlit.web.server.starlette.starlette_websocket", "uvicorn.error")


class OneLine(logging.Filter):
    """A record about one client's connection, with its exception named on the same line
    instead of its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            words = " ".join(str(error).split())[:160]
            said = " ".join(record.getMessage().split())  # uvicorn's ends in a line break
            record.msg = f"{said} (one client's connection: {type(error).__name__}: {words})"
            record.args = ()
            record.exc_info = record.exc_text = None
            record.stack_info = None
        return True


def one_line_per_offender() -> None:
    """Install `OneLine` on the loggers of client connections, once per process."""
    for name in OFFENDERS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, OneLine) for f in logger.filters):
            logger.addFilter(OneLine())
