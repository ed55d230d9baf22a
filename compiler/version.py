"""The release number, as a constant: reading it from the installed distribution's metadata
(`importlib.metadata`) cost ~15 ms of every cold process (issue #14). `pyproject.toml`'s
`version` must say the same; tests/test_cli.py checks both agree."""

VERSION = "0.1.0"
