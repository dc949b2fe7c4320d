"""Where the project is, and where it writes at run time: the cache folder (frame stores,
runs, the built-in sample), $HANDCLF_CACHE when set, else cache/ at the project's root."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Where everything written at run time goes: $HANDCLF_CACHE, else cache/ at the root."""
    return Path(os.environ.get("HANDCLF_CACHE") or PROJECT_ROOT / "cache").resolve()
