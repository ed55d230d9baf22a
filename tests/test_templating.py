"""Compiled templates are cached like .pyc files (backends/templating.py, issue #14): the
output is the same with or without the cache, and nothing is written when bytecode writing
is off or the folder is not writable."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from jinja2 import Environment

from infracc.backends import templating


def _templates() -> list[str]:
    return sorted(n for n in templating.environment().list_templates() if n.endswith(".j2"))


def _fresh(cache_dir: Path | None) -> Environment:
    env = templating.environment().overlay()
    env.bytecode_cache = templating._Cache(str(cache_dir), "%s.jinja2") if cache_dir else None
    return env


def test_cached_templates_are_the_compiled_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    names = _templates()
    assert len(names) >= 9
    cache = tmp_path / "__pycache__"
    for name in names:  # compile and write, then load from the cache in a new environment
        _fresh(cache).get_template(name)
    assert len(list(cache.glob("*.jinja2"))) == len(names)
    for name in names:
        from_source = _fresh(None).get_template(name)
        from_cache = _fresh(cache).get_template(name)
        assert from_cache.root_render_func.__code__.co_code == from_source.root_render_func.__code__.co_code, name


def test_a_corrupt_cache_file_is_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    cache = tmp_path / "__pycache__"
    name = _templates()[0]
    _fresh(cache).get_template(name)
    for f in cache.glob("*.jinja2"):
        f.write_bytes(f.read_bytes()[:40])  # truncated mid-code
    assert _fresh(cache).get_template(name).root_render_func.__code__.co_code == \
        _fresh(None).get_template(name).root_render_func.__code__.co_code


def test_nothing_is_written_without_bytecode_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    cache = tmp_path / "__pycache__"
    _fresh(cache).get_template(_templates()[0])
    assert not cache.exists()


def test_an_unwritable_folder_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    _fresh(blocked / "__pycache__").get_template(_templates()[0])  # mkdir fails: compiled, not cached


def test_the_cache_sits_beside_the_templates() -> None:
    cache = templating.environment().bytecode_cache
    assert isinstance(cache, templating._Cache)
    assert Path(cache.directory).name == "__pycache__" and Path(cache.directory).parent.name == "templates"
