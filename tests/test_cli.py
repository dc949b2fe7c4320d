"""The command line as a user runs it: one JSON object on stdout, errors as one line + exit 2."""

import json
import os
import subprocess
import sys

import pytest

from handclf_core.data.dataset import open_dataset
from handclf_core.errors import HandCamError
from handclf_core.vocab import Validation
from tests.treeutil import SMALL, make_tree


def _cli(*args, cache):
    run = subprocess.run(
        [sys.executable, "-m", "handclf_core", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HANDCLF_CACHE": str(cache)},
    )
    return run.returncode, run.stdout, run.stderr


def test_prepare_json_then_cached(tmp_path):
    root = make_tree(tmp_path / "ds", SMALL)
    code, out, err = _cli(
        "prepare", "--data", str(root), "--subset", "--size", "28", "--gray", "--json",
        cache=tmp_path / "cache",
    )  # fmt: skip
    assert code == 0, err
    first = json.loads(out)
    assert first["frames"] == 2 * sum(SMALL.values()) and first["cached"] is False
    assert first["frames_per_second"] > 0 and first["variant_shape"][1:] == [28, 28, 1]
    code, out, err = _cli(
        "prepare", "--data", str(root), "--subset", "--size", "28", "--gray", "--json",
        cache=tmp_path / "cache",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["cached"] is True


def test_prepare_corrupt_frame_exit_2_and_no_store(tmp_path):
    root = make_tree(tmp_path / "ds", SMALL)
    bad = root / "frames/test/office/2/Rhand/Image2.png"
    bad.write_bytes(bad.read_bytes()[:100])  # truncated
    cache = tmp_path / "cache"
    code, out, err = _cli("prepare", "--data", str(root), "--subset", "--json", cache=cache)
    assert code == 2 and out == ""
    last = err.strip().splitlines()[-1]  # after the progress bar, one line says what is wrong
    assert last.startswith("error: ") and "Image2.png" in last and "Traceback" not in err
    stores = tmp_path / "cache" / "stores"
    assert not list(stores.glob("[!.]*-v1"))  # no store (its partial folder is kept, to resume)
    code, _, err = _cli("prepare", "--data", str(root), "--subset", "--debug", cache=cache)
    assert code != 0 and "Traceback" in err


def test_sample_command(tmp_path):
    out_dir = tmp_path / "my-sample"
    code, out, err = _cli(
        "sample",
        "--out",
        str(out_dir),
        "--stride",
        "80",
        "--size",
        "48x27",
        "--json",
        cache=tmp_path / "cache",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["path"] == str(out_dir) and result["size"] == [48, 27]
    ds = open_dataset(out_dir)
    assert ds.is_sample and len(ds.frames) == result["frames"]
    code, out, err = _cli("sample", "--size", "12", cache=tmp_path / "cache")
    assert code == 2 and "WxH" in err
    code, out, err = _cli("sample", "--out", str(out_dir), cache=tmp_path / "cache")
    assert code == 2 and "exists" in err  # an explicit folder is never overwritten


def test_default_sample_is_made_once(tmp_path):
    args = ("sample", "--stride", "80", "--size", "48x27", "--json")
    first = json.loads(_cli(*args, cache=tmp_path / "cache")[1])
    code, out, err = _cli(*args, cache=tmp_path / "cache")
    assert code == 0, err  # scripts/app runs it on every start
    assert json.loads(out) == {**first, "cached": True} and first["cached"] is False


def test_train_momentum_option_reaches_the_config(sample_root, capsys):
    """In process (no TensorFlow start-up): a momentum for an Adam model is one clear line."""
    from handclf_core.cli.main import main
    from handclf_core.cli.parser import build_parser
    from handclf_core.cli.train_commands import train_config

    args = build_parser().parse_args(["train", "--model", "alexnet", "--momentum", "0"])
    assert train_config(args).resolved().momentum == 0.0
    code = main(["train", "--data", str(sample_root), "--model", "cnn_basic", "--momentum", "0.9"])
    assert code == 2
    assert "momentum applies to SGD only" in capsys.readouterr().err


# --- Reads like a tool ---

NOISE = ("I0000", "W0000", "E0000", "WARNING: All log messages", "cuInit", "oneDNN")


def test_plain_runs_print_tables_and_no_backend_noise(tmp_path, sample_root, tiny_run):
    """Without --json: tables for people; on stderr, progress and our own lines only."""
    cache = tiny_run[0].path.parents[1]
    image = sample_root / "frames/test/house/1/Rhand/Image1.png"
    code, out, err = _cli("predict", "--model", str(tiny_run[0].path), "--image", str(image),
                          cache=cache)  # fmt: skip
    assert code == 0, err
    assert "right hand" in out and "probability" in out  # the hand guessed from the path
    assert not [x for x in err.splitlines() if x.startswith(NOISE) or "cuInit" in x], err
    code, out, err = _cli("models", cache=tmp_path / "c")
    assert code == 0 and "58,379,672" in out and "parameters" in out, err
    assert not any(x in err for x in NOISE), err
    code, out, _ = _cli("stats", "--data", str(sample_root), "--task", "FA", cache=tmp_path / "c")
    assert code == 0 and "Always answering '" in out and "{" not in out


def test_an_unknown_model_is_named_with_the_choices(tmp_path):
    code, out, err = _cli("predict", "--model", "nosuch", "--image", "x.png", cache=tmp_path)
    assert code == 2 and out == ""
    assert err.strip() == (
        "error: unknown model 'nosuch'; expected one of cnn_basic, mnist, alexnet, or the "
        "folder of a stored run"
    )


def test_train_options_make_the_config():
    """Every setting of a run has its option (in process: no backend start-up)."""
    from handclf_core.cli.parser import build_parser
    from handclf_core.cli.train_commands import train_config

    def config(*options):
        return train_config(build_parser().parse_args(["train", *options])).resolved()

    c = config("--model", "mnist", "--rgb", "--size", "20", "--flip", "--crop", "--validation",
               "random", "--precision", "float32", "--balance", "oversample",
               "--no-shuffle")  # fmt: skip
    assert (c.gray, c.size, c.flip_right, c.crop, c.validation, c.precision) == (
        False, 20, True, True, Validation.RANDOM, "float32",
    )  # fmt: skip
    assert (c.balance, c.shuffle) == ("oversample", False)
    assert config("--model", "alexnet", "--no-flip").flip_right is False
    assert config("--model", "alexnet").flip_right is True  # the recipe's
    assert config("--model", "cnn_basic", "--gray").gray is True
    assert config("--model", "cnn_basic", "--validation", "none").validation == Validation.NONE
    held = config("--model", "cnn_basic", "--validation", "house/2")
    assert (held.validation, held.held_out) == (Validation.RECORDING, "house/2")
    assert config("--model", "cnn_basic").held_out == "lab/4"
    with pytest.raises(HandCamError, match="--validation: expected recording, random, none"):
        config("--model", "cnn_basic", "--validation", "lab")
    quick = config("--model", "alexnet", "--quick")
    assert (quick.size, quick.epochs, quick.limit) == (128, 10, 3000)
    assert config("--model", "alexnet", "--quick", "--size", "99").size == 99  # yours stays


def test_quick_presets_train_every_model(sample_root, capsys):
    """`train --model M --quick` runs for each model (on a few frames: running, not accuracy)."""
    from handclf_core.cli.main import main
    from handclf_core.models import get_recipe, list_models
    from handclf_core.runs.experiments import QUICK

    for model in list_models():
        argv = ["train", "--data", str(sample_root), "--model", model, "--quick", "--limit",
                "16", "--json", "--debug"]  # fmt: skip
        assert main(argv) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["config"]["epochs"] == QUICK[model].get("epochs", get_recipe(model).epochs)
        assert result["test_frames"] == 16 and result["cached"] is False


def test_experiments_then_runs_list_and_delete(sample_root):
    """In the suite's own cache, where the Train page's test may have stored the same two
    experiments (then loaded here, not trained twice)."""
    cache = os.environ["HANDCLF_CACHE"]
    code, out, err = _cli("experiments", "--data", str(sample_root), "--only",
                          "cnn_basic.gray,mnist.rgb", "--size", "quick", cache=cache)  # fmt: skip
    assert code == 0, err
    assert "[1/2] cnn_basic.gray: CNN_basic · gray" in err and "[2/2] mnist.rgb" in err
    assert out.splitlines()[0].startswith("quick experiments on ")
    assert "cnn_basic.gray" in out and "mnist.rgb" in out
    assert "trained" in out or "loaded" in out
    code, out, err = _cli("runs", "list", "--json", cache=cache)
    assert code == 0, err
    labels = {"CNN_basic · gray", "Mnist-style CNN · RGB · batch 32"}  # 3,000 frames: no limit here
    runs = [r for r in json.loads(out)["runs"] if r["label"] in labels]
    assert {r["label"] for r in runs} == labels and len(runs) == 2
    name = next(r["name"] for r in runs if r["label"].startswith("Mnist"))
    kept = next(r["name"] for r in runs if r["name"] != name)
    code, out, err = _cli("runs", "delete", name, cache=cache)  # not a terminal: asks for --yes
    assert code == 2 and "add --yes" in err
    code, out, err = _cli("runs", "delete", name, "--yes", cache=cache)
    assert code == 0 and out.strip() == f"deleted {name}", err
    code, out, err = _cli("runs", "delete", name, "--yes", cache=cache)
    assert code == 2 and "expected the name of a stored run" in err
    code, out, _ = _cli("runs", cache=cache)
    assert code == 0 and name not in out and kept in out and "baseline" in out


def test_seeds_intervals_and_runs_compare(sample_root, tiny_run, older_run, capsys):
    """train --seeds 2: each seed its own run, their mean, spread and pooled interval; runs
    list gives each run's interval; runs compare pairs two runs on the same test frames,
    gives a run against itself exactly 0, and refuses runs scored on other frames."""
    from handclf_core.cli.main import main

    tiny = tiny_run[0]
    code = main(["train", "--data", str(sample_root), "--model", "cnn_basic", "--epochs", "1",
                 "--batch-size", "32", "--limit", "64", "--seeds", "2", "--json"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    setting = json.loads(out)
    assert setting["seeds"] == [0, 1] and setting["runs"][0] == tiny.name
    assert setting["test_accuracy_sd"] is not None and len(setting["per_seed"]) == 2
    accuracies = [s["test_accuracy"] for s in setting["per_seed"]]
    assert setting["test_accuracy"] == pytest.approx(sum(accuracies) / 2)
    low, high = setting["intervals"]["test_accuracy"]
    assert low <= setting["test_accuracy"] <= high
    assert setting["interval_method"].startswith("bootstrap over whole test recordings")
    assert set(setting["intervals"]) >= {"test_accuracy", "balanced_accuracy", "macro_f1"}
    code = main(["runs", "list", "--json"])
    listed = {r["name"]: r for r in json.loads(capsys.readouterr().out)["runs"]}
    assert code == 0 and listed[tiny.name]["intervals"]["test_accuracy"][0] <= tiny.test.accuracy
    other = setting["runs"][1]
    assert main(["runs", "compare", tiny.name, tiny.name, "--json"]) == 2  # itself: refused
    assert "the same run twice: choose another one" in capsys.readouterr().err
    assert main(["runs", "compare", tiny.name, other, "--metric", "balanced_accuracy",
                 "--json"]) == 0  # fmt: skip
    d = json.loads(capsys.readouterr().out)
    assert {d["a"], d["b"]} == {tiny.name, other} and d["metric"] == "balanced_accuracy"
    assert d["interval"][0] <= d["difference"] <= d["interval"][1]
    assert d["verdict"] in ("a", "b", "neither")
    assert main(["runs", "compare", tiny.name, other]) == 0  # for people
    text = capsys.readouterr().out
    assert "paired on the same test frames" in text and "95% interval" in text
    assert main(["runs", "compare", tiny.name, older_run.name]) == 2  # 64 and 48 test frames
    assert "same test frames" in capsys.readouterr().err
    assert main(["runs", "compare", tiny.name]) == 2
    assert "two runs" in capsys.readouterr().err
    assert main(["train", "--model", "cnn_basic", "--seeds", "0"]) == 2
    assert (
        "error: --seeds: expected a whole number from 1 to 10, found 0" in capsys.readouterr().err
    )


def test_train_estimate_says_the_time_without_training(tmp_path):
    """`train ... --estimate`: the time of exactly that run (each of its seeds) from the one
    estimator, JSON `{"seconds": …, "basis": …}`, and nothing trained; the store still to
    build counted. Then the same answer for people."""
    from handclf_core.cli.text import render

    root = make_tree(tmp_path / "ds", SMALL)
    cache = tmp_path / "cache"
    code, out, err = _cli(
        "train", "--data", str(root), "--subset", "--model", "cnn_basic", "--epochs", "3",
        "--validation", "none", "--seeds", "2", "--estimate", "--json", cache=cache,
    )  # fmt: skip
    assert code == 0, err
    said = json.loads(out)
    assert said["seconds"] > 0 and said["to_train"] == 2 and said["stored"] == 0
    basis = said["basis"]
    assert basis["source"] == "classroom" and basis["cores"] >= 1 and 0 < basis["cpu_share"] <= 1
    assert {"start", "data", "fixed", "loop", "scoring"} <= set(basis["parts"])  # store: to build
    assert said["seconds"] > sum(basis["parts"].values())  # the second seed's run too
    assert not (cache / "runs").exists() or not any((cache / "runs").glob("cnn_basic-*"))
    text = render("train", said)
    assert text.startswith("about ") and "to train 2 run(s)" in text
