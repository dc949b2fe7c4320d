"""What the lesson shows, as charts and tables: pure Altair and pandas, no Streamlit, so a
notebook draws the same figures as the app. One module per part of the lesson:

    data        the Dataset and Preprocessing pages: imbalance, scenes, label timelines, memory
    training    the Train page: loss and accuracy per epoch
    runs        stored runs as labels, a table and headline figures beside the baseline
    evaluation  the Compare page: accuracy against the baseline, recall, confusion, PR curves

Every function takes `lang` ("en" or "zh_TW"); names come from `vocab` and the catalogues.
"""
