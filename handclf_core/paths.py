"""Where the project is, and where it writes at run time: the cache folder (frame stores,
runs, the built-in sample), $HANDCLF_CACHE when set, else cache/ at the project's root; and
the cache's own folders and lock files, made and checked before anything is written there.

The cache folder itself may be a link (it is resolved once), and so may its stores/ (the
frame stores' gigabytes on another disk); below them everything is the project's own (the
runs, the lock files, a store, the job board), and a link there is never written through:
it could lead out of the cache. It is refused, or replaced where a new whole file or folder
takes its name."""

from __future__ import annotations

import os
from pathlib import Path

from handclf_core.i18n import N_

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Where everything written at run time goes: $HANDCLF_CACHE, else cache/ at the root.
    A leading `~` is the user's home (a quoted one the shell left as it is); a relative
    path is taken from the working folder."""
    named = os.environ.get("HANDCLF_CACHE")
    return Path(os.path.expanduser(named) if named else PROJECT_ROOT / "cache").resolve()


def writable_cache_dir() -> Path:
    """The cache folder, made if need be; HandCamError in one line when it cannot be: a file
    where the folder should be, a folder that cannot be made, or one this process may not
    write in."""
    import errno

    from handclf_core.errors import HandCamError

    fix = "set HANDCLF_CACHE to a folder you can write, or unset it"
    named = os.environ.get("HANDCLF_CACHE") or ""
    if os.path.expanduser(named).startswith("~"):  # ~name of no user: not a folder to make
        raise HandCamError(
            f"HANDCLF_CACHE={named}: expected a folder, found the home of an unknown user ({fix})",
            key=N_("error.cache.unknown_home"),
            name=named,
        )
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        file = e.errno in (errno.EEXIST, errno.ENOTDIR)
        found = "a file" if file else e.strerror
        raise HandCamError(
            f"{folder}: expected the cache folder, found {found} ({fix})",
            key=N_("error.cache.is_file") if file else N_("error.cache.cannot_make"),
            path=str(folder),
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise HandCamError(
            f"{folder}: expected a cache folder this process can write in, "
            f"found a read-only one ({fix})",
            key=N_("error.cache.read_only"),
            path=str(folder),
        )
    for name, what in FURNITURE.items():  # a file, a link, read-only: said before any work
        entry = folder / name
        if os.path.lexists(entry):
            cache_folder(entry, what)
    return folder


# The cache's own folders a hand may damage, checked with the cache; each is checked again
# where it is written.
FURNITURE = {
    "runs": "the folder of stored runs",
    "runs/.locks": "the folder of lock files",
    "stores": "the folder of frame stores",
    "jobs": "the job board's folder",
    "jobs/groups": "the job board's folder of experiments",
    "jobs/servers": "the job board's folder of servers",
}
KEPT = "delete it; it is remade"  # what to do with a damaged folder or lock of the cache
LINK = "delete the link, what it leads to is left as it is; the folder is remade"


def _chain(path: Path) -> list[Path]:
    """`path` and the folders above it inside the cache, from the top; `path` alone when
    outside it."""
    try:
        parts = path.relative_to(cache_dir()).parts
    except ValueError:
        return [path]
    return [cache_dir().joinpath(*parts[:i]) for i in range(1, len(parts) + 1)]


FOLLOWED = "stores"  # a link there is a user's choice of disk, like the cache folder itself


def _found(path: Path) -> str | None:
    """What is at `path` instead of a folder; None for a folder (or nothing)."""
    if path.is_symlink() and path != cache_dir() / FOLLOWED:
        return "a link (never written through: it could lead out of the cache)"
    if os.path.lexists(path) and not path.is_dir():
        return "a link to no folder" if path.is_symlink() else "a file"
    return None


def _found_key(path: Path) -> str:
    """The catalogue key of what `_found` says is at `path`, for the app."""
    if path.is_symlink() and path != cache_dir() / FOLLOWED:
        return N_("error.cache.link")
    return N_("error.cache.dangling_link") if path.is_symlink() else N_("error.cache.file")


def _found_error(entry: Path, expected: str, found: str, fix: str):
    """ "ENTRY: expected `expected`, found `found` (what to do)": a link says to remove it."""
    from handclf_core.errors import HandCamError

    fix = LINK if entry.is_symlink() else fix
    return HandCamError(
        f"{entry}: expected {expected}, found {found} ({fix})",
        key=_found_key(entry),
        path=str(entry),
    )


def cache_folder(path: Path, what: str, fix: str = KEPT) -> Path:
    """`path`, a folder of the cache, made if need be (with the folders above it) and
    checked before anything is written in it: HandCamError in one line, "PATH: expected
    `what`, found ... (`fix`)", when a link or a file is there or above it (inside the
    cache), or the disk refuses to make it or to let this process write in it."""
    from handclf_core.errors import HandCamError

    chain = _chain(path)
    for entry in chain:
        if found := _found(entry):
            raise _found_error(entry, _what(entry, path, what), found, fix)
    made_in = next((e.parent for e in chain if not os.path.lexists(e)), path)
    if os.path.lexists(made_in) and not os.access(made_in, os.W_OK | os.X_OK):
        raise HandCamError(
            f"{made_in}: expected {_what(made_in, path, what)} this process "
            "can write in, found a read-only folder (make it writable)",
            key=N_("error.cache.folder_read_only"),
            path=str(made_in),
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # made meanwhile, a file above the cache, a read-only disk
        if found := _found(path):
            raise _found_error(path, what, found, fix) from None
        raise HandCamError(
            f"{path}: expected {what}, but it cannot be made: {e.strerror} "
            "(set HANDCLF_CACHE to a folder you can write)",
            key=N_("error.cache.cannot_make"),
            path=str(path),
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise HandCamError(
            f"{path}: expected {what} this process can write in, found a "
            "read-only folder (make it writable)",
            key=N_("error.cache.folder_read_only"),
            path=str(path),
        )
    return path


def _what(entry: Path, path: Path, what: str) -> str:
    """What `entry`, on the way to the folder `path` (`what`), is expected to be."""
    if entry == path:
        return what
    try:
        return FURNITURE.get(str(entry.relative_to(cache_dir())), "a folder")
    except ValueError:
        return "a folder"


def lock_file(path: Path, folder: str = "the folder of lock files") -> Path:
    """`path` as a lock file of the cache (for `filelock.FileLock`), its folder (`folder`
    says what it is) made and checked (`cache_folder`): HandCamError in one line when a
    folder, a link or anything but a plain file is there (a lock is never taken through a
    link: it could lead out of the cache)."""
    import stat

    from handclf_core.errors import HandCamError

    cache_folder(path.parent, folder)
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return path
    if not stat.S_ISREG(mode):
        found, key = (
            ("a link", N_("error.cache.lock_link"))
            if stat.S_ISLNK(mode)
            else ("a folder", N_("error.cache.lock_folder"))
            if stat.S_ISDIR(mode)
            else ("a special file", N_("error.cache.lock_special"))
        )
        raise HandCamError(
            f"{path}: expected a lock file, found {found} ({KEPT})", key=key, path=str(path)
        )
    if not os.access(path, os.R_OK | os.W_OK):
        raise HandCamError(
            f"{path}: expected a lock file this process can write, found a read-only one ({KEPT})",
            key=N_("error.cache.lock_read_only"),
            path=str(path),
        )
    return path
