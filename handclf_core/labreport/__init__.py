"""The lab report: the runs a student chose, written up as the assignment asks, honest by
construction (`build`), as one self-contained HTML file or Markdown with PNG charts
(`render`), written whole or not at all (`write`)."""
