"""HandCam classroom: the landing page of the "Deep Classification" lesson.

The lesson's pages (Dataset, Preprocessing, Train, Compare, Predict) come in `pages/`.
"""

import streamlit as st

from handclf_core.config import CLASSES
from handclf_core.dataset import load_dataset
from handclf_core.errors import HandCamError
from handclf_core.stats import dataset_stats

st.set_page_config(page_title="HandCam classroom", page_icon="✋", layout="wide")
st.title("HandCam classroom: what is the hand holding?")
st.markdown(
    "Wrist-worn cameras film the left and right hands (and a head camera films both) while "
    f"people handle objects at home, in a lab and in an office. The task: tell which of "
    f"{len(CLASSES['obj'])} object classes the hand holds — `free` (nothing) included — from "
    "one frame. The lesson trains the assignment's three Keras models (a CIFAR-style CNN on "
    "32x32, an MNIST-style CNN on 28x28 grayscale, AlexNet on 227x227) and compares them "
    "honestly, on the test split, against the majority-class baseline."
)

bar = st.progress(0.0, text="Preparing the dataset…")
try:
    ds = load_dataset(
        progress=lambda done, total: bar.progress(
            done / total, text="Generating the built-in sample…"
        )
    )
    stats = dataset_stats(ds)
except HandCamError as e:
    st.error(f"The dataset could not be read: {e}")
    st.info("Set HANDCAM_DATA to a folder holding frames/ and labels/ (or the two zips).")
    st.stop()
finally:
    bar.empty()

if ds.is_sample:
    st.caption("Built-in sample: synthetic pictures over the real HandCam label sequences.")
cols = st.columns(3)
cols[0].metric("Training frames", stats["splits"]["train"]["frames"])
cols[1].metric("Test frames", stats["splits"]["test"]["frames"])
base = stats["majority_baseline"]
cols[2].metric(f"Always '{base['class']}' (test accuracy)", f"{base['test_accuracy']:.1%}")
