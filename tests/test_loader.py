from __future__ import annotations

from infracc.compiler import loader
from infracc.compiler.pipeline import analyze


def test_file_over_one_mib_is_refused(tmp_path) -> None:
    big = tmp_path / "stack.yaml"
    big.write_text("infracc: 1\nname: shop\n" + "# padding\n" * 120_000)
    result = loader.load_file(big)
    assert result.data is None and result.diagnostics[0].code == "IC-YAML-004"


def test_missing_file_is_a_diagnostic(tmp_path) -> None:
    result = loader.load_file(tmp_path / "nope.yaml")
    assert result.diagnostics[0].code == "IC-YAML-006"


def test_non_utf8_is_a_diagnostic(tmp_path) -> None:
    bad = tmp_path / "stack.yaml"
    bad.write_bytes(b"name: \xff\xfe\n")
    assert loader.load_file(bad).diagnostics[0].code == "IC-YAML-006"


def test_empty_document() -> None:
    assert loader.load_text("").diagnostics[0].code == "IC-YAML-003"


def test_recursive_alias_is_refused() -> None:
    result = loader.load_text("infracc: 1\nname: shop\nx: &a [*a]\n")
    assert result.data is None or result.diagnostics == [] or result.diagnostics[0].code in ("IC-YAML-005", "IC-YAML-001")


def test_small_aliases_are_fine() -> None:
    text = "infracc: 1\nname: shop\nservices:\n  a: &svc {image: 'ghcr.io/x/a:1.0', port: 80}\n  b: *svc\n"
    result = analyze(text=text)
    assert result.ok, result.diagnostics


def test_positions_point_at_the_value() -> None:
    text = "infracc: 1\nname: shop\nservices:\n  api:\n    image: ghcr.io/x/a:1.0\n    port: http\n"
    result = analyze(text=text)
    from infracc.compiler.render import position
    d = result.diagnostics[0]
    assert d.code == "IC-SCHEMA-003" and position(d, result.source) == (6, 11)
