"""Where a dataset's files are: a folder or a zip archive read in place, one interface.

Both trees name files by their POSIX path inside the tree and read them whole, checked:
a file or member larger than a frame (or a label file) can be is refused before it is read,
a zip member's real size is checked as it inflates, and every unreadable file, folder or
member is a HandCamError naming it. Both are picklable: each worker process that decodes
frames opens its own handle.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from handclf_core.errors import HandCamError
from handclf_core.i18n import N_

# Files that operating systems and people leave beside data; never part of the dataset.
_STRAY_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
_STRAY_SUFFIXES = {".txt", ".md"}
# Files larger than these are refused before they are read: a zip member can claim (or be) a
# few GB inflated from a few MB ("zip bomb"). Generous: a 1920x1080 HandCam PNG is ~1.3 MB and
# uncompressed RGB 6.2 MB; a recording's label file of 1,229 float64 ids is 10 kB.
MAX_FRAME_BYTES = 64 * 2**20
MAX_LABEL_BYTES = 8 * 2**20


_KINDS = (
    (stat.S_ISDIR, "a folder", N_("error.file.is_folder")),
    (stat.S_ISCHR, "a character device", N_("error.file.is_device")),
    (stat.S_ISBLK, "a block device", N_("error.file.is_device")),
    (stat.S_ISFIFO, "a pipe (FIFO)", N_("error.file.is_pipe")),
    (stat.S_ISSOCK, "a socket", N_("error.file.is_socket")),
)

# What the system said when a file or folder could not be read, as the app explains it (the
# command line prints the system's own words): the catalogue key of each errno a user meets.
_UNREADABLE = {
    errno.ENOENT: N_("error.file.missing"),
    errno.EACCES: N_("error.file.denied"),
    errno.EPERM: N_("error.file.denied"),
    errno.ELOOP: N_("error.file.link_loop"),
    errno.ENOTDIR: N_("error.file.missing"),
}


def unreadable(path, error: OSError, what: str = "a readable file") -> HandCamError:
    """The HandCamError of `path` that the system refused to read (`error`): "PATH: expected
    `what`, found: <the system's words>" for the command line; for the app, the catalogue key
    of that refusal (no such file, permission denied, a looping link, or unreadable)."""
    key = _UNREADABLE.get(error.errno, N_("error.file.unreadable"))
    return HandCamError(
        f"{path}: expected {what}, found: {error.strerror}", key=key, path=str(path)
    )


def read_file(path: Path, limit: int = MAX_FRAME_BYTES) -> bytes:
    """The bytes of a user's file, at most `limit`: a file claiming more is refused before
    it is read, and the bytes are counted as they are read, whatever size the file claims
    (a link to /dev/zero claims none). A device, a pipe, a socket or a folder is refused by
    name before it is opened; a broken or looping link, or a file that cannot be read, is
    a HandCamError naming it."""
    path = Path(path)
    st = regular_file(path)
    if st.st_size > limit:
        raise HandCamError(
            f"{path}: expected at most {limit:,} bytes, found {st.st_size:,}",
            key=N_("error.file.too_large"),
            path=str(path),
            limit=limit,
            size=st.st_size,
        )
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise unreadable(path, e) from None
    if len(data) > limit:
        raise _more(path, limit)
    return data


def _more(where, limit: int) -> HandCamError:
    """A file or member that held more than `limit` bytes as it was read."""
    return HandCamError(
        f"{where}: expected at most {limit:,} bytes, found more",
        key=N_("error.file.more"),
        path=str(where),
        limit=limit,
    )


def regular_file(path: Path) -> os.stat_result:
    """The status of `path` when it is a regular file (links followed); else a HandCamError
    naming what it is: a device, a pipe, a socket or a folder, which a reader would wait on
    or read without end, or a broken or looping link."""
    path = Path(path)
    try:
        st = path.stat()  # follows links: a broken or looping one fails
    except OSError as e:
        raise unreadable(path, e) from None
    if not stat.S_ISREG(st.st_mode):
        kind, key = next(
            ((name, key) for test, name, key in _KINDS if test(st.st_mode)),
            ("no regular file", N_("error.file.not_regular")),
        )
        raise HandCamError(
            f"{path}: expected a regular file, found {kind}", key=key, path=str(path)
        )
    return st


def is_stray(name: str) -> bool:
    base = PurePosixPath(name).name
    return (
        base in _STRAY_NAMES
        or base.startswith(".")
        or PurePosixPath(base).suffix.lower() in _STRAY_SUFFIXES
        or name.startswith("__MACOSX/")
        or "/__MACOSX/" in name
    )


class FolderTree:
    """Files under a folder, named by their POSIX path relative to it."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.description = str(self.root)

    def names(self) -> list[str]:
        def refused(error: OSError) -> None:  # os.walk would skip the folder silently
            raise unreadable(error.filename, error, "a readable folder")

        found = []
        # Linked folders are followed (frames may live on another disk), but a link that
        # loops back to a folder above it is an error naming it, not a silent gap.
        for dirpath, dirnames, filenames in os.walk(self.root, onerror=refused, followlinks=True):
            here = Path(dirpath).resolve()
            for name in dirnames:
                link = Path(dirpath) / name
                if link.is_symlink() and self._loops(link, here):
                    raise HandCamError(
                        f"{link}: expected a folder of the dataset, found a "
                        "link that loops back to a folder above it",
                        key=N_("error.folder.link_loop"),
                        path=str(link),
                    )
            dirnames.sort()
            rel = Path(dirpath).relative_to(self.root).as_posix()
            prefix = "" if rel == "." else rel + "/"
            found.extend(prefix + f for f in sorted(filenames))
        return found

    @staticmethod
    def _loops(link: Path, here: Path) -> bool:
        try:
            target = link.resolve(strict=True)
        except (OSError, RuntimeError):  # a cycle of links (RuntimeError before Python 3.13)
            return True
        return target == here or target in here.parents

    def _stat(self, name: str) -> os.stat_result:
        try:
            return (self.root / name).stat()  # follows links: a broken or looping one fails
        except OSError as e:
            raise unreadable(self.root / name, e) from None

    def read(self, name: str, limit: int = MAX_FRAME_BYTES) -> bytes:
        return read_file(self.root / name, limit)

    def fingerprint(self, names: list[str]) -> list[str]:
        # Size and modification time: cheap for 80k files, and changes when a file does.
        out = []
        for n in names:
            st = self._stat(n)
            out.append(f"{n}:{st.st_size}:{st.st_mtime_ns}")
        return out


class ZipTree:
    """Members of a zip archive, read in place. Picklable: each process opens its own handle."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.description = str(self.path)
        self._zip: zipfile.ZipFile | None = None

    def __getstate__(self):
        return {"path": self.path, "description": self.description, "_zip": None}

    def _open(self) -> zipfile.ZipFile:
        if self._zip is None:
            try:
                self._zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError) as e:
                key = N_("error.zip.not_zip")
                if isinstance(e, OSError):  # not a zip's fault: the system refused the file
                    key = _UNREADABLE.get(e.errno, N_("error.file.unreadable"))
                raise HandCamError(
                    f"{self.path}: expected a zip archive, found: {e}", key=key, path=str(self.path)
                ) from None
        return self._zip

    def names(self) -> list[str]:
        names = [i.filename for i in self._open().infolist() if not i.is_dir()]
        for n in names:
            # Never trust a member that would escape a folder it was extracted to.
            if n.startswith("/") or re.match(r"^[A-Za-z]:", n) or ".." in n.split("/"):
                raise HandCamError(
                    f"{self.path}: member {n!r} has an absolute path or '..'; "
                    "expected paths inside the archive only. The archive was rejected.",
                    key=N_("error.zip.unsafe_member"),
                    path=str(self.path),
                    member=n,
                )
        return names

    def read(self, name: str, limit: int = MAX_FRAME_BYTES) -> bytes:
        """A member's bytes, checked: its declared size, then its real size as it inflates
        (a member may lie about its size), at most `limit`; a damaged, encrypted or
        unsupported member is a HandCamError naming it."""
        where = f"{self.path}:{name}"
        try:
            info = self._open().getinfo(name)
            if info.file_size > limit:
                raise HandCamError(
                    f"{where}: expected at most {limit:,} bytes, found a member declaring "
                    f"{info.file_size:,}",
                    key=N_("error.zip.member_too_large"),
                    path=where,
                    limit=limit,
                    size=info.file_size,
                )
            with self._open().open(info) as member:
                data = member.read(limit + 1)
        except HandCamError:
            raise
        except KeyError:
            raise HandCamError(
                f"{where}: expected a member of the archive, found none",
                key=N_("error.zip.no_member"),
                path=where,
            ) from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
            raise HandCamError(
                f"{where}: expected an intact zip member, found: {e}",
                key=N_("error.zip.damaged_member"),
                path=where,
            ) from None
        except NotImplementedError as e:  # e.g. deflate64, which zipfile cannot inflate
            raise HandCamError(
                f"{where}: expected a stored or deflated member, found: {e}",
                key=N_("error.zip.unsupported_member"),
                path=where,
            ) from None
        except (
            RuntimeError
        ) as e:  # (after its subclass above) zipfile's "password required" for an encrypted member
            raise HandCamError(
                f"{where}: expected an unencrypted member, found: {e}",
                key=N_("error.zip.encrypted_member"),
                path=where,
            ) from None
        if len(data) > limit:
            raise _more(where, limit)
        return data

    def fingerprint(self, names: list[str]) -> list[str]:
        infos = {i.filename: i for i in self._open().infolist()}
        return [f"{n}:{infos[n].file_size}:{infos[n].CRC}" for n in names]


def open_tree(path: Path) -> FolderTree | ZipTree:
    return ZipTree(path) if path.is_file() else FolderTree(path)
