"""Bad input, the third round, on the command line: every number a user gives has a stated
range that argparse checks before any work, choices are listed as their plain ids, every
refused setting is refused before TensorFlow loads, a command that only reads runs asks for
the data it lacks instead of generating the built-in sample, and Pillow's notes on a
picture it still decodes never reach stderr."""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import warnings

import pytest
from PIL import Image

from handclf_core.cli.parser import build_parser
from tests.test_reliability import refused, run_cli


def _parse_error(capsys, *argv) -> str:
    """argparse's refusal of `argv`: exit 2 and its one `error:` line."""
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args([*map(str, argv)])
    assert e.value.code == 2
    (line,) = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error: ")]
    return line.removeprefix("error: ")


def _subcommands(parser: argparse.ArgumentParser):
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sub.choices.items()


TRAIN = ("train", "--model", "cnn_basic")


@pytest.mark.parametrize(
    "argv, option, found",
    [
        ((*TRAIN, "--seeds", 8589934592), "--seeds", "8589934592"),
        ((*TRAIN, "--seeds", 4294967297), "--seeds", "4294967297"),
        ((*TRAIN, "--seeds", 1000000), "--seeds", "1000000"),
        ((*TRAIN, "--seeds", 0), "--seeds", "0"),
        (("experiments", "--seeds", "2**33"), "--seeds", "2**33"),
        (("mistakes", "--model", "cnn_basic", "--limit", "-1"), "--limit", "-1"),
        (("mistakes", "--model", "cnn_basic", "--limit", 0), "--limit", "0"),
        ((*TRAIN, "--epochs", 10**9), "--epochs", str(10**9)),
        ((*TRAIN, "--epochs", "1.5"), "--epochs", "1.5"),
        ((*TRAIN, "--batch-size", 0), "--batch-size", "0"),
        ((*TRAIN, "--batch-size", 10**12), "--batch-size", str(10**12)),
        ((*TRAIN, "--limit", 0), "--limit", "0"),
        ((*TRAIN, "--size", 100000), "--size", "100000"),
        ((*TRAIN, "--seed", -1), "--seed", "-1"),
        ((*TRAIN, "--seed", 2**32), "--seed", str(2**32)),
        (("experiments", "--seed", 2**40), "--seed", str(2**40)),
        (("prepare", "--size", 0), "--size", "0"),
        (("prepare", "--workers", 0), "--workers", "0"),
        (("prepare", "--workers", 10**6), "--workers", str(10**6)),
        (("sample", "--stride", 0), "--stride", "0"),
        (("sample", "--stride", 10**9), "--stride", str(10**9)),
        (("sample", "--size", "100000x100000"), "--size", "100000x100000"),
        (("sample", "--seed", -5), "--seed", "-5"),
        (("predict", "--model", "m", "--image", "x.png", "--top", 0), "--top", "0"),
        (("predict", "--model", "m", "--image", "x.png", "--top", 10**6), "--top", "1000000"),
        ((*TRAIN, "--lr", "nan"), "--lr", "nan"),
        ((*TRAIN, "--lr", "inf"), "--lr", "inf"),
        ((*TRAIN, "--lr", "-0.1"), "--lr", "-0.1"),
        ((*TRAIN, "--lr", "0"), "--lr", "0"),
        ((*TRAIN, "--momentum", "nan"), "--momentum", "nan"),
        ((*TRAIN, "--momentum", "1"), "--momentum", "1"),
        ((*TRAIN, "--momentum=-inf"), "--momentum", "-inf"),
    ],
)
def test_a_number_out_of_its_range_is_refused_by_the_parser(capsys, argv, option, found):
    line = _parse_error(capsys, *argv)
    assert line.startswith(f"{option}: expected ") and line.endswith(f"found {found}"), line


def test_numbers_in_range_are_taken():
    argv = [*TRAIN, "--seeds", "10", "--seed", str(2**32 - 1), "--epochs", "3", "--lr", "1e-3"]
    args = build_parser().parse_args([*argv, "--momentum", "0"])
    got = (args.seeds, args.seed, args.epochs, args.lr, args.momentum)
    assert got == (10, 2**32 - 1, 3, 0.001, 0.0)
    args = build_parser().parse_args(["sample", "--size", "64x36"])
    assert args.size == (64, 36) and build_parser().parse_args(["sample"]).size == (320, 180)


def test_every_number_option_has_a_range():
    """No option of any command takes a bare int or float: each names its range."""
    for name, sub in _subcommands(build_parser()):
        for action in sub._actions:
            assert action.type not in (int, float), (name, action.option_strings)


def test_every_choice_is_listed_as_its_plain_id(capsys):
    for name, sub in _subcommands(build_parser()):
        for action in sub._actions:
            for choice in action.choices or ():
                assert type(choice) is str, (name, action.option_strings, choice)
    for argv, option in ((("stats", "--task", "bogus"), "--task"),
                         ((*TRAIN, "--balance", "bogus"), "--balance"),
                         ((*TRAIN, "--precision", "bogus"), "--precision"),
                         (("predict", "--model", "m", "--image", "x", "--hand", "up"), "--hand"),
                         (("runs", "list", "--task", "x"), "--task")):  # fmt: skip
        line = _parse_error(capsys, *argv)
        assert line.startswith(f"{option}: invalid choice") and "<" not in line, line
    assert "'obj', 'ges', 'FA'" in _parse_error(capsys, "stats", "--task", "bogus")


def test_vocabulary_options_are_still_their_members():
    from handclf_core.vocab import Balance, Hand, Precision, Task

    args = build_parser().parse_args([*TRAIN, "--balance", "oversample", "--task", "ges",
                                      "--precision", "float32"])  # fmt: skip
    assert (args.balance, args.task, args.precision) == (
        Balance.OVERSAMPLE, Task.GES, Precision.FLOAT32)  # fmt: skip
    assert type(args.balance) is Balance and type(args.task) is Task
    args = build_parser().parse_args(["predict", "--model", "m", "--image", "x", "--hand", "right"])
    assert type(args.hand) is Hand


# Each refused in a fresh process that must end without TensorFlow or Keras imported.
REFUSALS = [
    ([*TRAIN, "--validation", "bogus"], "--validation"),
    (["evaluate", "--model", "cnn_basic", "--validation", "kitchen"], "--validation"),
    (["train", "--model", "alexnet", "--size", "32"], "--size"),
    ([*TRAIN, "--seed", str(2**32 - 1), "--seeds", "3"], "--seeds"),
    ([*TRAIN, "--momentum", "0.5"], "momentum"),
    ([*TRAIN, "--data", "/no/such/dataset"], "/no/such/dataset"),
    (["experiments", "--only", "nothing"], "--only"),
    (["predict", "--model", "no_such_model", "--image", "x.png"], "no_such_model"),
    (["explain", "--model", "no_such_model", "--image", "x.png"], "no_such_model"),
    (["mistakes", "--model", "cnn_basic"], "cnn_basic"),
    ([*TRAIN, "--seeds", "0"], "--seeds"),
]

_PROBE = """
import contextlib, io, json, sys
from handclf_core.cli.main import main
out = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
    heavy = sorted({m.split(".")[0] for m in sys.modules} & {"tensorflow", "keras"})
    out.append({"code": code, "err": err.getvalue(), "heavy": heavy})
print(json.dumps(out))
"""


def test_settings_are_refused_before_tensorflow_loads(tmp_path):
    env = {**os.environ, "HANDCLF_CACHE": str(tmp_path / "cache")}
    env.pop("HANDCAM_DATA", None)
    argvs = [argv for argv, _ in REFUSALS]
    run = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(argvs)],
                         capture_output=True, text=True, env=env)  # fmt: skip
    assert run.returncode == 0, run.stderr
    for (argv, name), got in zip(REFUSALS, json.loads(run.stdout), strict=True):
        assert got["code"] == 2 and not got["heavy"], (argv, got)
        lines = [x for x in got["err"].splitlines() if "error: " in x]
        assert len(lines) == 1 and name in lines[0] and "Traceback" not in got["err"], (argv, got)
    assert not (tmp_path / "cache" / "sample").exists()  # nothing generated before refusing


# --- a command that only reads runs asks for the data it lacks --------------------------


@pytest.fixture
def bare(tmp_path, monkeypatch, tiny_run, older_run):
    """A cache holding copies of two runs and no frame store, where building the built-in
    sample fails the test; the two run folders."""
    import handclf_core.data.sample as sample

    cache = tmp_path / "cache"
    (cache / "runs").mkdir(parents=True)
    for run in (tiny_run[0], older_run):
        shutil.copytree(run.path, cache / "runs" / run.path.name)
    monkeypatch.setenv("HANDCLF_CACHE", str(cache))
    monkeypatch.delenv("HANDCAM_DATA", raising=False)

    def built(*args, **kwargs):
        raise AssertionError("the built-in sample was generated")

    monkeypatch.setattr(sample, "ensure_sample", built)
    monkeypatch.setattr(sample, "generate_sample", built)
    return cache / "runs" / tiny_run[0].path.name, cache / "runs" / older_run.path.name


def test_runs_compare_without_the_frame_table_asks_for_data(bare, capsys, sample_root):
    a, b = bare
    code, _, err = run_cli(capsys, "runs", "compare", a.name, b.name)
    refused(code, err, a.name, "frames.csv", "found none", "--data")
    # With --data the frame table comes from the dataset: the refusal is now the run's own
    # (compared with itself), not the missing table.
    code, _, err = run_cli(capsys, "runs", "compare", a.name, a.name, "--data", sample_root)
    refused(code, err, a.name, "the same run twice")
    assert "frames.csv" not in err


def test_mistakes_without_data_asks_for_it(bare, capsys, sample_root):
    a, _ = bare
    code, _, err = run_cli(capsys, "mistakes", "--model", a)
    refused(code, err, a.name, "--data", "found none")


# --- a library's notes stay out of stderr ------------------------------------------------


def _corrupt_exif_jpeg() -> bytes:
    # An EXIF block whose first entry claims more bytes than the block holds.
    exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12\x00\x03\x00\x00\x00\x01\x00"
    out = io.BytesIO()
    Image.new("RGB", (24, 16), "red").save(out, "JPEG", exif=exif + b"\x06\x00\x00" + b"\xff" * 7)
    return out.getvalue()


def test_a_jpeg_with_corrupt_exif_decodes_without_a_warning(capfd):
    from handclf_core.data.images import decode_image

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        picture = decode_image(_corrupt_exif_jpeg(), "photo.jpg")
    assert sorted(picture.size) == [16, 24] and picture.mode == "RGB"  # rotated or not
    assert not seen, [str(w.message) for w in seen]
    assert capfd.readouterr().err == ""
