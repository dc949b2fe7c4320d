"""Looking inside a stored run: one picture's answer, where it looks, its mistakes, its map."""
