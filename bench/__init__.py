"""Performance proofs: `python -m bench` (or `make bench`)."""
