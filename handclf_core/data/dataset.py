"""Reading a HandCam dataset: frames and labels, as folders or as the original zip archives.

The real layout (see the dataset's README):

    frames/{train,test}/{house,lab,office}/{N}/{Lhand,Rhand,head}/Image1.png, Image2.png, ...
    labels/{house,lab,office}/{obj,ges,FA}_{left,right}{N}.npy

Frames are matched to label positions in *numeric* order of their number (Image10 after
Image9), and test recordings continue the label numbering (frames/test/house/1 is labels
house 4). Archives are read in place, never extracted.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from handclf_core.data.layout import (
    CAMERAS,
    HAND_CAMERAS,
    SCENES,
    SPLITS,
    TEST_RECORDINGS,
    TRAIN_RECORDINGS,
    label_number,
    label_side,
)
from handclf_core.data.trees import MAX_LABEL_BYTES, FolderTree, ZipTree, is_stray, open_tree
from handclf_core.errors import HandCamError
from handclf_core.i18n import N_
from handclf_core.vocab import CLASSES, TASKS, Split

# A frame's path inside the frames tree, after any leading folders (a zip may hold
# "frames/train/..." or "train/..."); likewise a label file's inside the labels tree.
_FRAME_DIR = re.compile(r"(?:^|/)(train|test)/(house|lab|office)/(\d+)/(Lhand|Rhand|head)/([^/]+)$")
_FRAME_NAME = re.compile(r"Image(\d+)\.png")
_LABEL_FILE = re.compile(r"(?:^|/)(house|lab|office)/(obj|ges|FA)_(left|right)(\d+)\.npy$")

FRAME_COLUMNS = ["split", "scene", "recording", "label_n", "camera", "frame", "file", *TASKS]


@dataclass(frozen=True, eq=False)
class HandCamDataset:
    """A dataset opened by `open_dataset`: where its files are, and one row per frame."""

    frames_tree: FolderTree | ZipTree
    frames: pd.DataFrame  # FRAME_COLUMNS, ordered by split, scene, recording, camera, frame
    identity: str  # hex digest of the file list and the labels: names a frame store
    description: str  # what the user gave, for messages
    is_sample: bool  # True for the built-in sample: synthetic pictures over real labels
    # Hand-camera folders of the HandCam layout that are absent ("test/lab/2/Rhand"): empty
    # unless the dataset was opened as a subset.
    missing: tuple[str, ...] = ()

    def read_bytes(self, file: str) -> bytes:
        """The raw bytes of one frame file (a `file` value of `frames`)."""
        return self.frames_tree.read(file)

    def hand_frames(self) -> pd.DataFrame:
        """The frames of the two hand cameras, the ones the assignment classifies."""
        return self.frames[self.frames.camera != "head"].reset_index(drop=True)


def _locate(spec: str | os.PathLike) -> tuple[Path, Path, str]:
    """Resolve what the user gave to the frames and labels trees."""
    text = os.fspath(spec)
    if "," in text:
        parts = [Path(p.strip()).expanduser() for p in text.split(",")]
        if len(parts) != 2:
            raise HandCamError(
                f"--data {text!r}: expected two archives 'frames.zip,labels.zip'",
                key=N_("error.data.two_archives"),
                spec=text,
            )
        for p in parts:
            if not p.is_file():
                raise HandCamError(
                    f"{p}: expected a zip archive, found no such file",
                    key=N_("error.data.no_archive"),
                    path=str(p),
                )
        frames, labels = sorted(parts, key=lambda p: "labels" in p.name.lower())
        return frames, labels, text
    root = Path(text).expanduser()
    if not root.exists():
        raise HandCamError(
            f"{root}: no such file or folder; expected a HandCam dataset folder",
            key=N_("error.data.no_such_path"),
            path=str(root),
        )
    if not root.is_dir():
        raise HandCamError(
            f"{root}: expected a folder holding frames/ and labels/ (or frames.zip and "
            "labels.zip), or two archives given as 'frames.zip,labels.zip'; found a file",
            key=N_("error.data.not_a_folder"),
            path=str(root),
        )
    found = {}
    for kind in ("frames", "labels"):
        for candidate in (root / kind, root / f"{kind}.zip"):
            if candidate.exists():
                found[kind] = candidate
                break
    if len(found) < 2:
        entries = sorted(p.name + ("/" if p.is_dir() else "") for p in root.iterdir())
        shown = ", ".join(entries[:12]) + (", ..." if len(entries) > 12 else "") or "nothing"
        raise HandCamError(
            f"{root}: expected a HandCam dataset: frames/ and labels/ folders, or frames.zip "
            f"and labels.zip; found {shown}",
            key=N_("error.data.wrong_layout") if entries else N_("error.data.empty_folder"),
            path=str(root),
            found=shown,
        )
    return found["frames"], found["labels"], str(root)


def _load_label(tree, name: str, task: str) -> np.ndarray:
    where = f"{tree.description}:{name}"
    data = tree.read(name, limit=MAX_LABEL_BYTES)
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as e:  # a truncated or pickled file; NumPy raises several types
        raise HandCamError(
            f"{where}: expected a NumPy .npy label array, found: {e}",
            key=N_("error.data.label_not_npy"),
            path=where,
        ) from None
    n = len(CLASSES[task])
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "iuf":
        kind = arr.dtype if isinstance(arr, np.ndarray) else type(arr).__name__
        raise HandCamError(
            f"{where}: expected an array of numeric class ids, found dtype {kind}",
            key=N_("error.data.label_not_numbers"),
            path=where,
            dtype=str(kind),
        )
    if arr.ndim != 1 or not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
        raise HandCamError(
            f"{where}: expected a 1-D array of integer class ids, found {arr!r:.80}",
            key=N_("error.data.label_not_ids"),
            path=where,
        )
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise HandCamError(
            f"{where}: expected {task} class ids 0..{n - 1}, found {arr.min():g}..{arr.max():g}",
            key=N_("error.data.label_out_of_range"),
            path=where,
            task=str(task),
            last=n - 1,
            low=f"{arr.min():g}",
            high=f"{arr.max():g}",
        )
    return arr.astype(np.int16)


def layout_folders() -> list[tuple[str, str, int, str]]:
    """Every hand-camera folder of the HandCam layout: (split, scene, recording, camera)."""
    counts = {Split.TRAIN: TRAIN_RECORDINGS, Split.TEST: TEST_RECORDINGS}
    return [
        (split, scene, rec, camera)
        for split in SPLITS
        for scene, n in counts[split].items()
        for rec in range(1, n + 1)
        for camera in HAND_CAMERAS
    ]


def _missing(folders: dict) -> list[str]:
    """The layout's hand-camera folders that are absent, as "split/scene/N/camera"."""
    return [f"{a}/{b}/{c}/{d}" for a, b, c, d in layout_folders() if (a, b, c, d) not in folders]


def _refuse_orphans(label_files: dict, labels: str) -> None:
    """A label file of no recording of the layout (house/obj_left7.npy) is an error."""
    numbers = {scene: TRAIN_RECORDINGS[scene] + TEST_RECORDINGS[scene] for scene in SCENES}
    orphans = sorted(
        f"{labels}:{name}" for (scene, _, _, n), name in label_files.items() if n > numbers[scene]
    )
    if orphans:
        raise HandCamError(
            f"{orphans[0]}: expected a label file of a HandCam recording, found one of no "
            f"recording (the layout has {numbers}); remove it or read a subset",
            key=N_("error.data.orphan_label"),
            path=orphans[0],
        )


def open_dataset(spec: str | os.PathLike, *, subset: bool = False) -> HandCamDataset:
    """Open a HandCam dataset and match every frame to its labels.

    Args:
        spec: a folder holding `frames/` and `labels/` (folders or `.zip` archives), or
            two archives as "frames.zip,labels.zip".
        subset: accept a dataset with recordings (or hand cameras) of the HandCam layout
            missing; the dataset lists them in `missing`. Without it, every recording of
            the layout must have both hand cameras' frames (the head camera is optional:
            no model uses it).

    Raises HandCamError naming the file or folder when the layout is not HandCam's: a
    missing recording, a folder without its label file, a label file without frames, a
    frame or label that cannot be read.
    """
    frames_path, labels_path, description = _locate(spec)
    frames_tree, labels_tree = open_tree(frames_path), open_tree(labels_path)

    label_files: dict[tuple[str, str, str, int], str] = {}
    for name in labels_tree.names():
        m = _LABEL_FILE.search(name)
        if m:
            scene, task, side, n = m.groups()
            label_files[(scene, task, side, int(n))] = name
    if not label_files:
        raise HandCamError(
            f"{labels_tree.description}: expected label files <scene>/<task>_<side><N>.npy "
            "(e.g. house/obj_left1.npy), found none",
            key=N_("error.data.no_labels"),
            path=labels_tree.description,
        )

    folders: dict[tuple[str, str, int, str], list[tuple[int, str]]] = {}
    for name in frames_tree.names():
        if is_stray(name):
            continue
        m = _FRAME_DIR.search(name)
        if not m:
            raise HandCamError(
                f"{frames_tree.description}: unexpected file {name!r}; expected frames at "
                "<split>/<scene>/<recording>/<Lhand|Rhand|head>/Image<number>.png",
                key=N_("error.data.unexpected_file"),
                path=frames_tree.description,
                name=name,
            )
        split, scene, rec, camera, base = m.groups()
        num = _FRAME_NAME.fullmatch(base)
        if not num:
            raise HandCamError(
                f"{frames_tree.description}: frame {name!r} is not named Image<number>.png",
                key=N_("error.data.frame_name"),
                path=frames_tree.description,
                name=name,
            )
        folders.setdefault((split, scene, int(rec), camera), []).append((int(num.group(1)), name))
    no_split = [s for s in SPLITS if not any(k[0] == s for k in folders)]
    if no_split:
        raise HandCamError(
            f"{frames_tree.description}: expected frames of both splits (train/ and test/), "
            f"found no frames for {' and '.join(no_split)}",
            key=N_("error.data.no_split"),
            path=frames_tree.description,
            splits=" and ".join(no_split),
        )
    missing = _missing(folders)
    if not subset:
        _refuse_orphans(label_files, labels_tree.description)
        if missing:
            shown = ", ".join(missing[:3]) + (
                f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            )
            raise HandCamError(
                f"{frames_tree.description}: expected every recording of the HandCam layout "
                f"with both hands' frames, found {len(missing)} hand-camera folders missing: "
                f"{shown}. To read only what is there, open it as a subset (--subset, or "
                "the sidebar's subset switch)",
                key=N_("error.data.missing_folders"),
                path=frames_tree.description,
                count=len(missing),
                examples=", ".join(missing[:3]),
            )

    rows, fingerprint_labels = [], []
    split_order = {s: i for i, s in enumerate(SPLITS)}
    cam_order = {c: i for i, c in enumerate(CAMERAS)}
    for key in sorted(folders, key=lambda k: (split_order[k[0]], k[1], k[2], cam_order[k[3]])):
        split, scene, rec, camera = key
        numbered = sorted(folders[key])  # numeric order: Image9 before Image10
        n = label_number(split, scene, rec)
        folder = f"{frames_tree.description}:{split}/{scene}/{rec}/{camera}"
        labels = {}
        for task in TASKS:
            lkey = (scene, task, label_side(camera), n)
            if lkey not in label_files:
                expected = f"{scene}/{task}_{label_side(camera)}{n}.npy"
                raise HandCamError(
                    f"{folder} ({len(numbered)} frames) has no label file: expected "
                    f"{labels_tree.description}:{expected}",
                    key=N_("error.data.no_label_file"),
                    path=folder,
                    frames=len(numbered),
                    expected=f"{labels_tree.description}:{expected}",
                )
            arr = _load_label(labels_tree, label_files[lkey], task)
            if len(arr) != len(numbered):
                raise HandCamError(
                    f"{folder} has {len(numbered)} frames but its label file "
                    f"{labels_tree.description}:{label_files[lkey]} has {len(arr)} labels",
                    key=N_("error.data.label_count"),
                    path=folder,
                    frames=len(numbered),
                    labels=len(arr),
                    file=f"{labels_tree.description}:{label_files[lkey]}",
                )
            labels[task] = arr
            fingerprint_labels.append(hashlib.sha1(arr.tobytes()).hexdigest())
        for i, (num, name) in enumerate(numbered):
            rows.append(
                (split, scene, rec, n, camera, num, name, *(int(labels[t][i]) for t in TASKS))
            )

    frames = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    digest = hashlib.sha256()
    for line in frames_tree.fingerprint(list(frames.file)) + fingerprint_labels:
        digest.update(line.encode() + b"\n")
    root = frames_path.parent
    is_sample = (root / "SAMPLE.txt").is_file()
    return HandCamDataset(
        frames_tree, frames, digest.hexdigest()[:16], description, is_sample, tuple(missing)
    )


def load_dataset(
    spec: str | os.PathLike | None = None, progress=None, *, subset: bool = False
) -> HandCamDataset:
    """Open the dataset a user asked for: `spec`, else $HANDCAM_DATA, else the built-in sample.

    Args:
        spec: as for `open_dataset`; None or "" picks the default.
        progress: called as progress(done, total) while the built-in sample is generated
            on first use.
        subset: as for `open_dataset`.
    """
    spec = spec or os.environ.get("HANDCAM_DATA")
    if spec:
        return open_dataset(spec, subset=subset)
    from handclf_core.data.sample import (
        ensure_sample,  # only the sample needs the picture generator
    )

    return open_dataset(ensure_sample(progress=progress))
