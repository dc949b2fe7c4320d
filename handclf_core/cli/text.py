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


def _with(x: float | None, interval: list | None) -> str:
    """ "64.4% (58.6–68.5)": a figure with its 95% interval, when it has one."""
    if interval is None or x is None:
        return _pct(x)
    return f"{x:.1%} ({interval[0] * 100:.1f}–{interval[1] * 100:.1f})"


def _interval_of(r: dict, metric: str) -> list | None:
    return (r.get("intervals") or {}).get(metric)


def _interval_note(r: dict) -> list[str]:
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
    seeds = r.get("seeds")
    what = (
        ("loaded the stored runs" if r["cached"] else "trained and stored")
        if seeds
        else ("loaded the stored run" if r["cached"] else "trained and stored")
    )
    head = f"{r['model']} on task {r['task']}: {what}"
    if seeds:
        head += f" (seeds {', '.join(map(str, seeds))}: figures are their mean)"
    lines = [
        head,
        "",
        table(
            [
                "on the test split",
                "value (95% interval)",
                "always answering '" + base["name"] + "'",
            ],
            [
                [
                    "test accuracy",
                    _with(r["test_accuracy"], _interval_of(r, "test_accuracy")),
                    _with(base["accuracy"], _interval_of(r, "majority_baseline")),
                ],
                [
                    "balanced accuracy",
                    _with(r["balanced_accuracy"], _interval_of(r, "balanced_accuracy")),
                    "",
                ],
                ["macro-F1", _with(r["macro_f1"], _interval_of(r, "macro_f1")), ""],
                ["train accuracy", _pct(r["train_accuracy"]), ""],
            ],
            right=(1, 2),
        ),  # fmt: skip
        "",
        *_interval_note(r),
    ]
    if seeds:
        lo, hi = r["test_accuracy_range"]
        sd = r["test_accuracy_sd"]
        lines.append(
            f"over the seeds: test accuracy {lo:.1%} to {hi:.1%}"
            + (f", standard deviation {sd * 100:.1f} points" if sd is not None else "")
        )
        lines.append("runs: " + ", ".join(r["runs"]))
    else:
        lines += [
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
    line = (f"frame store: {plan.to_decode:,} frames to decode, {_bytes(plan.bytes)} on disk "
            f"({_bytes(plan.free)} free)")  # fmt: skip
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


def _bytes(n: int) -> str:
    return f"{n / 1e9:,.2f} GB" if n >= 1e9 else f"{n / 1e6:,.1f} MB"


def _sample(r: dict) -> str:
    what = "already there" if r["cached"] else "written"
    w, h = r["size"]
    return f"built-in sample {what}: {r['frames']:,} PNG frames of {w}x{h} in {r['path']}"


def _sd(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}"


def _experiments(r: dict) -> str:
    rows = [[e["experiment"], _with(e["test_accuracy"], _interval_of(e, "test_accuracy")),
             _sd(e["test_accuracy_sd"]), _pct(e["majority_baseline"]["accuracy"]),
             _with(e["balanced_accuracy"], _interval_of(e, "balanced_accuracy")),
             _pct(e["train_accuracy"]), len(e["seeds"]), f"{e['seconds'] / 60:.1f}",
             "baseline?" if e["frequencies_only"] else "",
             "loaded" if e["cached"] else "trained"] for e in r["experiments"]]  # fmt: skip
    head = f"{r['size']} experiments on {r['dataset']}{' (built-in sample)' if r['sample'] else ''}"
    headers = ["experiment", "test (95% interval)", "sd", "baseline", "balanced (95% interval)",
               "train", "seeds", "minutes", "", ""]  # fmt: skip
    notes = ["", "figures: the mean over the seeds; 95% intervals over the test recordings "
             "(recordings and seeds resampled); sd: over the seeds, in points; baseline?: not "
             "distinguishable from always answering the majority class"]  # fmt: skip
    return head + "\n\n" + table(headers, rows, right=(1, 2, 3, 4, 5, 6, 7)) + "\n".join(notes)


def _runs(r: dict) -> str:
    if "deleted" in r:
        return f"deleted {r['deleted']}" if r["deleted"] else "nothing deleted"
    if "verdict" in r:
        return _compared(r)
    rows = [[x["name"], x["label"], _with(x["test_accuracy"], _interval_of(x, "test_accuracy")),
             _pct(x["majority_baseline"]), _pct(x["balanced_accuracy"]),
             "baseline?" if x["frequencies_only"] else "",
             x["created"][:16].replace("T", " ")] for x in r["runs"]]  # fmt: skip
    lines = [table(["run", "what", "test (95% interval)", "baseline", "balanced", "", "created"],
                   rows, right=(2, 3, 4))] if rows else ["no stored runs"]  # fmt: skip
    if rows:
        lines += ["", "95% intervals over the test recordings; baseline?: not distinguishable "
                  "from always answering the majority class; — : no interval (the run was kept "
                  "before its test predictions, or its frame store is gone)"]  # fmt: skip
    lines += [f"damaged, left out: {d}" for d in r["damaged"]]
    return "\n".join(lines)


def _compared(r: dict) -> str:
    lo, hi = (x * 100 for x in r["interval"])
    metric, d = r["metric"].replace("_", " "), r["difference"] * 100
    if r["verdict"] == "neither":
        verdict = (f"within the noise of {r['test_recordings']} test recordings: this test "
                   "split cannot tell them apart")  # fmt: skip
    else:
        ahead = r["a_label"] if r["verdict"] == "a" else r["b_label"]
        verdict = f"{ahead} is ahead: a real difference on this test split"
    return (
        f"{r['a_label']} ({r['a']})\nminus {r['b_label']} ({r['b']})\n\n"
        f"{metric}: {d:+.1f} points (95% interval {lo:+.1f} to {hi:+.1f}, paired on the same "
        f"test frames)\n{verdict}"
    )


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


def _estimate(r: dict) -> str:
    """`train --estimate`, for people."""
    from handclf_core.i18n import duration

    b = r["basis"]
    if r["seconds"] is None:
        return "unknown: no earlier run of this setting on this device to measure its speed by"
    if not r["to_train"]:
        return f"stored: {r['stored']} run(s) load in seconds, nothing to train"
    source = (f"from {b['runs']} earlier run(s) of this setting here" if b["source"] == "runs"
              else "from the classroom CPU's measured rates")  # fmt: skip
    line = f"about {duration(r['seconds'])} to train {r['to_train']} run(s), {source}"
    if b.get("cpu_share", 1) < 1:
        line += (f"; other work wants {b['other_load']:.1f} of {b['cores']} cores: a training "
                 f"gets about {b['cpu_share']:.0%} of the CPU, counted")  # fmt: skip
    if r["stored"]:
        line += f"; {r['stored']} stored run(s) load in seconds"
    return line


def _train(r: dict) -> str:
    return _estimate(r) if "basis" in r else _run(r)


def _report(r: dict) -> str:
    lines = [
        f"wrote the lab report ({r['format']}, {r['lang']}): " + ", ".join(r["written"]),
        f"{r['settings']} settings of {len(r['runs'])} runs; {r['findings']} findings, "
        f"{r['not_shown']} claims not shown at this size (within the noise)",
    ]
    if r["sample"]:
        lines.append("the runs were trained on the built-in sample: the report says so first")
    return "\n".join(lines)


RENDER: dict[str, Callable[[dict], str]] = {
    "report": _report,
    "mistakes": _mistakes,
    "explain": _explain,
    "experiments": _experiments,
    "runs": _runs,
    "stats": _stats,
    "models": _models,
    "train": _train,
    "evaluate": _run,
    "predict": _predict,
    "prepare": _prepare,
    "sample": _sample,
}


def render(command: str, result: dict) -> str:
    """What `command` answered, for a terminal."""
    return RENDER[command](result)
