"""A run: its configuration, its stored record and files, its metrics, the experiments."""
