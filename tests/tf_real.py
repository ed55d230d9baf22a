"""The real `terraform` binary for tests/test_terraform_real.py: toolchain discovery (binary and a
local filesystem mirror of hashicorp/aws: nothing is ever downloaded), a generated CLI config,
`init`/`validate`/`test` runners, the mock-provider test file, and the tf_semantics runner.

What is specific to our output (the 6.x → 5.x rewrite table, the mock values) lives in the test
module; this module only knows Terraform.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROVIDER = "registry.terraform.io/hashicorp/aws"
# Shared by every test process (xdist workers) of every run: config, plugin cache, schema summary.
STATE = Path(tempfile.gettempdir()) / "infracc-terraform"
def _semantics_tool() -> Path:
    """tf_semantics.py: $TF_SEMANTICS_TOOL, else `../shared/tools` beside the checkout, else the
    workplace copy (a clean checkout elsewhere, as CI makes, has no `../shared`)."""
    if os.environ.get("TF_SEMANTICS_TOOL"):
        return Path(os.environ["TF_SEMANTICS_TOOL"])
    for candidate in (ROOT.parent / "shared" / "tools" / "tf_semantics.py", Path("/work/shared/tools/tf_semantics.py")):
        if candidate.is_file():
            return candidate
    return ROOT.parent / "shared" / "tools" / "tf_semantics.py"


SEMANTICS = _semantics_tool()
TIMEOUT = 600


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    """An exclusive lock shared by all test processes on this machine."""
    STATE.mkdir(parents=True, exist_ok=True)
    with open(STATE / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------------------------
def _configured_mirrors() -> list[Path]:
    """`filesystem_mirror` paths of the CLI configs Terraform would read here."""
    files = [os.environ.get("TF_CLI_CONFIG_FILE", ""), "~/.terraformrc", "/etc/terraformrc"]
    found = []
    for name in files:
        path = Path(name).expanduser() if name else None
        if path and path.is_file():
            text = path.read_text(errors="replace")
            for block in re.findall(r"filesystem_mirror\s*\{([^}]*)\}", text):
                m = re.search(r'path\s*=\s*"([^"]+)"', block)
                if m:
                    found.append(Path(m[1]).expanduser())
    return found


def _mirror_candidates() -> list[Path]:
    env = os.environ.get("INFRACC_TF_MIRROR")
    implied = ["~/.terraform.d/plugins", "~/.local/share/terraform/plugins", "/usr/local/share/terraform/plugins",
               "/usr/share/terraform/plugins", "/opt/tf-plugins"]
    xdg = [f"{d}/terraform/plugins" for d in os.environ.get("XDG_DATA_DIRS", "").split(":") if d]
    out: list[Path] = []
    for p in ([Path(env)] if env else []) + _configured_mirrors() + [Path(p).expanduser() for p in implied + xdg]:
        if p not in out:
            out.append(p)
    return out


def find_mirror(platform: str) -> tuple[Path, str] | None:
    """(mirror directory, newest hashicorp/aws version in it) in the unpacked or packed layout."""
    best: tuple[tuple[int, ...], Path, str] | None = None
    for root in _mirror_candidates():
        base = root / PROVIDER
        if not base.is_dir():
            continue
        versions = [d.name for d in base.iterdir() if d.is_dir() and any((d / platform).glob("terraform-provider-aws_*"))]
        versions += [m[1] for f in base.glob(f"terraform-provider-aws_*_{platform}.zip")
                     if (m := re.match(r"terraform-provider-aws_(\d+\.\d+\.\d+)_", f.name))]
        for v in versions:
            if best is None or version_key(v) > best[0]:
                best = (version_key(v), root, v)
    return None if best is None else (best[1], best[2])


@dataclass(frozen=True)
class Toolchain:
    terraform: str
    terraform_version: str
    platform: str
    mirror: Path
    provider_version: str
    config: Path
    cache: Path
    reattach: str | None = None  # TF_REATTACH_PROVIDERS of a running ProviderServer

    def env(self, reattach: bool = True) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "CHECKPOINT"))}
        env.update(TF_CLI_CONFIG_FILE=str(self.config), TF_IN_AUTOMATION="1", TF_INPUT="0",
                   CHECKPOINT_DISABLE="1")
        if reattach and self.reattach:
            env["TF_REATTACH_PROVIDERS"] = self.reattach
        return env

    def run(self, args: list[str], cwd: Path, timeout: int = TIMEOUT,
            reattach: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.terraform, *args], cwd=cwd, env=self.env(reattach), capture_output=True,
                              text=True, timeout=timeout)

    def binary(self) -> Path | None:
        """The provider executable in an unpacked mirror."""
        return next(iter(sorted((self.mirror / PROVIDER / self.provider_version / self.platform)
                                .glob("terraform-provider-aws_*"))), None)

    def describe(self) -> str:
        how = ", one reattached provider process" if self.reattach else ""
        return (f"terraform {self.terraform_version}, hashicorp/aws {self.provider_version} from the filesystem "
                f"mirror {self.mirror}{how}")


class ProviderServer:
    """The mirrored provider started once in debug mode; terraform commands attach to it through
    TF_REATTACH_PROVIDERS instead of starting the 700 MB binary themselves (validate starts it
    about twice, `terraform test` about 17 times: ~0.4 CPU-s each). Same binary, same answers;
    `init` never uses it, so the mirror installation is still exercised. One per test process,
    whose terraform commands run one at a time. INFRACC_TF_NO_REATTACH=1 turns it off."""

    def __init__(self, tc: Toolchain) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.reattach: str | None = None
        binary = tc.binary()
        if binary is None or os.environ.get("INFRACC_TF_NO_REATTACH"):
            return
        STATE.mkdir(parents=True, exist_ok=True)
        self.log = Path(tempfile.mkstemp(prefix="provider-", suffix=".log", dir=STATE)[1])
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen([str(binary), "-debug"], stdout=out, stderr=subprocess.STDOUT,
                                         env=tc.env(reattach=False), start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and self.proc.poll() is None:
            m = re.search(r"TF_REATTACH_PROVIDERS='(\{.*\})'", self.log.read_text(errors="replace"))
            if m:
                self.reattach = m[1]
                return
            time.sleep(0.2)
        self.stop()  # no reattach line: commands start the provider themselves

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "log", None):
            self.log.unlink(missing_ok=True)


def discover() -> Toolchain | str:
    """The toolchain, or why there is none (the reason a test skips with)."""
    binary = shutil.which(os.environ.get("TERRAFORM", "terraform"))
    if binary is None:
        return "terraform is not on PATH (set TERRAFORM=/path/to/terraform)"
    env = {k: v for k, v in os.environ.items() if k != "TF_CLI_CONFIG_FILE"}
    proc = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, timeout=60, env=env)
    info = json.loads(proc.stdout or "{}")
    platform = info.get("platform", "linux_amd64")
    found = find_mirror(platform)
    if found is None:
        where = ", ".join(str(p) for p in _mirror_candidates())
        return (f"no local filesystem mirror of {PROVIDER} for {platform} (looked in {where}; "
                f"set INFRACC_TF_MIRROR=<dir>)")
    mirror, version = found
    cache = STATE / "plugin-cache"
    cache.mkdir(parents=True, exist_ok=True)
    config = STATE / f"cli-{version}.tfrc"
    text = (
        "# generated by tests/tf_real.py: the provider comes from the local mirror only\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(mirror))}\n"
        f"    include = [{json.dumps(PROVIDER)}]\n"
        "  }\n"
        "}\n"
        f"plugin_cache_dir   = {json.dumps(str(cache))}\n"
        "disable_checkpoint = true\n")
    if not config.exists() or config.read_text() != text:
        tmp = config.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, config)
    return Toolchain(binary, info.get("terraform_version", "?"), platform, mirror, version, config, cache)


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------
def init(tc: Toolchain, workdir: Path) -> subprocess.CompletedProcess[str]:
    """`terraform init -backend=false`; the first init on a machine fills the plugin cache under a
    lock (concurrent inits would race on it), later ones only link from it."""
    args = ["init", "-backend=false", "-input=false", "-no-color"]
    if (tc.cache / PROVIDER / tc.provider_version / tc.platform).exists():
        return tc.run(args, workdir, reattach=False)
    with locked("plugin-cache"):
        return tc.run(args, workdir, reattach=False)


def diagnostics(proc: subprocess.CompletedProcess[str]) -> tuple[list[str], list[str]]:
    """Errors and warnings of `terraform validate -json`, one line each."""
    data = json.loads(proc.stdout)
    errors, warnings = [], []
    for d in data.get("diagnostics", []):
        rng = d.get("range") or {}
        where = f"{Path(rng.get('filename', '?')).name}:{rng.get('start', {}).get('line', '?')}"
        context = (d.get("snippet") or {}).get("context") or d.get("address") or ""
        line = f"{d.get('summary')}: {' '.join(d.get('detail', '').split())} [{where} {context}]".strip()
        (errors if d.get("severity") == "error" else warnings).append(line)
    return errors, warnings


def provider_schema(tc: Toolchain) -> dict[str, dict[str, dict[str, Any]]]:
    """`{"resource"|"data": {type: {attribute: {"type": …, "computed": …, "optional": …}}}}` of the
    mirrored provider, from `terraform providers schema -json` (cached on disk per version)."""
    cached = STATE / f"schema-aws-{tc.provider_version}.json"
    with locked("schema"):
        if not cached.exists():
            scratch = Path(tempfile.mkdtemp(prefix="infracc-tf-schema-"))
            try:
                (scratch / "main.tf.json").write_text(json.dumps({"terraform": {"required_providers": {
                    "aws": {"source": "hashicorp/aws", "version": tc.provider_version}}}}))
                proc = init(tc, scratch)
                assert proc.returncode == 0, proc.stdout + proc.stderr
                proc = tc.run(["providers", "schema", "-json"], scratch)
                assert proc.returncode == 0, proc.stderr
                full = json.loads(proc.stdout)["provider_schemas"][PROVIDER]
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            small = {kind: {t: {a: {k: v[k] for k in ("type", "computed", "optional", "required") if k in v}
                                for a, v in s["block"].get("attributes", {}).items()}
                            for t, s in full[key].items()}
                     for kind, key in (("resource", "resource_schemas"), ("data", "data_source_schemas"))}
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(small))
            os.replace(tmp, cached)
    return json.loads(cached.read_text())


# --------------------------------------------------------------------------------------------
# HCL for the generated test file
# --------------------------------------------------------------------------------------------
def hcl(value: Any, indent: int = 0) -> str:
    """A Python value as an HCL native-syntax expression (strings escape `${` and `%{`)."""
    pad = "  " * indent
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[\n" + "".join(f"{pad}  {hcl(v, indent + 1)},\n" for v in value) + f"{pad}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        rows = []
        for k, v in value.items():
            key = k if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", k) else json.dumps(k)
            rows.append(f"{pad}  {key} = {hcl(v, indent + 1)}\n")
        return "{\n" + "".join(rows) + f"{pad}}}"
    raise TypeError(f"no HCL for {value!r}")


def block(header: str, body: dict[str, Any], nested: list[str] = ()) -> str:
    rows = [f"  {k} = {hcl(v, 1)}\n" for k, v in body.items()]
    inner = "".join(rows) + "".join("".join("  " + line + "\n" for line in n.splitlines()) for n in nested)
    return f"{header} {{\n{inner}}}\n"


def provider_aliases(doc: dict[str, Any]) -> list[str | None]:
    configs = (doc.get("provider") or {}).get("aws") or [{}]
    configs = configs if isinstance(configs, list) else [configs]
    return [c.get("alias") for c in configs] or [None]


# --------------------------------------------------------------------------------------------
# Terraform template strings (what a literal in Terraform JSON evaluates to)
# --------------------------------------------------------------------------------------------
def template_parts(text: str) -> tuple[str, list[str]]:
    """Evaluate the escapes of a Terraform JSON string template: `$${` → `${`, `%%{` → `%{`.
    Every real interpolation or directive (`${…}`, `%{…}`) is replaced by `«N»` and returned."""
    out, found, i = [], [], 0
    while i < len(text):
        if text.startswith(("$${", "%%{"), i):
            out.append(text[i + 1:i + 3])
            i += 3
        elif text.startswith(("${", "%{"), i):
            depth, j = 0, i + 1
            while j < len(text):
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                if depth == 0:
                    break
                j += 1
            found.append(text[i:j + 1])
            out.append(f"«{len(found) - 1}»")
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out), found


# --------------------------------------------------------------------------------------------
# tf_semantics (the 6.x schema oracle)
# --------------------------------------------------------------------------------------------
def _oracle_python() -> str:
    """The oracle virtualenv's Python (tests/oracles.txt: it holds the cdktf-cdktf-provider-aws
    assembly tf_semantics reads), else this one."""
    bin_dir = Path(os.environ.get("INFRACC_ORACLES") or ROOT / ".venv-oracles" / "bin")
    return str(bin_dir / "python") if (bin_dir / "python").exists() else sys.executable


def semantics(files: list[Path]) -> tuple[int, list[str], str]:
    """(exit code, findings, summary line) of tf_semantics.py over the given files."""
    env = dict(os.environ, PROJECT=str(ROOT))
    with locked("tf-semantics"):  # the first run parses the schema (~20 s, ~800 MB): once, not per worker
        proc = subprocess.run([_oracle_python(), str(SEMANTICS), *map(str, files)], capture_output=True, text=True,
                              timeout=TIMEOUT, env=env, cwd=ROOT)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    summary = lines[-1] if lines and lines[-1].startswith("tf-semantics:") else proc.stdout[-500:] + proc.stderr[-2000:]
    findings = [line for line in lines if not line.startswith("tf-semantics:")]
    return proc.returncode, findings, summary
