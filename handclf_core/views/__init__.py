"""What the lesson shows, as charts and tables: pure Altair and pandas, no Streamlit, so a
notebook draws the same figures as the app. One module per part of the lesson (the data,
preprocessing, training, the runs, their evaluation, their mistakes, one prediction).

Every function takes `lang` ("en" or "zh_TW"); names come from `vocab` and the catalogues.
"""
