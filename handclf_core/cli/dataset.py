"""The dataset a command reads: `--data`, else $HANDCAM_DATA, else the built-in sample."""

from __future__ import annotations

import sys

from handclf_core.cli.bars import progress_bar
from handclf_core.errors import HandCamError


def dataset_of(args, lacking: str | None = None):
    """The dataset of `--data` (else $HANDCAM_DATA, else the built-in sample), read once per
    command. A command that only reads stored runs gives `lacking`, what it expected: it
    uses the sample only where it is built already, and asks for `--data` rather than
    generate it (minutes, and a hundred megabytes in the cache)."""
    import os

    from handclf_core.data.dataset import load_dataset
    from handclf_core.data.sample import default_sample_dir

    if getattr(args, "read_dataset", None) is not None:
        return args.read_dataset
    given = args.data or os.environ.get("HANDCAM_DATA")
    if lacking and not given and not default_sample_dir().is_dir():
        raise HandCamError(
            f"{lacking}, found none; give --data (the dataset the runs were trained on)"
        )
    with progress_bar("generating the built-in sample") as update:
        ds = load_dataset(args.data, progress=update, subset=args.subset)
    if ds.missing:
        print(
            f"reading a subset: {len(ds.missing)} hand-camera folders of the HandCam layout are "
            f"missing (e.g. {', '.join(ds.missing[:3])})",
            file=sys.stderr,
        )
    if ds.is_sample:
        print(
            f"using the built-in sample ({ds.description}): synthetic pictures over real "
            "HandCam labels",
            file=sys.stderr,
        )
    args.read_dataset = ds
    return ds


def lacking_data(run) -> str:
    """What a command that reads `run` expected, where neither --data nor the sample is."""
    return (
        f"{run.name}: expected the dataset it was trained on ({run.dataset.description}) "
        "with --data or $HANDCAM_DATA"
    )
