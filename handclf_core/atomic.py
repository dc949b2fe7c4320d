"""Files that appear whole or not at all, and what a full disk says.

Everything the project writes (frame stores, variants, runs, their records and predictions,
the sample) is written under a temporary name in the folder it belongs to,
`.tmp-<final name>-<pid>-<random>[.suffix]`, and renamed when complete: a final name always
means complete contents. `written` is that pattern for a file or a folder the caller fills,
`write_file` for bytes or text at once. The pid in the name tells a temporary entry of a
live process from one a killed process left: `remove_stale` removes the latter, and every
writer calls it before it starts.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from handclf_core.errors import HandCamError

_TMP = re.compile(r"^\.tmp-.+-(\d+)-[0-9a-f]+(\.[a-z]+)?$")  # (pid); .npy, .npz, ...
# What a user's disk can cause while the project writes: full, over quota, over a file size
# limit, read-only, not ours to write.
_DISK = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}


def temp_path(final: Path, suffix: str = "") -> Path:
    """A temporary name beside `final`, which says which process writes it."""
    return final.parent / f".tmp-{final.name}-{os.getpid()}-{secrets.token_hex(4)}{suffix}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's live process
        return True
    return True  # alive (or the pid was reused: left for a later clean-up)


def remove_stale(folder: Path) -> list[str]:
    """Remove temporary entries of `folder` left by processes that no longer exist; their
    names."""
    removed = []
    for entry in folder.iterdir() if folder.is_dir() else ():
        m = _TMP.match(entry.name)
        if m and not pid_alive(int(m.group(1))):
            _remove(entry)
            removed.append(entry.name)
    return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def written(final: Path, suffix: str = "", *, replace: bool = True):
    """Make `final` whole or not at all: yields a temporary path beside it for the caller to
    fill (a file, or a folder it creates); when the block ends without an error, that path
    takes the name `final`. A file or a link there is replaced (a link is never followed:
    its target is left as it is); a folder there is moved aside first, then removed (with
    `replace=False`, anything there is a FileExistsError instead). On an
    error the temporary path is removed. `suffix` ends the temporary name (".npy" for NumPy,
    which would add it)."""
    tmp = temp_path(final, suffix)
    try:
        yield tmp
        old = None
        if os.path.lexists(final):
            if not replace:
                raise FileExistsError(errno.EEXIST, "already exists", str(final))
            if final.is_dir() and not final.is_symlink():
                old = temp_path(final)  # killed before it is removed: a stale temporary
                final.rename(old)
            elif tmp.is_dir():  # a file or a link where a folder goes (a link's target stays)
                final.unlink()
        try:
            os.replace(tmp, final)
        except OSError as e:  # a folder published meanwhile by another process
            if replace or e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            raise FileExistsError(errno.EEXIST, "already exists", str(final)) from None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        _remove(tmp)  # gone already once renamed


def write_file(final: Path, data: bytes | str) -> None:
    """Write `data` (text as UTF-8) into `final`, whole or not at all."""
    with written(final) as tmp:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)


@contextmanager
def disk_errors(what: str, where: Path, kept: Callable[[], str] | None = None):
    """Turn what the disk refuses while writing `what` under `where` (full, read-only, ...)
    into a HandCamError saying so; the caller's clean-up still runs. `kept()`, when given,
    says what the caller keeps of its work instead of "nothing partial was kept"."""
    try:
        yield
    except OSError as e:
        if e.errno not in _DISK:
            raise
        tail = kept() if kept else ("nothing partial was kept (free some space, or set "
                                    "HANDCLF_CACHE to another disk)")  # fmt: skip
        raise HandCamError(
            f"{where}: expected to write {what}, but the disk refused: {e.strerror}; {tail}"
        ) from None


def check_free_space(folder: Path, needed: int, what: str) -> None:
    """HandCamError before a long write when `folder`'s disk has less than `needed` bytes."""
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise HandCamError(
            f"{folder}: {what} needs about {needed / 1e9:.2f} GB, the disk has "
            f"{free / 1e9:.2f} GB free (free some space, or set HANDCLF_CACHE to another disk)"
        )


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()
