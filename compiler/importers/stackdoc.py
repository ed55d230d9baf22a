"""The stack.yaml an importer writes: a ruamel round-trip tree with a comment per entry.

Every component and field carries an end-of-line comment naming the input line it came from
(`# compose.yaml:14`), so a reader can check each decision against the original. Output is
deterministic: sections in spec order, components in input order, no timestamps.
"""
from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

SECTIONS = ("services", "jobs", "databases", "caches", "buckets", "queues", "tables", "filesystems", "functions",
            "sites", "externals", "secrets")
Value = str | int | float | bool | Sequence["Value"] | Mapping[str, "Value"] | None


def _tree(value: Value) -> object:
    if isinstance(value, Mapping):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = _tree(item)
        return out
    if isinstance(value, Sequence) and not isinstance(value, str):
        seq = CommentedSeq(_tree(v) for v in value)
        if all(isinstance(v, str | int | float | bool) or v is None for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


class StackDoc:
    """Builder for the output document."""

    def __init__(self, name: str, header: str) -> None:
        self.root = CommentedMap()
        self.header = header
        self.root["infracc"] = 1
        self.root["name"] = name
        self._sections: dict[str, CommentedMap] = {}

    def top(self, key: str, value: Value, origin: str | None = None) -> None:
        self.root[key] = _tree(value)
        self._comment(self.root, key, origin)

    def environment(self, name: str, settings: Mapping[str, Value], origin: str | None) -> None:
        envs = self.root.get("environments")
        if envs is None:
            envs = self.root["environments"] = CommentedMap()
        envs[name] = _tree(settings) if settings else CommentedMap()
        if not settings:
            envs[name].fa.set_flow_style()
        self._comment(envs, name, origin)

    def has(self, name: str) -> bool:
        return any(name in section for section in self._sections.values())

    def component(self, section: str, name: str, origin: str | None) -> CommentedMap:
        assert section in SECTIONS, section
        if section not in self._sections:
            self._sections[section] = CommentedMap()
        comp = CommentedMap()
        self._sections[section][name] = comp
        self._comment(self._sections[section], name, origin)
        return comp

    def components(self, section: str) -> CommentedMap:
        return self._sections.get(section, CommentedMap())

    def put(self, comp: CommentedMap, key: str, value: Value, origin: str | None = None) -> None:
        comp[key] = _tree(value)
        self._comment(comp, key, origin)

    @staticmethod
    def _comment(parent: CommentedMap, key: str, origin: str | None) -> None:
        if origin:
            parent.yaml_add_eol_comment(f"from {origin}", key)

    def text(self) -> str:
        for section in SECTIONS:
            if section in self._sections and self._sections[section]:
                self.root[section] = self._sections[section]
                for comp in self._sections[section].values():
                    if not comp:  # an empty mapping prints as `{}`; keep the key's comment
                        comp.fa.set_flow_style()
        yaml = YAML(typ="rt")
        yaml.width = 4096
        yaml.indent(mapping=2, sequence=4, offset=2)
        buf = io.StringIO()
        yaml.dump(self.root, buf)
        head = "".join(f"# {line}".rstrip() + "\n" for line in self.header.splitlines())
        body = buf.getvalue()
        return head + body + ("" if body.endswith("\n") else "\n")
