"""The classroom deploy: several Streamlit processes behind nginx (classroom.py)."""
