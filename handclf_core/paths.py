"""Where the project is, and where it writes at run time: the cache folder (frame stores,
runs, the built-in sample), $HANDCLF_CACHE when set, else cache/ at the project's root."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Where everything written at run time goes: $HANDCLF_CACHE, else cache/ at the root."""
    return Path(os.environ.get("HANDCLF_CACHE") or PROJECT_ROOT / "cache").resolve()


def writable_cache_dir() -> Path:
    """The cache folder, made if need be; HandCamError in one line when it cannot be: a file
    where the folder should be, a folder that cannot be made, or one this process may not
    write in."""
    import errno

    from handclf_core.errors import HandCamError

    folder = cache_dir()
    fix = "set HANDCLF_CACHE to a folder you can write, or unset it"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        found = "a file" if e.errno in (errno.EEXIST, errno.ENOTDIR) else e.strerror
        raise HandCamError(f"{folder}: expected the cache folder, found {found} ({fix})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise HandCamError(f"{folder}: expected a cache folder this process can write in, "
                           f"found a read-only one ({fix})")  # fmt: skip
    return folder
