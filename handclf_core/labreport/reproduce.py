"""How to reproduce a lab report's runs: the dataset named without a path of the machine
(the built-in sample by its settings), the software, devices and precisions, each run's key,
and the command line that trains each run again, every setting spelt out (the test parses
each and gets the same run key)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from handclf_core import i18n
from handclf_core.data.sample import DEFAULT_SIZE, DEFAULT_STRIDE
from handclf_core.errors import HandCamError
from handclf_core.i18n import N_
from handclf_core.labreport.document import Bullets, Code, Paragraph, Section, Table
from handclf_core.runs.record import Run
from handclf_core.views.runs import header

if TYPE_CHECKING:
    from handclf_core.labreport.sections import Facts

DEFAULT_SAMPLE = (DEFAULT_STRIDE, f"{DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}", 0)
SAMPLE_FOLDER = "handcam-sample"  # where the reproduction draws a sample of other settings


_SAMPLE = re.compile(r"stride=(\d+) size=(\d+x\d+) seed=(\d+)")


def sample_settings(run: Run) -> tuple[int, str, int] | None:
    """(stride, "WxH", seed) of the built-in sample a run trained on, from its SAMPLE.txt;
    None for the real data, or a sample no longer where it was."""
    from handclf_core.data.trees import read_file

    if not run.dataset.sample:
        return None
    try:
        text = read_file(Path(run.dataset.description) / "SAMPLE.txt", 4096).decode()
    except (HandCamError, UnicodeDecodeError):
        return None
    m = _SAMPLE.search(text)
    return (int(m[1]), m[2], int(m[3])) if m else None


def dataset_name(run: Run, lang: str) -> str:
    """The dataset as a report names it: the sample by its settings, never a path of the
    machine that wrote the report; the real data by its folder's name."""
    found = sample_settings(run)
    if found:
        stride, size, seed = found
        return i18n.translate(lang, N_("lab.sample_name"), stride=stride, size=size, seed=seed)
    return f"`{Path(run.dataset.description).name}`"


def command(run: Run) -> str:
    """The command line that trains `run` again, every setting spelt out."""
    from handclf_core.models import get_recipe

    c = run.config
    words = [
        "python -m handclf_core train",
        f"--model {c.model}",
        f"--task {c.task}",
        f"--epochs {c.epochs}",
        f"--batch-size {c.batch_size}",
        f"--lr {c.learning_rate!r}",
        f"--size {c.size}",
        "--gray" if c.gray else "--rgb",
        "--flip" if c.flip_right else "--no-flip",
    ]
    if get_recipe(c.model).optimizer == "sgd":
        words.append(f"--momentum {c.momentum!r}")
    words += ["--crop"] if c.crop else []
    words += [f"--balance {c.balance}"] + ([] if c.shuffle else ["--no-shuffle"])
    words.append(f"--validation {c.held_out or c.validation}")
    words += [f"--precision {c.precision}"] + ([f"--limit {c.limit}"] if c.limit else [])
    words += [f"--seed {c.seed}", "--retrain"]
    if not run.dataset.sample:
        words.append(f"--data {run.dataset.description}")
    elif sample_settings(run) not in (None, DEFAULT_SAMPLE):
        words.append(f"--data {SAMPLE_FOLDER}")
    return " ".join(words)


def _sample_command(runs: list[Run]) -> list[str]:
    """The command that draws the sample the runs trained on, where it is not the default."""
    found = sample_settings(runs[0])
    if found in (None, DEFAULT_SAMPLE):
        return []
    stride, size, seed = found
    return [
        f"python -m handclf_core sample --stride {stride} --size {size} --seed {seed} "
        f"--out {SAMPLE_FOLDER}"
    ]


def section(f: Facts) -> Section:
    t, lang, run = f.t, f.lang, f.runs[0]
    from handclf_core.views.runs import device_name

    envs = {
        (e.keras, e.tensorflow, e.python, e.platform, e.device.backend)
        for e in (r.environment for r in f.runs)
    }
    facts = [
        t("lab.repro.dataset", dataset=dataset_name(run, lang), identity=run.dataset.identity),
        *(
            t(
                "lab.repro.software",
                keras=k,
                tensorflow=tf or "—",
                python=py,
                platform=pl,
                backend=b,
            )
            for k, tf, py, pl, b in sorted(envs, key=str)
        ),
        t(
            "lab.repro.devices",
            devices=t("lab.list_separator").join(
                sorted({device_name(r.environment.device, lang) for r in f.runs})
            ),
        ),
        t(
            "lab.repro.precisions",
            precisions=t("lab.list_separator").join(
                sorted({i18n.name(r.config.precision, lang) for r in f.runs})
            ),
        ),
    ]
    labels = f.labels()
    rows = [
        {
            header("run", lang): labels[id(s)],
            header("seed", lang): str(r.config.seed),
            header("run_name", lang): f"`{r.name}`",
            header("created", lang): r.created,
        }
        for s in f.found
        for r in s.runs
    ]
    return Section(
        t("lab.reproduce_title"),
        (
            Bullets(tuple(facts)),
            Table(pd.DataFrame(rows)),
            Paragraph(t("lab.repro_text")),
            Code((*_sample_command(f.runs), *(command(r) for s in f.found for r in s.runs))),
        ),
    )
