"""The app's glue between Streamlit and `handclf_core`, one module per role:

    session  the reader's choices: language, sidebar (data source, task), preprocessing
    cache    every st.cache_* wrapper: datasets, statistics, frames, the training queue
    guards   "nothing here yet, do this" stops: no readable dataset, no stored run
    widgets  long work under a progress bar: building the frame store
    training the Train page's live job panel: progress, result, curves

Pages import these and `handclf_core`, never `st.cache_*` themselves; `handclf_core` never
imports Streamlit. Nothing here imports TensorFlow.
"""
