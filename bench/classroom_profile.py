"""Where a page's time goes: each page's script run for a new session, in this process
(Streamlit's AppTest, after a warm-up run: what the teacher's visit left in the server's
caches), under cProfile, its own time by part (the app's pages, the core, Altair/Vega-Lite,
pandas, NumPy, Streamlit, Keras/TensorFlow, other). `--profile` of the classroom benchmarks.
"""

from __future__ import annotations

import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# (page path, title), in the order a teacher walks them.
PAGES = [("", "Home"), ("Dataset", "Dataset"), ("Preprocessing", "Preprocessing"),
         ("Train", "Train"), ("Compare", "Compare"), ("Predict", "Predict")]  # fmt: skip


PARTS = [  # (part, substrings of a function's file), first match wins
    ("app pages", ("/app_pages/", "/app/", "streamlit_app.py")),
    ("core", ("/handclf_core/",)),
    ("Altair / Vega-Lite", ("/altair/", "/jsonschema/", "/narwhals/", "/referencing/")),
    ("pandas", ("/pandas/",)),
    ("NumPy / SciPy / scikit-learn", ("/numpy/", "/scipy/", "/sklearn/")),
    ("Keras / TensorFlow", ("/keras/", "/tensorflow/", "/tf_keras/")),
    ("Streamlit", ("/streamlit/",)),
]


def _part(filename: str) -> str:
    for part, marks in PARTS:
        if any(m in filename for m in marks):
            return part
    return "other (Python, Pillow, protobuf, ...)"


def profile_pages() -> dict:
    """Each page's script run for a new session, after a warm-up run: its seconds and the
    share of its own (self) time in each part."""
    import cProfile
    import pstats

    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    # AppTest runs the script in a thread of its own: profile inside it.
    active: list = []
    original = script_runner.ScriptRunner._run_script

    def profiled(self, rerun_data):
        if not active:
            return original(self, rerun_data)
        active[0].enable()
        try:
            return original(self, rerun_data)
        finally:
            active[0].disable()

    script_runner.ScriptRunner._run_script = profiled
    out = {}
    for path, title in PAGES:
        script = {"": None, **{p: f"app_pages/{i}_{p}.py" for i, p in enumerate(
            ["Dataset", "Preprocessing", "Train", "Compare", "Predict"], 1)}}[path]  # fmt: skip

        def run(script=script):
            at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
            at.run()
            if script:
                at.switch_page(script).run()
            return at

        run()  # warm: what the teacher's visit left in the server's caches
        prof = cProfile.Profile()
        active[:] = [prof]
        t0 = time.perf_counter()
        run()
        seconds = time.perf_counter() - t0
        active.clear()
        stats = pstats.Stats(prof).stats
        by_part: dict[str, float] = {}
        for (filename, _, _), (_, _, tottime, _, _) in stats.items():
            by_part[_part(filename)] = by_part.get(_part(filename), 0.0) + tottime
        total = sum(by_part.values()) or 1.0
        top = sorted(stats.items(), key=lambda kv: -kv[1][3])[:12]
        out[title] = {
            "seconds": round(seconds, 2),
            "share": {
                k: round(v / total, 3) for k, v in sorted(by_part.items(), key=lambda kv: -kv[1])
            },
            "top_cumulative": [
                f"{Path(f).name}:{line} {fn} {ct:.2f}s" for (f, line, fn), (_, _, _, ct, _) in top
            ],
        }
    return out
