"""Preprocessing (placeholder until the app issue builds it)."""

import streamlit as st

import app_state

st.title("Preprocessing")
ds = app_state.current_dataset()
st.info("This page is being built.")
