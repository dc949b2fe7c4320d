"""The app's Streamlit settings hold to the core's own limits."""

import tomllib
from pathlib import Path

from handclf_core.data.trees import MAX_FRAME_BYTES

ROOT = Path(__file__).resolve().parents[1]


def test_the_uploader_promises_no_more_than_the_core_reads():
    """The uploader said "200MB per file" (Streamlit's default) while a picture over 64 MB
    is refused: its limit is the core's (Streamlit counts it in MiB)."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_FRAME_BYTES
