"""The command line, `python -m handclf_core`."""
