"""The command line's entry point: `python -m handclf_core <command> ...`.

Every command takes `--json` and then prints exactly one JSON object on stdout; progress bars
and messages go to stderr. A user's mistake (a wrong path, a corrupt frame) is one line on
stderr and exit code 2; `--debug` shows the traceback instead. Every setting is checked
before the backend loads (a count out of range by argparse, the rest by `commands.check`);
the backend's own start-up lines are silenced for the commands that load it.
"""

from __future__ import annotations

import json
import logging
import sys

from handclf_core.cli.commands import check
from handclf_core.cli.parser import build_parser
from handclf_core.errors import HandCamError
from handclf_core.paths import writable_cache_dir

KERAS_COMMANDS = {"train", "evaluate", "predict", "models", "experiments", "explain", "mistakes"}


class _Warnings(logging.Handler):
    """The core's log records as `warning: ...` lines on whatever sys.stderr is now (the
    backend's quiet start replaces it)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"warning: {record.getMessage()}", file=sys.stderr)


def _writes_cache(args) -> bool:
    """Whether the command writes in the cache folder (frame stores, runs, the sample)."""
    if args.command in ("predict", "explain", "report"):
        return False
    if args.command == "runs":
        return args.action == "delete"
    if args.command in ("sample", "stats"):  # the sample is written there; other data not
        return not (getattr(args, "out", None) or getattr(args, "data", None))
    return True


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # a refused option (its one line said already) or --help
        return e.code if isinstance(e.code, int) else 0
    # The core's warnings (a stored run left out, a damaged one trained again): one line each.
    core_log = logging.getLogger("handclf_core")
    if not any(isinstance(h, _Warnings) for h in core_log.handlers):
        core_log.addHandler(_Warnings())
    try:
        if _writes_cache(args):
            writable_cache_dir()  # a file there, or a read-only one: one line, before any work
        check(args)  # the settings, the run read, the dataset: refused before the backend loads
        if args.command in KERAS_COMMANDS and not args.debug:
            from handclf_core.training.backend import load_backend_quietly, native_stderr_to_null

            if args.command == "models":  # Keras only if the counts are not cached yet
                native_stderr_to_null()
            else:
                load_backend_quietly()
        result = args.func(args)
    except HandCamError as e:
        if args.debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "interrupted; nothing half-written is used (the frame store's decoded chunks are "
            "kept, and the next build resumes from them)",
            file=sys.stderr,
        )
        return 130
    if args.json:
        print(json.dumps(result))
    else:
        from handclf_core.cli.text import render

        print(render(args.command, result))
    return 0
