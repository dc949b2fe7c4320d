"""How the command line writes its figures: aligned tables, percentages with their 95%
intervals (and what the brackets mean), spreads over seeds, sizes on disk."""

from __future__ import annotations

from collections.abc import Sequence


def table(headers: Sequence[str], rows: Sequence[Sequence], right: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell; the columns in `right` aligned right."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def with_interval(x: float | None, interval: list | None) -> str:
    """ "64.4% (58.6–68.5)": a figure with its 95% interval, when it has one."""
    if interval is None or x is None:
        return pct(x)
    return f"{x:.1%} ({interval[0] * 100:.1f}–{interval[1] * 100:.1f})"


def interval_of(r: dict, metric: str) -> list | None:
    return (r.get("intervals") or {}).get(metric)


def interval_note(r: dict) -> list[str]:
    """What the brackets mean, and the verdict against the baseline."""
    if not r.get("intervals"):
        return ["no interval: this run was kept before its test predictions were "
                "(`mistakes --model RUN` scores it once)"]  # fmt: skip
    lines = [
        f"in brackets: 95% interval over the {r['test_recordings']} test recordings "
        "(whole recordings resampled; frames of one recording are not independent)"
    ]
    if r["frequencies_only"]:
        lines.append("not distinguishable from always answering the majority class: the "
                     "interval of its accuracy or balanced accuracy minus the baseline's "
                     "reaches 0")  # fmt: skip
    return lines


def size_text(n: int) -> str:
    return f"{n / 1e9:,.2f} GB" if n >= 1e9 else f"{n / 1e6:,.1f} MB"


def sd(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}"
