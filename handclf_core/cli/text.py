"""The command line's answers as people read them: short aligned tables, in English.

Each command returns one JSON-ready dict (printed as is with `--json`); `render(command,
result)` lays the same dict out for a terminal. Nothing here computes a figure: it only
arranges what the command returned.
"""

from __future__ import annotations

from collections.abc import Callable

from handclf_core.cli.tables import pct, size_text, table
from handclf_core.cli.text_runs import RUN_RENDER


def _stats(r: dict) -> str:
    splits = r["splits"]
    base = r["majority_baseline"]
    head = (
        f"{r['dataset']}{' (built-in sample)' if r['sample'] else ''}, task {r['task']} "
        f"({len(r['classes'])} classes)"
    )
    parts = [head, ""]
    rows = []
    for name, s in splits.items():
        hands = s["frames_per_hand"]
        ratio = s["imbalance_ratio"]
        shown = "—" if ratio is None else f"{ratio:,.1f} : 1"
        rows.append([name, f"{s['frames']:,}", s["recordings"], f"{hands['Lhand']:,}",
                     f"{hands['Rhand']:,}", shown])  # fmt: skip
    parts.append(table(["split", "frames", "recordings", "left hand", "right hand", "imbalance"],
                       rows, right=(1, 2, 3, 4, 5)))  # fmt: skip
    parts.append("")
    train, test = splits["train"]["class_counts"], splits["test"]["class_counts"]
    n_train, n_test = max(sum(train), 1), max(sum(test), 1)
    rows = [
        [i, name, f"{train[i]:,}", pct(train[i] / n_train), f"{test[i]:,}", pct(test[i] / n_test)]
        for i, name in enumerate(r["classes"])
    ]
    parts.append(
        table(["id", "class", "train", "share", "test", "share"], rows, right=(0, 2, 3, 4, 5))
    )
    parts.append("")
    parts.append(
        f"Always answering '{base['class']}' (the training split's most frequent class) scores "
        f"{base['test_accuracy']:.1%} on the test split: every model must beat that."
    )
    return "\n".join(parts)


def _models(r: dict) -> str:
    rows = [
        [m["name"], "x".join(map(str, m["input_shape"])), f"{m['params']:,}",
         m["optimizer"] + (f" (momentum {m['momentum']:g})" if m["momentum"] else ""),
         f"{m['learning_rate']:g}", m["batch_size"], m["epochs"],
         "yes" if m["flip_right"] else "no"]
        for m in r["models"]
    ]  # fmt: skip
    headers = ["model", "input", "parameters", "optimizer", "lr", "batch", "epochs", "mirror right"]
    return f"task {r['task']}\n\n" + table(headers, rows, right=(2, 4, 5, 6))


def _prepare(r: dict) -> str:
    if r["cached"]:
        store = f"{r['frames']:,} frames in the frame store already"
    else:
        resumed = r.get("resumed", 0)
        store = (f"{r['frames'] - resumed:,} frames decoded into the frame store in "
                 f"{r['seconds']:.1f} s ({r['frames_per_second']:,.0f} frames/s)")  # fmt: skip
        if resumed:
            store += f", {resumed:,} more kept from an interrupted build"
    shape = "x".join(map(str, r["variant_shape"][1:]))
    return f"{store}; inputs {shape} ready ({r['variant_bytes'] / 1e6:,.1f} MB)"


def prepare_plan(plan, seconds: float | None = None) -> str:
    """The line `prepare` prints before decoding: what building the frame store takes (a
    `BuildPlan`), and how long when `seconds` is known."""
    line = (f"frame store: {plan.to_decode:,} frames to decode, {size_text(plan.bytes)} on disk "
            f"({size_text(plan.free)} free)")  # fmt: skip
    if seconds is not None:
        from handclf_core.i18n import duration

        line += f", about {duration(seconds)} here now"
    if plan.decoded:
        line += f"; resuming: {plan.decoded:,} of {plan.frames:,} frames already decoded"
    return line


def prepare_interrupted(plan) -> str:
    """What an interrupted `prepare` keeps (the `BuildPlan` left; None: the store is whole)."""
    if plan is None:
        return "interrupted; the frame store is complete and kept"
    return (f"interrupted; {plan.decoded:,} of {plan.frames:,} frames decoded are kept: "
            "run prepare again to resume")  # fmt: skip


def _sample(r: dict) -> str:
    what = "already there" if r["cached"] else "written"
    w, h = r["size"]
    return f"built-in sample {what}: {r['frames']:,} PNG frames of {w}x{h} in {r['path']}"


RENDER: dict[str, Callable[[dict], str]] = {
    **RUN_RENDER,
    "stats": _stats,
    "models": _models,
    "prepare": _prepare,
    "sample": _sample,
}


def render(command: str, result: dict) -> str:
    """What `command` answered, for a terminal."""
    return RENDER[command](result)
