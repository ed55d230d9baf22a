"""What translating one compose file needs, shared by compose.py and compose_workload.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FsPath

from ruamel.yaml.comments import CommentedMap

from infracc.compiler.diagnostics import Path
from infracc.compiler.importers.compose_env import Target
from infracc.compiler.importers.compose_values import Interp
from infracc.compiler.importers.report import ImportReport
from infracc.compiler.importers.source import SourceFile
from infracc.compiler.importers.stackdoc import StackDoc


@dataclass
class Imported:
    """The stack text (None when the input had errors), its report and the directory it belongs in."""

    text: str | None
    report: ImportReport
    stack_dir: FsPath


@dataclass
class Built:
    """A translated workload, finished once every service is known (uses, public paths)."""

    raw: str
    name: str
    comp: CommentedMap
    port: int | None = None
    public: bool = False
    uses: dict[str, Path] = field(default_factory=dict)  # target name → compose path it came from
    context: FsPath | None = None


@dataclass
class Context:
    """What translating one compose file needs: the file, `.env`, the report, the output."""

    file: SourceFile
    folder: FsPath
    stack_dir: FsPath
    interp: Interp
    report: ImportReport
    doc: StackDoc
    hosts: dict[str, Target]
    named_volumes: set[str]
    built: list[Built] = field(default_factory=list)

    def origin(self, path: Path) -> str:
        return f"{self.file.name}:{self.file.locate(path)[0]}"

    def interpolate(self, text: str, path: Path) -> str:
        value = self.interp(text)
        for name in self.interp.take_unset():
            self.report.lossy("decide", self.file, path, f"`${{{name}}}` has no value in .env; compose would "
                              "substitute an empty string, and so does the import",
                              "set it in .env and import again, or edit stack.yaml")
        return value

    def quiet(self, text: str) -> str:
        """Interpolate without reporting unset names (the setting is reported as a whole)."""
        value = self.interp(text)
        self.interp.take_unset()
        return value
