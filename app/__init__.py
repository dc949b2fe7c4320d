"""The app's glue between Streamlit and `handclf_core`: one module per role (the reader's
choices, the caches, the guards, the pages' widget groups, navigation); the README's "How it
works" lists them.

Pages (`app_pages/`) import these and `handclf_core`; every `st.cache_*` wrapper is in
`cache`; `handclf_core` never imports Streamlit. Nothing here imports TensorFlow.
"""
