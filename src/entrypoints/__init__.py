"""Thin edges: the HTTP app, its composition root, and the `booking` CLI."""
