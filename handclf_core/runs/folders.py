"""Where runs are kept and how they are found: the runs folder, the run of a configuration,
listing (newest first, a damaged run left out with the reason), a run by model name or path,
deleting, a run as a zip, and the lock a process holds while it trains or scores a run.

Every run folder is `<cache>/runs/<model>-<task>-<key>/` (`runs.record.run_name`); a folder
appears only by an atomic rename once complete (`atomic.written`), so an interrupted run
leaves nothing a later one would load.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import shutil
import stat
from pathlib import Path

from handclf_core.atomic import disk_errors, remove_stale, temp_path
from handclf_core.errors import HandCamError
from handclf_core.i18n import N_
from handclf_core.models import list_models
from handclf_core.paths import cache_dir, lock_file
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.record import MODEL_FILE, RECORD_FILE, Run, read_run, run_name
from handclf_core.vocab import Task

log = logging.getLogger(__name__)


def runs_dir() -> Path:
    return cache_dir() / "runs"


def run_path(dataset_identity: str, config: TrainConfig) -> Path:
    """Where the run of this configuration on this dataset is (or would be) kept."""
    return runs_dir() / run_name(dataset_identity, config)


def saved_run(dataset_identity: str, config: TrainConfig) -> Run | None:
    """The kept run of this configuration if there is one that passes its checks; a
    damaged one is logged, saying why, and treated as absent (training replaces it)."""
    final = run_path(dataset_identity, config)
    if not final.exists():
        return None
    try:
        return read_run(final)
    except HandCamError as e:
        log.warning("the stored run %s failed its checks, it will be trained again: %s",
                    final.name, e)  # fmt: skip
        return None


# What `run_name` names a run folder: <model>-<task>-<12 hex digits>.
RUN_NAME = re.compile(
    rf"^({'|'.join(map(re.escape, list_models()))})-({'|'.join(Task)})-[0-9a-f]{{12}}$"
)
LOCK_SLOTS = 64  # lock files of a runs folder, at most: one per slot, not per configuration


def lock_path(folder: Path) -> Path:
    """The lock a process holds while it trains, scores or deletes the run kept at (or to be
    published as) `folder`. Runs share LOCK_SLOTS lock files by a hash of their name, so the
    files do not pile up with every configuration tried (and none is ever removed, which
    would let a third process in beside a waiting one); two runs of one slot only take
    turns, as two trainings on one machine should anyway. HandCamError in one line when
    the folder of lock files or the lock is damaged (a file, a folder, a link, read-only):
    a lock is never taken through a link (`paths.lock_file`)."""
    slot = int(hashlib.sha256(folder.name.encode()).hexdigest()[:8], 16) % LOCK_SLOTS
    return lock_file(folder.parent / ".locks" / f"{slot:02d}.lock")


class Problem(str):
    """One line of `scan_runs` saying why a run folder is left out: the error's English line
    (what `runs list` prints, as text or JSON), carrying the error's catalogue key and
    fields, so the app explains it in the reader's language (`app.session.explain`)."""

    def __new__(cls, line: str, key: str | None = None, fields: dict | None = None):
        problem = super().__new__(cls, line)
        problem.key, problem.fields = key, dict(fields or {})
        return problem

    @classmethod
    def of(cls, error: HandCamError) -> Problem:
        return cls(str(error), error.key, error.fields)


def scan_runs(
    dataset_identity: str | None = None, task: str | None = None
) -> tuple[list[Run], list[Problem]]:
    """The stored runs that pass every check of `read_run`, newest first, optionally of one
    dataset and task; and one line per run folder that fails them, saying why (a `Problem`:
    a string, with the error's key for the app). What a killed scoring left in a run folder
    (a temporary predictions file) goes on the way."""
    root = runs_dir()
    runs, damaged, strays = [], [], []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if folder.name.startswith("."):
            continue  # a temporary folder of a run in progress, the locks
        if not RUN_NAME.match(folder.name):  # not named as a run: not read, said once
            strays.append(folder.name)
            continue
        if folder.is_dir() and not folder.is_symlink():
            try:
                remove_stale(folder)
            except OSError:  # a read-only cache: listed all the same
                pass
        try:
            run = read_run(folder)
        except HandCamError as e:
            damaged.append(Problem.of(e))
            continue
        if dataset_identity and run.dataset.identity != dataset_identity:
            continue
        if task and run.task != task:
            continue
        runs.append(run)
    if strays:
        shown = ", ".join(strays[:3]) + (", …" if len(strays) > 3 else "")
        line = (
            f"{root}: {len(strays):,} {'entry is' if len(strays) == 1 else 'entries are'} not "
            f"runs ({shown}); a run folder is named <model>-<task>-<key>: move the others out"
        )
        fields = {"path": str(root), "count": len(strays), "names": shown}
        damaged.append(Problem(line, N_("error.runs.strays"), fields))
    return sorted(runs, key=lambda r: r.created, reverse=True), damaged


def runs_signature() -> tuple:
    """What changes when a run is stored, replaced, deleted or damaged, by anyone (another
    tab, the training queue, the command line, a hand): each run folder's name with the
    times of the folder (a file added or removed) and of its record, and the model file's
    size and time. A few `stat` calls: cheap enough for every open page to ask every few
    seconds, and the key of the app's shared list of runs."""
    root, found = runs_dir(), []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if not folder.name.startswith("."):
            try:
                record, model = (folder / RECORD_FILE).stat(), (folder / MODEL_FILE).stat()
                times = (folder.stat().st_mtime_ns, record.st_mtime_ns, record.st_size)
                found.append((folder.name, *times, model.st_mtime_ns, model.st_size))
            except OSError:  # being written or deleted (or damaged): one name, no times
                found.append((folder.name,))
    return tuple(found)


def list_runs(dataset_identity: str | None = None, task: str | None = None) -> list[Run]:
    """Every stored run that passes its checks, newest first, optionally of one dataset and
    task; each one left out is logged as a warning saying why."""
    runs, damaged = scan_runs(dataset_identity, task)
    for problem in damaged:
        log.warning("a stored run is left out, it failed its checks: %s", problem)
    return runs


def default_per_model(runs: list[Run]) -> list[Run]:
    """The run of each model that Predict classifies with unless told otherwise, in the
    registry's order: a run of its recipe (precision aside; with the recipe's own seed
    first, then the newest), else its run of the best test accuracy; never a deliberately
    changed run merely for being newest, nor "seed 2" over the recipe's seed."""
    chosen: dict[str, Run] = {}
    for run in sorted(runs, key=lambda r: r.test.accuracy, reverse=True):
        chosen.setdefault(run.model, run)  # the best, unless a recipe run follows
    recipes = [r for r in runs if _is_recipe(r)]
    own_seed = lambda r: r.config.seed == r.config.recipe().seed  # noqa: E731
    for run in sorted(recipes, key=lambda r: (own_seed(r), r.created)):  # the last one stays
        chosen[run.model] = run
    order = {m: i for i, m in enumerate(list_models())}
    return sorted(chosen.values(), key=lambda r: order.get(r.model, len(order)))


def _is_recipe(run: Run) -> bool:
    c = run.config
    recipe = dataclasses.replace(c.recipe(), seed=c.seed, precision=c.precision)
    return c == recipe


def find_run(model: str, task: str | None = None, dataset_identity: str | None = None) -> Run:
    """A kept run by path (run folder or model.keras) or by model name (the newest)."""
    path = Path(model)
    if path.suffix == ".keras" or path.is_dir():
        return read_run(path)
    if model not in list_models():
        raise HandCamError(
            f"unknown model {model!r}; expected one of {', '.join(list_models())}, or the "
            "folder of a stored run",
            key=N_("error.runs.unknown_model"),
            model=model,
            models=", ".join(list_models()),
        )
    runs = [r for r in list_runs(dataset_identity, task) if r.model == model]
    if not runs:
        raise HandCamError(
            f"no stored run of model {model!r}"
            + (f" for task {task}" if task else "")
            + "; train it first (python -m handclf_core train --model NAME)",
            key=N_("error.runs.none_of_model"),
            model=model,
        )
    return runs[0]


NAMES = "give the run's own name: `python -m handclf_core runs list` lists them"


def run_folder(name: str, fix: str = NAMES) -> Path:
    """The folder of the kept run `name`: a run folder's name, or a path to it (followed to
    where it is, `..` and all). It must be a folder of its own, not a link, directly in the
    runs folder; anything else is a HandCamError saying so, and `fix`: what to do."""
    path = Path(name)
    entry = path if path.exists() or path.is_symlink() else runs_dir() / path.name
    if entry.is_symlink() or (runs_dir() / entry.resolve().name).is_symlink():
        raise HandCamError(
            f"{name}: expected a run folder, found a link ({fix})",
            key=N_("error.runs.folder_link"),
            path=str(name),
        )
    folder = entry.resolve()
    if folder.parent != runs_dir().resolve() or not (folder / RECORD_FILE).is_file():
        raise HandCamError(
            f"{name}: expected the name of a stored run in {runs_dir()}, found none ({fix})",
            key=N_("error.runs.no_such_run"),
            name=str(name),
            path=str(runs_dir()),
        )
    return folder


def delete_run(name: str) -> Path:
    """Delete the kept run `name` (see `run_folder`), under its lock (HandCamError while
    another process trains or scores it): renamed out of sight first, so that nothing ever
    lists or loads a half-deleted run, then removed. Returns its folder."""
    from filelock import FileLock, Timeout

    folder = run_folder(name)
    lock = FileLock(lock_path(folder))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise HandCamError(
            f"{folder.name} is being trained or scored; delete it when it is done",
            key=N_("error.runs.busy"),
            name=folder.name,
        ) from None
    try:
        gone = temp_path(folder)  # a killed delete leaves a temporary folder: `remove_stale`'s
        with disk_errors(f"the deletion of {folder.name}", folder.parent):
            folder.rename(gone)
        shutil.rmtree(gone, ignore_errors=True)
    finally:
        lock.release()
    return folder


def run_archive(run: Run, out) -> None:
    """Write `run`'s model.keras and run.json as a zip into `out` (a path or binary file):
    what a student downloads to keep or to load elsewhere with `keras.models.load_model`.
    Only the run's own plain files go in: a link (to a file anywhere) or anything else in
    their place is a HandCamError naming it, whatever checked the run before."""
    import time
    import zipfile

    folder = run.model_file.parent
    if folder.is_symlink():
        raise HandCamError(
            f"{folder}: expected a run folder, found a link ({NAMES})",
            key=N_("error.runs.folder_link"),
            path=str(folder),
        )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:  # model.keras is a zip
        for file in (MODEL_FILE, RECORD_FILE):
            with _own_file(folder / file) as f:
                st = os.fstat(f.fileno())
                info = zipfile.ZipInfo(f"{run.name}/{file}", time.localtime(st.st_mtime)[:6])
                info.file_size, info.external_attr = st.st_size, 0o644 << 16  # rw-r--r--
                with archive.open(info, "w") as member:
                    shutil.copyfileobj(f, member, 2**20)


def _own_file(path: Path):
    """`path` opened for reading when it is a plain file, not a link: opened without
    following one, then checked, so what is read is what was checked."""
    fix = "delete the run and train it again"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:  # ELOOP: a link
        link = path.is_symlink()
        raise HandCamError(
            f"{path}: expected the run's own file, found {'a link' if link else e.strerror} "
            f"({fix})",
            key=N_("error.run.link") if link else N_("error.file.unreadable"),
            path=str(path),
        ) from None
    f = open(fd, "rb")  # noqa: SIM115 (closed by the caller's `with`)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        f.close()
        raise HandCamError(
            f"{path}: expected the run's own file, found no plain file ({fix})",
            key=N_("error.file.not_regular"),
            path=str(path),
        )
    return f
