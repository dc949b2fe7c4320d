"""Loading the Keras backend without its noise: TensorFlow writes its start-up lines (and
more at its first training step) from native code straight to file descriptor 2, where
Python's logging cannot filter them. The CLI (unless --debug), the training process, the
app's background preload and the lesson notebook load the backend through here."""

from __future__ import annotations

import logging
import os
import sys


def native_stderr_to_null() -> None:
    """From now on, send what native code writes to file descriptor 2 to /dev/null, keeping
    Python's own `sys.stderr` (errors, progress bars, warnings) where it was."""
    sys.stderr.flush()
    before = sys.stderr
    keep = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    if getattr(sys.stderr, "fileno", None) is not None:
        try:
            if sys.stderr.fileno() == 2:  # a terminal's stderr: reopen it on the kept copy
                sys.stderr = os.fdopen(keep, "w", buffering=1, encoding=sys.stderr.encoding)
                _follow(before, sys.stderr)
                return
        except (OSError, ValueError):  # a stream without a descriptor (a notebook's)
            pass
    os.close(keep)


def _follow(old, new) -> None:
    """Log handlers that wrote to the old `sys.stderr` (Streamlit's, made at its start) write
    to the new one: on the old stream's descriptor, now /dev/null, the server's warnings
    and errors were lost once Keras was loaded."""
    import logging

    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            if isinstance(handler, logging.StreamHandler) and handler.stream is old:
                handler.setStream(new)


def load_backend_quietly() -> None:
    """Import Keras and its backend and let it meet the device, and keep the backend's
    native logging out of sight from then on."""
    native_stderr_to_null()
    import keras

    keras.ops.convert_to_tensor(0.0)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notes and the like
