"""`python -m handclf_core report`: the lab report of stored runs, as HTML or Markdown."""

from __future__ import annotations

from pathlib import Path

from handclf_core.errors import HandCamError

LANGS = {"en": "en", "zh-TW": "zh_TW", "zh_TW": "zh_TW"}


def check(args) -> None:
    """Everything a report needs, refused before any work: where it goes, its format and
    language, and the runs (each read and checked)."""
    from handclf_core.labreport.build import check_runs
    from handclf_core.labreport.write import check_out, report_format

    out = Path(args.out).expanduser()
    check_out(out)
    args.format = report_format(out, args.format)
    check_runs(_runs(args))


def _runs(args) -> list:
    from handclf_core.runs.folders import run_folder
    from handclf_core.runs.record import read_run

    if getattr(args, "read_runs", None) is None:
        names = list(dict.fromkeys(args.runs))  # a run named twice is reported once
        args.read_runs = [read_run(run_folder(n)) for n in names]
    return args.read_runs


def _frames(args, run):
    """The frame table of the runs' dataset: its store's, else the dataset of --data."""
    from handclf_core.cli.dataset import dataset_of, lacking_data
    from handclf_core.data.store import stored_frames, stored_store

    frames, store = stored_frames(run.dataset.identity), stored_store(run.dataset.identity)
    if frames is not None:
        return frames, store
    ds = dataset_of(args, lacking_data(run))
    if ds.identity != run.dataset.identity:
        raise HandCamError(
            f"{run.name} was trained on {run.dataset.description}: give that "
            "dataset with --data to report it"
        )
    return ds.hand_frames(), None


def cmd_report(args) -> dict:
    from handclf_core.labreport.build import build_report
    from handclf_core.labreport.write import write_report

    runs = _runs(args)
    frames, store = _frames(args, runs[0])
    report = build_report(runs, frames, LANGS[args.lang], store=store)
    written = write_report(report.document, Path(args.out).expanduser(), args.format)
    return {
        "written": [str(p) for p in written],
        "format": args.format,
        "lang": LANGS[args.lang],
        "sample": report.sample,
        "settings": len(report.settings),
        "runs": [r.name for r in runs],
        "findings": sum(c.holds for c in report.claims),
        "not_shown": sum(not c.holds for c in report.claims),
        "claims": [
            {
                "a": [r.name for r in c.a.runs],
                "b": [r.name for r in c.b.runs] if c.b else None,
                "kind": c.kind,
                **c.difference.as_json(),
            }
            for c in report.claims
        ],
    }
