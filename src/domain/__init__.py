"""The booking domain: pure Python, standard library only."""
