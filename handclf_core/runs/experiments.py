"""The assignment's experiments: each model's quick preset, and the grid of the results table.

`quick(config)` is the class demo of a model: what a teacher can press in class and see beat
the baseline within a minute (AlexNet: five), on the classroom's 2-core CPU. Each model keeps
its recipe's optimizer and passes; a preset caps the frames per split at QUICK_FRAMES (all
of the built-in sample's; a few minutes of the real data's), mnist takes batches of 32, and
AlexNet sees 128x128 pixels instead of 227x227. Fewer frames or passes are no demo: on 300 frames
and 2 passes every model learnt the class frequencies only, the opposite of the lesson.
What each preset changes, and why, is `QUICK_WHY` (shown on the Train page), its figures
filled in from the preset and the recipe (`why_values`).

`grid(size)` is the table of the lesson's claims: each recipe, and the one setting each claim
is about changed — grayscale and mirroring for cnn_basic, RGB for mnist, class weights,
AlexNet with and without mirroring, plain SGD, and a random 20% validation split beside the
held-out recording. "quick" trains each with its model's quick preset, "full" with the
recipe. The CLI's `experiments` command and the app's experiment button train the same list,
one run after another, and stored runs are loaded, not trained again.
"""

from __future__ import annotations

import dataclasses

from handclf_core.i18n import N_
from handclf_core.runs.config import TrainConfig
from handclf_core.vocab import Balance, ExperimentSize, Task, Validation

# Per model: the fields a quick run sets, where the configuration leaves them to the recipe.
# Measured on the built-in sample, 2-core CPU, mixed bfloat16 (README "Quick demo"):
# cnn_basic's and mnist's whole recipes take well under a minute, but mnist's balanced
# accuracy sits at 3x chance (12.5-13.7% over three seeds): batches of 32 instead of 128 give
# it four times the updates per epoch (17% in 24 s). AlexNet's recipe takes about 6 minutes
# at 227x227, and fewer passes learn (nearly) the class frequencies only (4 and 6 of them,
# in float32 too); at 163x163 (half the pixels) its 10 passes took 160 s, over 5 minutes
# beside one CPU-bound job (a class's pages); at 128x128 (a third of the pixels) 71-78 s,
# and it learnt as much (seeds 0-2: test 68-71%, balanced 34-39%; bench/bench_quick.py).
QUICK_FRAMES = 3000  # the sample's train split has 2,648 frames; the real one about 40 times more
QUICK: dict[str, dict] = {
    "cnn_basic": {"limit": QUICK_FRAMES},
    "mnist": {"limit": QUICK_FRAMES, "batch_size": 32},
    "alexnet": {"limit": QUICK_FRAMES, "size": 128},
}
QUICK_WHY = {
    "cnn_basic": N_("quick.why.cnn_basic"),
    "mnist": N_("quick.why.mnist"),
    "alexnet": N_("quick.why.alexnet"),
}


def why_values(model: str) -> dict:
    """The figures `QUICK_WHY[model]` says, from the preset and the recipe: they cannot go
    stale when either changes."""
    from handclf_core.models import get_recipe

    recipe, preset = get_recipe(model), QUICK[model]
    size = preset.get("size", recipe.input_size)
    return {
        "size": size, "recipe_size": recipe.input_size,
        "pixels": f"{size**2 / recipe.input_size**2:.0%}",
        "epochs": preset.get("epochs", recipe.epochs),
        "batch": preset.get("batch_size", recipe.batch_size), "recipe_batch": recipe.batch_size,
        "updates": recipe.batch_size // preset.get("batch_size", recipe.batch_size),
        "limit": f"{preset['limit']:,}",
    }  # fmt: skip


def quick(config: TrainConfig) -> TrainConfig:
    """`config` as its model's quick preset: the preset's fields where `config` has None."""
    preset = {k: v for k, v in QUICK[config.model].items() if getattr(config, k) is None}
    return dataclasses.replace(config, **preset)


# The grid, in the results table's order: (id, settings changed from the recipe).
GRID: tuple[tuple[str, dict], ...] = (
    ("cnn_basic", {"model": "cnn_basic"}),
    ("cnn_basic.gray", {"model": "cnn_basic", "gray": True}),
    ("cnn_basic.mirrored", {"model": "cnn_basic", "flip_right": True}),
    ("cnn_basic.class_weight", {"model": "cnn_basic", "balance": Balance.CLASS_WEIGHT}),
    ("cnn_basic.random_validation", {"model": "cnn_basic", "validation": Validation.RANDOM}),
    ("mnist", {"model": "mnist"}),
    ("mnist.rgb", {"model": "mnist", "gray": False}),
    ("alexnet", {"model": "alexnet"}),
    ("alexnet.not_mirrored", {"model": "alexnet", "flip_right": False}),
    ("alexnet.plain_sgd", {"model": "alexnet", "momentum": 0.0}),
    ("alexnet.random_validation", {"model": "alexnet", "validation": Validation.RANDOM}),
)


def grid(
    size: ExperimentSize | str, task: Task | str = Task.OBJ, **common
) -> list[tuple[str, TrainConfig]]:
    """The experiments as (id, resolved configuration), in the table's order; `common`
    fields (seed, precision) apply to each."""
    size = ExperimentSize.of(size, "experiment size")
    out = []
    for key, changes in GRID:
        config = TrainConfig(task=Task(task), **common, **changes)
        out.append((key, (quick(config) if size == ExperimentSize.QUICK else config).resolved()))
    return out
