"""The command line's answers about runs as people read them: a run's figures, the
experiments, the runs stored and two compared, a picture's answer, where a model looks, its
mistakes, a training's estimate and the lab report (`RUN_RENDER`, which `text.render`
picks from)."""

from __future__ import annotations

from collections.abc import Callable

from handclf_core.cli.tables import interval_note, interval_of, pct, sd, table, with_interval


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
                    with_interval(r["test_accuracy"], interval_of(r, "test_accuracy")),
                    with_interval(base["accuracy"], interval_of(r, "majority_baseline")),
                ],
                [
                    "balanced accuracy",
                    with_interval(r["balanced_accuracy"], interval_of(r, "balanced_accuracy")),
                    "",
                ],
                ["macro-F1", with_interval(r["macro_f1"], interval_of(r, "macro_f1")), ""],
                ["train accuracy", pct(r["train_accuracy"]), ""],
            ],
            right=(1, 2),
        ),  # fmt: skip
        "",
        *interval_note(r),
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
        rows = [[c["class_id"], c["name"], c["support"], pct(c["precision"]), pct(c["recall"]),
                 f"{c['f1']:.2f}"] for c in r["per_class"] if c["support"]]  # fmt: skip
        lines += ["", table(["id", "class", "frames", "precision", "recall", "F1"], rows,
                            right=(0, 2, 3, 4, 5))]  # fmt: skip
    return "\n".join(lines)


def _predict(r: dict) -> str:
    rows = [[i + 1, top["name"], pct(top["probability"])] for i, top in enumerate(r["top"])]
    return f"{r['model']} ({r['run']}), {r['hand']} hand, {r['milliseconds']:.0f} ms\n\n" + table(
        ["", "class", "probability"], rows, right=(0, 2)
    )


def _experiments(r: dict) -> str:
    rows = [[e["experiment"], with_interval(e["test_accuracy"], interval_of(e, "test_accuracy")),
             sd(e["test_accuracy_sd"]), pct(e["majority_baseline"]["accuracy"]),
             with_interval(e["balanced_accuracy"], interval_of(e, "balanced_accuracy")),
             pct(e["train_accuracy"]), len(e["seeds"]), f"{e['seconds'] / 60:.1f}",
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
    rows = [[x["name"], x["label"],
             with_interval(x["test_accuracy"], interval_of(x, "test_accuracy")),
             pct(x["majority_baseline"]), pct(x["balanced_accuracy"]),
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
    lines = [f"{r['model']} ({r['run']}), {r['hand']} hand: {r['class']} {pct(r['probability'])}",
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
             ", ".join(f"{t['name']} {pct(t['probability'])}" for t in f["top"])]
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


RUN_RENDER: dict[str, Callable[[dict], str]] = {
    "report": _report,
    "mistakes": _mistakes,
    "explain": _explain,
    "experiments": _experiments,
    "runs": _runs,
    "train": _train,
    "evaluate": _run,
    "predict": _predict,
}
