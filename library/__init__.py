"""infracc's data files (prices, sizes, images, templates, rule catalogue; see README.md).

`FOLDER` is this directory. Code reads the files through it rather than `importlib.resources`:
infracc is installed as files (never zipped), and `importlib.resources` costs every process
~5 ms to import (issue #14).
"""
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
