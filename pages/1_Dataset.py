"""Dataset: how many frames, how unequal the classes, what a recording and its frames look like."""

import streamlit as st

import app_state
from handclf_core import charts

GALLERY_PAGE = 12  # thumbnails decoded per view: 12 PNG decodes stay fast on 1920x1080 frames


def headline(stats: dict) -> None:
    train, test = stats["splits"]["train"], stats["splits"]["test"]
    base = stats["majority_baseline"]
    cols = st.columns(5)
    cols[0].metric("Training frames", f"{train['frames']:,}", help="Both hands' cameras.")
    cols[1].metric("Test frames", f"{test['frames']:,}")
    cols[2].metric("Classes", len(stats["classes"]))
    ratio = train["imbalance_ratio"]
    cols[3].metric(
        "Imbalance (train)",
        f"{ratio:,.{0 if ratio >= 10 else 1}f} : 1" if ratio else "—",
        help="Frames of the most frequent class over frames of the rarest class present.",
    )
    cols[4].metric(
        f"Always '{base['class']}' scores",
        f"{base['test_accuracy']:.1%}",
        help="Accuracy on the test split of answering the training split's most frequent "
        "class for every frame: the baseline every model must beat.",
    )


def distribution_ui() -> tuple[bool, bool]:
    left, right = st.columns(2)
    log = left.toggle("Log scale", key="ds_log", help="Shows the rare classes' bars.")
    by_hand = right.toggle("Left and right hand apart", key="ds_by_hand")
    return log, by_hand


def gallery_ui(n_classes: int) -> tuple[int, list[int]]:
    """(seed, class ids to show): pages of at most GALLERY_PAGE classes, evenly filled."""
    st.session_state.setdefault("ds_seed", 0)
    per_page = -(-n_classes // -(-n_classes // GALLERY_PAGE))  # 24: 12 + 12; 13: 7 + 6
    left, right = st.columns([3, 1])
    first = 0
    if n_classes > per_page:
        first = left.radio(
            "Classes", range(0, n_classes, per_page), horizontal=True, key="ds_page",
            format_func=lambda lo: f"{lo}–{min(lo + per_page, n_classes) - 1}",
        )  # fmt: skip
    if right.button("Other frames", help="Draw another frame of every class."):
        st.session_state["ds_seed"] += 1
    return st.session_state["ds_seed"], list(range(first, min(first + per_page, n_classes)))


st.title("The dataset")
ds = app_state.current_dataset()
_, task = app_state.choices()
stats = app_state.dataset_stats(ds.description, ds.identity, task)
classes = stats["classes"]
headline(stats)

st.markdown(
    "## How unequal are the classes?\n"
    f"Every bar counts the hand frames of one class of the `{task}` task, training split "
    "beside test split. On a linear axis `free` dwarfs the rest; turn on the log scale to "
    "see the rare classes at all. **Expected:** on the real HandCam, `free` is 48.2% of the "
    "training frames and `switch` has 14, so answering `free` every time scores 50.1% on "
    "the test split. Any accuracy must be read against that figure (above, for this data)."
)
log, by_hand = distribution_ui()
st.altair_chart(charts.class_distribution(stats, log=log, by_hand=by_hand))

st.markdown(
    "## Where the frames come from\n"
    "Objects belong to places: a fridge is at home, a whiteboard pen in the lab. A model "
    "can learn the room instead of the object. Here that is no cheat, since the test "
    "recordings are filmed in the same three places, but it would not carry over to a new "
    "kitchen. Each cell is a class's share of one scene's frames."
)
st.altair_chart(charts.scene_heatmap(stats))

st.markdown(
    "## A recording, frame by frame\n"
    "Labels come in long runs: neighbouring frames are near copies of each other. Two "
    "consequences. A random slice of frames held out for validation would have twins in "
    "the training set, so the Train page holds out a whole recording. And unshuffled "
    "batches would hold one object each, which is why shuffling is on by default."
)
shown_recording = st.selectbox("Recording", app_state.recordings(ds, ds.identity), key="ds_rec")
segments = app_state.label_segments(ds, ds.identity, task, shown_recording)
st.altair_chart(charts.label_timeline(segments))

st.markdown("## One frame of every class")
seed, shown = gallery_ui(len(classes))
picks = app_state.gallery_frames(ds, ds.identity, task, seed).set_index(task)
for row in range(0, len(shown), 6):
    for col, class_id in zip(st.columns(6), shown[row : row + 6], strict=False):
        label = charts.class_label(class_id, classes[class_id])
        if class_id not in picks.index:
            col.caption(f"**{label}**: no frame in this dataset")
            continue
        f = picks.loc[class_id]
        col.image(app_state.thumbnail(ds, ds.identity, f.file), width="stretch")
        col.caption(f"**{label}**  \n{f.camera}, {f.split}/{f.scene}/{f.recording} #{f.frame}")

st.markdown(
    "## Would balancing the classes help?\n"
    "The assignment asks it. **Option 1: train on the frames as they are.** The loss is "
    "dominated by `free`, and a model can score well by leaning towards it. **Option 2: "
    "class weights**: each frame's loss is scaled by the inverse of its class's frequency, "
    "so a rare object counts as much as `free` in total; the rare classes' few frames get "
    "large, noisy gradients. **Option 3: oversampling**: every epoch draws the classes "
    "evenly, repeating the rare frames many times, which invites memorising them.\n\n"
    "**What to expect:** balancing trades plain accuracy, which `free` dominates, for "
    "balanced accuracy (the mean recall over classes), which the Compare page shows next "
    "to it. Try it with the **Class balancing** option of the Train page; its default "
    "comes from the Preprocessing page."
)
left, right = st.columns(2)
left.page_link(
    "pages/2_Preprocessing.py", label="Preprocessing: choose the default", icon=":material/tune:"
)
right.page_link(
    "pages/3_Train.py", label="Train: try a balanced model", icon=":material/model_training:"
)
