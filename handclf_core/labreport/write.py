"""A lab report written to disk whole or not at all: the HTML file, or the Markdown file and
its folder of pictures (`<name>_files/` beside it). Where it goes is checked before any work;
a disk that refuses leaves nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

from handclf_core.atomic import written
from handclf_core.errors import HandCamError
from handclf_core.labreport.document import Document
from handclf_core.labreport.render import to_html, to_markdown

FORMATS = {"html": "html", "htm": "html", "md": "md", "markdown": "md"}


def report_format(out: Path, fmt: str | None = None) -> str:
    """ "html" or "md": `fmt`, else from the name's ending; HandCamError saying what was
    expected."""
    if fmt is not None:
        if fmt not in ("html", "md"):
            raise HandCamError(f"--format: expected html or md, found {fmt!r}")
        return fmt
    found = FORMATS.get(out.suffix.lower().lstrip("."))
    if found is None:
        raise HandCamError(
            f"--out {out}: expected a file name ending in .html or .md (or "
            f"--format html|md), found {out.suffix or 'no ending'}"
        )
    return found


def check_out(out: Path) -> None:
    """HandCamError unless a report can be written at `out`: a file name in an existing
    folder this user may write into, not a folder itself."""
    if out.is_dir() and not out.is_symlink():
        raise HandCamError(f"--out {out}: expected a file name for the report, found a folder")
    parent = out.parent
    if not parent.is_dir():
        raise HandCamError(f"--out {out}: expected an existing folder {parent}, found none")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise HandCamError(
            f"--out {out}: expected a folder this user may write into, found "
            f"{parent} read-only; nothing was written"
        )


def pictures_folder(out: Path) -> Path:
    return out.parent / f"{out.stem}_files"


def write_report(doc: Document, out: Path, fmt: str) -> list[Path]:
    """Write `doc` at `out` as `fmt`, whole or not at all; the paths written."""
    out = Path(out)
    check_out(out)
    try:
        if fmt == "html":
            page = to_html(doc)
            with written(out) as tmp:
                tmp.write_text(page, encoding="utf-8")
            return [out]
        folder = pictures_folder(out)
        text, files = to_markdown(doc, folder.name)
        with written(out) as tmp:
            tmp.write_text(text, encoding="utf-8")
            with written(folder) as pictures:  # renamed first: the text never links to nothing
                pictures.mkdir()
                for name, data in files.items():
                    (pictures / name).write_bytes(data)
        return [out, folder]
    except OSError as e:  # a full disk, a read-only or vanishing folder: said, nothing left
        raise HandCamError(
            f"--out {out}: expected to write the lab report there, but {e.strerror or e}; "
            "nothing was written"
        ) from None


def markdown_zip(doc: Document, name: str = "lab-report") -> bytes:
    """The Markdown report and its pictures as one zip: `name`.md and `name`_files/."""
    import io
    import zipfile

    text, files = to_markdown(doc, f"{name}_files")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{name}.md", text)
        for file, data in files.items():
            z.writestr(f"{name}_files/{file}", data)
    return out.getvalue()
