"""A lab report laid out: one self-contained HTML file (charts as inline SVG, frames as
embedded PNGs, print styles for an A4 "Print to PDF"), or Markdown with its charts and
frames as PNG files in a folder beside it. Charts are drawn by vl-convert (no browser, no
request to any server); nothing here adds a word to the document's."""

from __future__ import annotations

import base64
import html
import json
import re

from handclf_core.labreport.document import (
    Block,
    Bullets,
    Chart,
    Code,
    Document,
    Paragraph,
    Pictures,
    Table,
)

HTML_LANG = {"en": "en", "zh_TW": "zh-Hant-TW"}
CSS = """
body { font-family: "Noto Sans", "Noto Sans CJK TC", "Helvetica Neue", Arial, sans-serif;
  color: #1a1a1a; line-height: 1.5; margin: 0; }
main { max-width: 860px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.8em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
.subtitle { color: #555; margin-top: 0; }
.warning { background: #fff4e5; border-left: 4px solid #e65100; padding: 8px 12px; }
ul.finding li::marker { content: "✔ "; color: #2e7d32; }
ul.not_shown li::marker { content: "≈ "; color: #757575; }
table { border-collapse: collapse; width: 100%; font-size: 0.8em; margin: 8px 0; }
th, td { border: 1px solid #ccc; padding: 3px 5px; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
th { background: #f2f2f2; }
figure { margin: 12px 0; }
figure svg { max-width: 100%; height: auto; }
figcaption, .caption { font-size: 0.85em; color: #444; }
.frames { display: flex; flex-wrap: wrap; gap: 8px; }
.frames figure { margin: 0; width: 200px; }
.frames img { width: 100%; }
pre { background: #f6f6f6; padding: 8px; white-space: pre-wrap; overflow-wrap: anywhere;
  font-size: 0.75em; }
@page { size: A4; margin: 14mm; }
@media print {
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure, tr, .warning, li { break-inside: avoid; }
}
"""


def inline(text: str) -> str:
    """The documents' light markup as HTML: **bold** and `code`, the rest escaped."""
    out = html.escape(text, quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", out)


def svg(spec: dict, prefix: str) -> str:
    """A chart as inline SVG, its ids prefixed so that charts on one page do not share
    clip paths."""
    import vl_convert

    drawn = vl_convert.vegalite_to_svg(json.dumps(spec))
    return re.sub(r'(id="|url\(#|href="#)', rf"\g<1>{prefix}-", drawn)


def _unbroken(value) -> str:
    """A cell's text, "(42.3–65.5)" kept on one line (as Compare's table keeps it)."""
    return str(value).replace("–", "\u2060–\u2060")


def _html_block(block: Block, n: int) -> str:
    if isinstance(block, Paragraph):
        kind = ' class="warning"' if block.kind == "warning" else ""
        return f"<p{kind}>{inline(block.text)}</p>"
    if isinstance(block, Bullets):
        items = "".join(f"<li>{inline(i)}</li>" for i in block.items)
        return f'<ul class="{block.kind}">{items}</ul>'
    if isinstance(block, Table):
        head = "".join(f"<th>{inline(str(c))}</th>" for c in block.frame.columns)
        rows = "".join(
            "<tr>" + "".join(f"<td>{inline(_unbroken(v))}</td>" for v in row) + "</tr>"
            for row in block.frame.itertuples(index=False)
        )
        caption = f'<p class="caption">{inline(block.caption)}</p>' if block.caption else ""
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{caption}"
    if isinstance(block, Chart):
        caption = f"<figcaption>{inline(block.caption)}</figcaption>" if block.caption else ""
        return f'<figure class="chart">{svg(block.spec, f"c{n}")}{caption}</figure>'
    if isinstance(block, Pictures):
        figures = "".join(
            f'<figure><img alt="{html.escape(p.caption)}" src="data:image/png;base64,'
            f'{base64.b64encode(p.png).decode()}"><figcaption>{inline(p.caption)}</figcaption>'
            "</figure>"
            for p in block.items
        )
        return f'<div class="frames">{figures}</div>'
    if isinstance(block, Code):
        return f"<pre><code>{html.escape(chr(10).join(block.lines))}</code></pre>"
    raise TypeError(f"not a block of a report: {block!r}")


def to_html(doc: Document) -> str:
    """The report as one HTML file that needs nothing else."""
    body, n = [], 0
    for section in doc.sections:
        body.append(f"<section><h2>{inline(section.title)}</h2>")
        for block in section.blocks:
            n += 1
            body.append(_html_block(block, n))
        body.append("</section>")
    return (
        f'<!doctype html>\n<html lang="{HTML_LANG[doc.lang]}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(doc.title)}</title><style>{CSS}</style></head><body><main>"
        f'<h1>{inline(doc.title)}</h1><p class="subtitle">{inline(doc.subtitle)}</p>'
        + "\n".join(body)
        + "</main></body></html>\n"
    )


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", "<br>")


def _md_block(block: Block, folder: str, files: dict[str, bytes]) -> str:
    import vl_convert

    if isinstance(block, Paragraph):
        return f"> **⚠** {block.text}" if block.kind == "warning" else block.text
    if isinstance(block, Bullets):
        return "\n".join(f"- {i}" for i in block.items)
    if isinstance(block, Table):
        cols = list(block.frame.columns)
        lines = ["| " + " | ".join(map(_cell, cols)) + " |", "|" + "---|" * len(cols)]
        lines += [
            "| " + " | ".join(map(_cell, row)) + " |" for row in block.frame.itertuples(index=False)
        ]
        return "\n".join(lines) + (f"\n\n*{block.caption}*" if block.caption else "")
    if isinstance(block, Chart):
        name = f"{len(files) + 1:02d}-{block.name}.png"
        files[name] = _few_colours(vl_convert.vegalite_to_png(json.dumps(block.spec), scale=2))
        alt_text = block.caption.replace("[", "(").replace("]", ")") or block.name
        text = f"![{alt_text}]({folder}/{name})"
        return text + (f"\n\n*{block.caption}*" if block.caption else "")
    if isinstance(block, Pictures):
        out = []
        for i, p in enumerate(block.items, 1):
            name = f"{len(files) + 1:02d}-{block.name}-{i}.png"
            files[name] = p.png
            out.append(f"![{p.caption}]({folder}/{name})<br>*{p.caption}*")
        return "\n\n".join(out)
    if isinstance(block, Code):
        return "```bash\n" + "\n".join(block.lines) + "\n```"
    raise TypeError(f"not a block of a report: {block!r}")


def _few_colours(png: bytes) -> bytes:
    """A chart's PNG in 256 colours: a fourth of the bytes, the text as sharp."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as drawn:
        few = drawn.convert("RGB").quantize(256, Image.Quantize.FASTOCTREE, dither=0)
    out = io.BytesIO()
    few.save(out, format="PNG", optimize=True)
    return out.getvalue()


def to_markdown(doc: Document, folder: str) -> tuple[str, dict[str, bytes]]:
    """The report as Markdown, its pictures linked in `folder` (a name beside the file), and
    those pictures: {file name: PNG bytes}."""
    files: dict[str, bytes] = {}
    parts = [f"# {doc.title}", f"*{doc.subtitle}*"]
    for section in doc.sections:
        parts.append(f"## {section.title}")
        parts.extend(_md_block(b, folder, files) for b in section.blocks)
    return "\n\n".join(parts) + "\n", files
