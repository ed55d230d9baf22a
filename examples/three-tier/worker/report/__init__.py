"""Nightly sales report (`python -m report`)."""
