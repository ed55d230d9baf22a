"""Read a build context and say what it contains: package manager, lock files, entry point.

Used by the `build_context` pass. Every function takes the context directory and returns a
`Detected`; `assumed` lists what could not be told from the files (reported as diagnostics).

>>> from pathlib import Path
>>> detect("go", Path("/nonexistent"), None).package_manager
'go'
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENTRY_FILES = ("main.py", "app.py", "server.py")
NODE_ENTRY_FILES = ("server.js", "index.js", "app.js", "main.js")


@dataclass
class Detected:
    package_manager: str = "none"
    dependency_files: list[str] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    command_source: str = ""
    artifact: str | None = None
    build_script: bool = False
    missing_lock: bool = False
    assumed: list[str] = field(default_factory=list)


def detect(language: str, root: Path, command: list[str] | None) -> Detected:
    found = {"python": _python, "node": _node, "go": _go, "java": _java, "static": _static}[language](root)
    if command:
        found.command, found.command_source = list(command), "spec `command`"
    return found


def _exists(root: Path, name: str) -> bool:
    return (root / name).is_file()


def _python(root: Path) -> Detected:
    found = Detected(package_manager="pip")
    if _exists(root, "uv.lock") and _exists(root, "pyproject.toml"):
        found.package_manager, found.dependency_files = "uv", ["pyproject.toml", "uv.lock"]
    elif _exists(root, "requirements.txt"):
        found.dependency_files = ["requirements.txt"]
    elif _exists(root, "pyproject.toml"):
        found.dependency_files = ["pyproject.toml"]
    else:
        found.package_manager, found.missing_lock = "none", True
    found.command, found.command_source = _python_entry(root)
    return found


def _python_entry(root: Path) -> tuple[list[str], str]:
    for name in ENTRY_FILES:
        if _exists(root, name):
            return ["python", name], f"{name} in the build context"
    packages = sorted(p.parent.name for p in root.glob("*/__main__.py")) if root.is_dir() else []
    if packages:
        return ["python", "-m", packages[0]], f"{packages[0]}/__main__.py in the build context"
    scripts = _pyproject(root).get("project", {}).get("scripts", {})
    if scripts:
        name = sorted(scripts)[0]
        return [name], f"pyproject.toml [project.scripts] `{name}`"
    return [], ""


def _pyproject(root: Path) -> dict[str, Any]:
    import tomllib  # here, not at import: only a Python project with a pyproject.toml reads it

    try:
        return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _package_json(root: Path) -> dict[str, Any]:
    try:
        data = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _node(root: Path) -> Detected:
    found = Detected(package_manager="npm", dependency_files=["package.json"])
    if _exists(root, "package-lock.json"):
        found.dependency_files.append("package-lock.json")
    else:
        found.missing_lock = True
    pkg = _package_json(root)
    found.build_script = "build" in pkg.get("scripts", {})
    start = str(pkg.get("scripts", {}).get("start", ""))
    if re.fullmatch(r"node [\w./-]+", start):
        found.command, found.command_source = start.split(), "package.json scripts.start"
    elif isinstance(pkg.get("main"), str):
        found.command, found.command_source = ["node", pkg["main"]], "package.json main"
    else:
        for name in NODE_ENTRY_FILES:
            if _exists(root, name):
                found.command, found.command_source = ["node", name], f"{name} in the build context"
                break
    return found


def _go(root: Path) -> Detected:
    found = Detected(package_manager="go", dependency_files=["go.mod"])
    if _exists(root, "go.sum"):
        found.dependency_files.append("go.sum")
    if _exists(root, "main.go"):
        found.artifact = "."
    else:
        mains = sorted(p.parent.relative_to(root).as_posix() for p in root.glob("cmd/*/main.go")) if root.is_dir() else []
        found.artifact = f"./{mains[0]}" if mains else None
    found.command = ["/app/server"]
    found.command_source = f"Go main package `{found.artifact}`" if found.artifact else ""
    found.artifact = found.artifact or "."
    return found


def _java(root: Path) -> Detected:
    if _exists(root, "pom.xml"):
        found = Detected(package_manager="maven", dependency_files=["pom.xml"])
        found.artifact = f"target/{_maven_final_name(root)}.jar"
    elif _exists(root, "build.gradle") or _exists(root, "build.gradle.kts"):
        name = "build.gradle" if _exists(root, "build.gradle") else "build.gradle.kts"
        found = Detected(package_manager="gradle", dependency_files=[name])
        found.artifact = "build/libs/*.jar"
        found.assumed.append("the Gradle build produces one runnable jar in build/libs (the `-plain` jar is ignored)")
    else:
        found = Detected(package_manager="maven", dependency_files=["pom.xml"], missing_lock=True)
        found.artifact = "target/app.jar"
    found.command, found.command_source = ["java", "-jar", "/app/app.jar"], f"{found.package_manager} jar `{found.artifact}`"
    return found


def _maven_final_name(root: Path) -> str:
    from xml.etree import ElementTree  # only a Maven project reads XML

    try:
        tree = ElementTree.parse(root / "pom.xml")
    except (OSError, ElementTree.ParseError):
        return "app"
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}

    def text(path: str) -> str | None:
        node = tree.find(path, ns)
        return node.text.strip() if node is not None and node.text else None

    final = text("m:build/m:finalName")
    if final and "${" not in final:
        return final
    artifact, version = text("m:artifactId"), text("m:version")
    return f"{artifact}-{version}" if artifact and version and "${" not in version else "app"


def _static(root: Path) -> Detected:
    pkg = _package_json(root)
    if "build" in pkg.get("scripts", {}):
        found = Detected(package_manager="npm", dependency_files=["package.json"], build_script=True)
        if _exists(root, "package-lock.json"):
            found.dependency_files.append("package-lock.json")
        else:
            found.missing_lock = True
        found.artifact = "dist"
        found.assumed.append("`npm run build` writes the site to dist/")
    else:
        found = Detected(artifact=".")
    found.command, found.command_source = ["nginx", "-g", "daemon off;"], "nginx (static site)"
    return found
