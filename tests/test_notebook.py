"""The lesson as a notebook (docs/lesson.ipynb) runs, start to end, on a tiny sample."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "lesson.ipynb"


def test_the_lesson_notebook_runs(sample_root, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    monkeypatch.setenv("HANDCAM_DATA", str(sample_root))
    monkeypatch.setenv("LESSON_LIMIT", "64")  # a few seconds of training
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()  # fmt: skip
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pictures) >= 5  # the charts and the model's-eye row, as pictures
    text = "".join(o.get("text", "") for o in outputs)
    assert "always answering" in text and "test_accuracy" not in text
