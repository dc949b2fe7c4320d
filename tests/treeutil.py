"""Build small HandCam trees in the real layout for tests."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from handclf_core.data.layout import label_number
from handclf_core.vocab import TASKS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "handcam"


def png_bytes(seed: int, size=(64, 36)) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def make_tree(
    root: Path,
    recordings: dict[tuple[str, str, int], int],
    cameras=("Lhand", "Rhand"),
    labels: dict[str, np.ndarray] | None = None,
    png=True,
) -> Path:
    """Write frames/ and labels/ under root.

    recordings maps (split, scene, recording) to a frame count; labels maps "scene/task_sideN"
    to an array (default: class ids that count up, so positions are recognisable).
    """
    for (split, scene, rec), count in recordings.items():
        n = label_number(split, scene, rec)
        for side in ("left", "right"):
            for task in TASKS:
                key = f"{scene}/{task}_{side}{n}"
                modulo = {"obj": 24, "ges": 13, "FA": 2}[task]
                arr = labels[key] if labels else np.arange(count) % modulo
                path = root / "labels" / f"{key}.npy"
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, np.asarray(arr, dtype=np.float64))
        for cam in cameras:
            folder = root / "frames" / split / scene / str(rec) / cam
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(1, count + 1):
                data = png_bytes(zlib.crc32(f"{folder}{i}".encode())) if png else b""
                (folder / f"Image{i}.png").write_bytes(data)
    return root


def zip_folder(folder: Path, out: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, prefix + f.relative_to(folder).as_posix())
    return out


SMALL = {
    ("train", "house", 1): 3,
    ("train", "lab", 2): 4,
    ("test", "house", 1): 3,
    ("test", "office", 2): 2,
}
