"""Train (placeholder until the app issue builds it)."""

import streamlit as st

import app_state

st.title("Train")
ds = app_state.current_dataset()
st.info("This page is being built.")
