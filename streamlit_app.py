"""HandCam classroom: the entrypoint. It draws the sidebar (data source and task, kept across
pages) and routes to the lesson's pages; the Home page, the lesson in brief, is below."""

import streamlit as st

import app_state
from handclf_core.config import CLASSES


def home() -> None:
    st.title("HandCam classroom: what is the hand holding?")
    ds = app_state.current_dataset()
    _, task = app_state.choices()
    stats = app_state.dataset_stats(ds.description, ds.identity, task)
    st.markdown(
        "Cameras worn on the wrists film the left and right hands (and a head camera films "
        "both) while people handle things at home, in a lab and in an office. **The task: "
        f"from one frame, tell which of {len(CLASSES['obj'])} object classes the hand "
        "holds** — `free` (nothing) included. The classes are very unequal: a hand is free "
        "about half the time, and some objects appear in a handful of frames."
    )
    cols = st.columns(4)
    cols[0].metric("Training frames", f"{stats['splits']['train']['frames']:,}")
    cols[1].metric("Test frames", f"{stats['splits']['test']['frames']:,}")
    cols[2].metric("Classes", len(stats["classes"]))
    base = stats["majority_baseline"]
    cols[3].metric(
        f"Always '{base['class']}' scores",
        f"{base['test_accuracy']:.1%}",
        help="Accuracy on the test split of predicting the training split's most "
        "frequent class for every frame: the line every model must beat.",
    )
    st.markdown(
        """
## The three models of the assignment

| model | input | idea |
|---|---|---|
| `cnn_basic` | 32x32 RGB | the Keras CIFAR-10 example: two conv layers, a dense layer |
| `mnist` | 28x28 grayscale | the Keras MNIST example: two conv layers, no colour |
| `alexnet` | 227x227 RGB, right hands mirrored | AlexNet: five convs, two 4096-wide dense layers |

## The lesson, page by page

1. **Dataset** — how many frames, how unequal the classes, what a recording looks like.
2. **Preprocessing** — input size, grayscale, mirroring, squash or crop; the frame store.
3. **Train** — train each model (or load it when already trained), live progress.
4. **Compare** — the models side by side **on the test split**, against the baseline.
5. **Predict** — classify one picture with every trained model.

A student's report on this assignment claimed 92% for AlexNet; measured on the test split
it was 54.2%, four points above always answering `free`. This lesson never mixes the two.

## Data

HandCam (Chan et al., ECCV 2016): frames of 20 recordings by wrist cameras, labelled per
frame with the object held, the gesture, and free/active. Without the real frames, the app
runs on the built-in sample: synthetic pictures drawn over the real label sequences.
"""
    )


st.set_page_config(page_title="HandCam classroom", page_icon=":material/back_hand:", layout="wide")
app_state.sidebar()
st.navigation(
    [
        st.Page(home, title="Home", icon=":material/back_hand:", default=True),
        st.Page("pages/1_Dataset.py", title="Dataset", icon=":material/bar_chart:"),
        st.Page("pages/2_Preprocessing.py", title="Preprocessing", icon=":material/tune:"),
        st.Page("pages/3_Train.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/4_Compare.py", title="Compare", icon=":material/compare:"),
        st.Page("pages/5_Predict.py", title="Predict", icon=":material/image_search:"),
    ]
).run()
