"""The command line's answers as people read them: short aligned tables, in English.

Each command returns one JSON-ready dict (printed as is with `--json`); `render(command,
result)` lays the same dict out for a terminal. Nothing here computes a figure: it only
arranges what the command returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


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


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


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
        [i, name, f"{train[i]:,}", _pct(train[i] / n_train), f"{test[i]:,}", _pct(test[i] / n_test)]
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


def _run(r: dict) -> str:
    base = r["majority_baseline"]
    device = r["device"]
    where = "GPU" if device["kind"] == "gpu" else "CPU"
    lines = [
        f"{r['model']} on task {r['task']}: "
        + ("loaded the stored run" if r["cached"] else "trained and stored"),
        "",
        table(
            ["on the test split", "value", "always answering '" + base["name"] + "'"],
            [
                ["test accuracy", _pct(r["test_accuracy"]), _pct(base["accuracy"])],
                ["balanced accuracy", _pct(r["balanced_accuracy"]), ""],
                ["macro-F1", f"{r['macro_f1']:.3f}", ""],
                ["train accuracy", _pct(r["train_accuracy"]), ""],
            ],
            right=(1, 2),
        ),
        "",
        f"{r['test_frames']:,} test frames; {r['seconds']:.0f} s, "
        f"{r['images_per_second']:,.0f} images/s on {where} ({device['backend']})",
        f"model: {r['model_path']}",
    ]
    if "per_class" in r:
        rows = [[c["class_id"], c["name"], c["support"], _pct(c["precision"]), _pct(c["recall"]),
                 f"{c['f1']:.2f}"] for c in r["per_class"] if c["support"]]  # fmt: skip
        lines += ["", table(["id", "class", "frames", "precision", "recall", "F1"], rows,
                            right=(0, 2, 3, 4, 5))]  # fmt: skip
    return "\n".join(lines)


def _predict(r: dict) -> str:
    rows = [[i + 1, top["name"], _pct(top["probability"])] for i, top in enumerate(r["top"])]
    return f"{r['model']} ({r['run']}), {r['hand']} hand, {r['milliseconds']:.0f} ms\n\n" + table(
        ["", "class", "probability"], rows, right=(0, 2)
    )


def _prepare(r: dict) -> str:
    if r["cached"]:
        store = f"{r['frames']:,} frames in the frame store already"
    else:
        store = (f"{r['frames']:,} frames decoded into the frame store in {r['seconds']:.1f} s "
                 f"({r['frames_per_second']:,.0f} frames/s)")  # fmt: skip
    shape = "x".join(map(str, r["variant_shape"][1:]))
    return f"{store}; inputs {shape} ready ({r['variant_bytes'] / 1e6:,.1f} MB)"


def _sample(r: dict) -> str:
    what = "already there" if r["cached"] else "written"
    w, h = r["size"]
    return f"built-in sample {what}: {r['frames']:,} PNG frames of {w}x{h} in {r['path']}"


def _experiments(r: dict) -> str:
    rows = [[e["experiment"], _pct(e["test_accuracy"]), _pct(e["majority_baseline"]["accuracy"]),
             _pct(e["balanced_accuracy"]), _pct(e["train_accuracy"]), f"{e['seconds'] / 60:.1f}",
             "loaded" if e["cached"] else "trained"] for e in r["experiments"]]  # fmt: skip
    head = f"{r['size']} experiments on {r['dataset']}{' (built-in sample)' if r['sample'] else ''}"
    headers = ["experiment", "test", "baseline", "balanced", "train", "minutes", ""]
    return head + "\n\n" + table(headers, rows, right=(1, 2, 3, 4, 5))


def _runs(r: dict) -> str:
    if "deleted" in r:
        return f"deleted {r['deleted']}" if r["deleted"] else "nothing deleted"
    rows = [[x["name"], x["label"], _pct(x["test_accuracy"]), _pct(x["majority_baseline"]),
             _pct(x["balanced_accuracy"]), "baseline only" if x["frequencies_only"] else "",
             x["created"][:16].replace("T", " ")] for x in r["runs"]]  # fmt: skip
    lines = [table(["run", "what", "test", "baseline", "balanced", "", "created"], rows,
                   right=(2, 3, 4))] if rows else ["no stored runs"]  # fmt: skip
    lines += [f"damaged, left out: {d}" for d in r["damaged"]]
    return "\n".join(lines)


def _explain(r: dict) -> str:
    grid = r["grid"]
    top = max(max(row) for row in grid) or 1.0
    shades = " .:-=+*#%@"  # covering the cell lowers the answer: little ... most
    art = ["  " + " ".join(shades[min(9, int(v / top * 9.99))] * 2 for v in row) for row in grid]
    lines = [f"{r['model']} ({r['run']}), {r['hand']} hand: {r['class']} {_pct(r['probability'])}",
             f"where it looks (occlusion, {len(grid)}x{len(grid)} cells, "
             f"{r['milliseconds']:.0f} ms): # where covering lowers '{r['class']}' most", "",
             *art]  # fmt: skip
    if r["out"]:
        lines += ["", f"heat map over the picture: {r['out']}"]
    return "\n".join(lines)


def _mistakes(r: dict) -> str:
    lines = [f"{r['model']} ({r['run']}): {r['test_frames']} test frames"
             + (", scored now and stored with the run" if r["scored_now"] else "")]  # fmt: skip
    if r["cell"] is None:
        rows = [[c["true"], c["predicted"], c["frames"], "" if c["true"] != c["predicted"]
                 else "right"] for c in r["cells"]]  # fmt: skip
        lines += ["", table(["true class", "answered", "frames", ""], rows, right=(2,)), "",
                  "the frames of one cell: --cell TRUE:PREDICTED"]  # fmt: skip
        return "\n".join(lines)
    c = r["cell"]
    lines.append(
        f"{c['true']} answered {c['predicted']}: {c['frames']} frames"
        + (f", the first {len(r['frames'])}" if len(r["frames"]) < c["frames"] else "")
    )
    rows = [[f["file"], f["hand"], f["recording"], f["frame"],
             ", ".join(f"{t['name']} {_pct(t['probability'])}" for t in f["top"])]
            for f in r["frames"]]  # fmt: skip
    lines += ["", table(["file", "hand", "recording", "frame", "top 3"], rows, right=(3,))]
    return "\n".join(lines)


RENDER: dict[str, Callable[[dict], str]] = {
    "mistakes": _mistakes,
    "explain": _explain,
    "experiments": _experiments,
    "runs": _runs,
    "stats": _stats,
    "models": _models,
    "train": _run,
    "evaluate": _run,
    "predict": _predict,
    "prepare": _prepare,
    "sample": _sample,
}


def render(command: str, result: dict) -> str:
    """What `command` answered, for a terminal."""
    return RENDER[command](result)
