"""`streamlit run`, with the times of every script run written down, for
`bench/bench_classroom.py`: how long the server itself took to draw each page, whatever the
browsers beside it on the same machine do.

    HANDCLF_RUN_LOG=runs.jsonl python bench/classroom_server.py run streamlit_app.py ...

One JSON line per script run: the page (its URL path; "" for Home), whether it was a
fragment's run (Compare's and Predict's look at the run cache every 3 s), its start and end
(seconds since the epoch) and its session. The app itself is unchanged: the benchmark only
wraps Streamlit's runner.
"""

from __future__ import annotations

import json
import os
import sys
import time

from streamlit.runtime.scriptrunner import script_runner
from streamlit.web import cli

LOG = open(os.environ["HANDCLF_RUN_LOG"], "a", buffering=1)  # noqa: SIM115 (the server's life)
_run_script = script_runner.ScriptRunner._run_script


def _timed(self, rerun_data) -> None:
    start = time.time()
    try:
        _run_script(self, rerun_data)
    finally:
        pages = self._pages_manager
        page = pages.get_pages().get(pages.current_page_script_hash, {})
        LOG.write(json.dumps({
            "page": page.get("url_pathname", "?"),
            "fragment": bool(rerun_data.fragment_id_queue or rerun_data.fragment_id),
            "start": start, "end": time.time(), "session": self._session_id,
        }) + "\n")  # fmt: skip


script_runner.ScriptRunner._run_script = _timed

if __name__ == "__main__":
    sys.exit(cli.main(prog_name="streamlit"))
