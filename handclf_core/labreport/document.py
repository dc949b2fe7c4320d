"""What a lab report is made of, whatever it is written as: sections of paragraphs, lists,
tables, charts and pictures, already in the reader's language. `build` fills it from the
runs; `render` lays it out as HTML or Markdown, and adds no word of its own."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Paragraph:
    text: str  # plain text; `code` between backticks
    kind: str = "text"  # "text", or "warning" (the sample, a run at the baseline)


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    kind: str = "text"  # "finding", "not_shown" or "text"


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame  # headed in the reader's language; every cell text
    caption: str = ""


@dataclass(frozen=True)
class Chart:
    name: str  # a file name without extension ("accuracy"): the Markdown's PNG
    spec: dict  # Vega-Lite, at a fixed width
    caption: str = ""


@dataclass(frozen=True)
class Picture:
    png: bytes
    caption: str


@dataclass(frozen=True)
class Pictures:
    name: str  # the Markdown's file names start with it
    items: tuple[Picture, ...]


@dataclass(frozen=True)
class Code:
    lines: tuple[str, ...]


Block = Paragraph | Bullets | Table | Chart | Pictures | Code


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    lang: str  # "en" or "zh_TW"
    title: str
    subtitle: str
    sections: tuple[Section, ...]
