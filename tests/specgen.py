"""Generators of VALID `stack.yaml` specs for property tests (issue #11 item 3).

`stacks()` is a hypothesis strategy whose values are `Generated`: the spec as plain data (what
the loader hands to the schema) plus the source tree its `build` contexts, function `source`
and site `source` directories need. Every value is meant to compile without an error
diagnostic; when `analyze` reports one, either the generator or the validator is wrong, and
the test that found it says which spec.

What is drawn (see SPEC.md and `schema/`): every component kind and field, every shorthand
(`public: true|false|{path, cdn, host}`, `health: "/x"|{command}`, `replicas: N|{min, max,
cpu_target}`, `deploy` rolling/blue-green/canary with and without steps, `{}` objects), every
function trigger, both platforms, with and without `domain` (and hosts under it), compliance
`[]`/`[soc2]`/`[gdpr]`/both, every environment option, per-environment `overrides`, `uses`
with modes and consistent `${component.output}` placeholders, Fargate pairs, 5-field cron
(ranges, lists, steps, names), prebuilt `image` vs `build` (python, node, go, java, static,
dockerfile contexts in several shapes), workload `writable` directories and `run_as` users
(never root; canary/blue-green only on services with a port), and the `allow` entries the
security pass requires.

The cross-field rules honoured are the ones `compiler/passes/validate.py`, `security.py`
and `sizing.py` enforce; the tables (Fargate, engines, regions, sizing profiles) are read
from `library/`, the outputs and modes from `compiler/ir.py`.

Run as a script to hunt for crashes and write minimal reproducers (see `main`):

    .venv/bin/python tests/specgen.py hunt --count 1500 --write tests/regressions
"""
from __future__ import annotations

import copy
import io
import json
import os
import re
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from ruamel.yaml import YAML

import infracc.compiler
from infracc.compiler.ir import MODES, OUTPUTS

# The code under test: the repository, or a snapshot put first on PYTHONPATH (crash hunting
# against a fixed commit while the working tree changes).
CODE_ROOT = Path(infracc.compiler.__file__).parent.parent


def _library(name: str) -> Any:
    return json.loads((CODE_ROOT / "library" / name).read_text(encoding="utf-8"))


FARGATE: dict[float, list[int]] = {float(k): v for k, v in _library("fargate.json")["memory_mib"].items()}
CPU_STEPS = sorted(FARGATE)
REGIONS: dict[str, dict] = _library("regions.json")["regions"]
EEA = sorted(r for r, v in REGIONS.items() if v["eea"])
NON_EEA = sorted(r for r, v in REGIONS.items() if not v["eea"])
PRICED = _library("prices.json")["regions"]
ENGINES: dict[str, dict] = _library("engines.json")
PROFILES: dict[str, dict] = _library("sizing.json")["profiles"]
DEFAULT_SIZE = {"dev": "small", "staging": "medium", "prod": "large"}  # SPEC: Environments
DEFAULT_ENVS = ("dev", "staging", "prod")
TARGETS = ("terraform", "kubernetes", "helm", "docker", "compose", "ci", "docs")

SECTIONS = {"services": "service", "jobs": "job", "databases": "database", "caches": "cache",
            "buckets": "bucket", "queues": "queue", "tables": "table", "filesystems": "filesystem",
            "functions": "function", "sites": "site", "externals": "external", "secrets": "secret"}
USABLE = set(MODES)  # kinds a `uses` entry may name
# Cycles across kinds (service -> function -> service) are valid: validate refuses cycles among
# services and among functions only. INFRACC_GEN_ACYCLIC=1 keeps every `uses` graph acyclic.
ACYCLIC = os.environ.get("INFRACC_GEN_ACYCLIC") == "1"

NAMES = ["api", "web", "worker", "db", "cache", "uploads", "jobs", "reports", "thumbs", "events", "docs",
         "app", "ledger", "search", "billing-api", "order-events", "media", "sessions", "mailer",
         "cron-1", "x", "a1", "svc-2", "frontend", "admin", "thumbnailer", "indexer", "hello", "store"]
ENV_NAMES = ["dev", "staging", "prod", "qa", "test", "prod-eu", "perf", "sandbox", "e2e", "uat", "preprod"]
STACK_NAMES = ["shop", "photos", "marketplace", "acme-prod", "x9z", "abc", "a-very-long-stack-name24"]
DOMAINS = ["example.com", "shop.example.com", "a-b.co.uk", "x.io", "apps.internal.example.org"]
IMAGES = ["nginx:1.27", "ghcr.io/acme/api:1.2.3", "public.ecr.aws/docker/library/redis:7.2",
          "registry.example.com:5000/team/app:v2", "acme/worker:2024.06.01", "busybox:1.36",
          "python:3.12-slim", "ghcr.io/acme/ledger:2.3.1-rc.1",
          "nginx:1.27@sha256:" + "a" * 64, "ghcr.io/acme/ledger@sha256:" + "0123456789abcdef" * 4,
          "nginx", "ghcr.io/acme/api:latest"]  # the last two are unpinned: a warning, still valid
WRITABLE = ["/tmp", "/var/cache/nginx", "/var/run", "/data", "/home/app/.cache", "/var/lib/app"]
# Mount paths: none is /tmp or a WRITABLE path (IC-FS-006).
MOUNT_PATHS = ["/srv/media", "/mnt/shared", "/var/lib/files", "/srv/uploads", "/opt/assets/"]
IA_DAYS = [0, 1, 7, 14, 30, 60, 90, 180, 270, 365]
RUN_AS_UIDS = [101, 999, 1000, 10001, 65534]
ENV_KEYS = ["LOG_LEVEL", "NODE_ENV", "FEATURE_FLAGS", "APP_MODE", "REGION_HINT", "port", "http_proxy",
            "_UNDERSCORE", "X", "JAVA_TOOL_OPTIONS", "MEDIA_BASE", "CONFIG_JSON", "GREETING"]
SECRET_NAMES = ["STRIPE_KEY", "JWT_SIGNING_KEY", "SMTP_PASSWORD", "api_token", "LICENSE"]
LITERALS: list[Any] = ["info", "debug", "production", "https://app.example.com", "8080", 8080, 0, True, False,
                       "", "a b c", 'quote"d', "it's", "multi\nline", "ünïcödé 日本", "$${literal}", "50%",
                       "#hash", "key=value", "a:b", "*", "- dash", "{json: true}", "[1, 2]", "null", "~",
                       "yes", "0755", "-XX:MaxRAMPercentage=75", "Hello, $${user}!", "tab\there", "back\\slash"]
# Words no literal env key may contain: a superset of the validator's secret-name pattern.
_SECRETISH = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE|ACCESS", re.I)
_LITERAL_ALPHABET = st.characters(codec="utf-8", exclude_characters="${}@\r\x85\u2028\u2029",
                                  exclude_categories=("Cs", "Cc"))
RUNTIMES = {  # Lambda runtime → (handler, source files)
    "python3.9": ("app.handler", "py"), "python3.12": ("app.handler", "py"), "python3.13": ("main.lambda_handler", "py"),
    "python3.14": ("app.handler", "py"), "nodejs18.x": ("index.handler", "js"), "nodejs20.x": ("index.handler", "js"),
    "nodejs22.x": ("index.handler", "js"), "nodejs24.x": ("src/index.handler", "js"),
    "java11": ("com.acme.Handler::handleRequest", "java"), "java17": ("com.acme.Handler::handleRequest", "java"),
    "java21": ("com.acme.Handler::handleRequest", "java"), "java25": ("com.acme.Handler", "java"),
    "provided.al2023": ("bootstrap", "provided"), "provided.al2": ("bootstrap", "provided"),
    "ruby3.2": ("app.handler", "rb"), "ruby3.4": ("function.handler", "rb"),
    "dotnet8": ("Fn::Fn.Function::Handler", "cs"), "dotnet10": ("Fn::Fn.Function::Handler", "cs"),
}
LANG_VERSIONS = {"python": ["3.12", "3.11", "3.13"], "node": ["22", "20", 22], "go": ["1.23", "1.22"],
                 "java": ["21", "17"], "static": ["22", "20"]}
VARIANTS = {"python": 6, "node": 4, "go": 3, "java": 5, "static": 2, "dockerfile": 1}
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
CRONS = ["0 3 * * *", "*/15 * * * *", "0 9 * * 1-5", "30 2 1 * *", "0 0 * * sun", "0 12 * jan-mar mon-fri",
         "0 0 1 1 *", "5 4 * * 7", "0 */6 * * *", "15,45 8-18 * * MON-FRI", "0 0 29 2 *", "59 23 31 12 6"]
REASON = "accepted by the platform team; reviewed in the quarterly audit"


@dataclass
class Generated:
    """A generated valid spec: plain data, plus the tree of files its paths point at."""

    spec: dict[str, Any]
    variants: dict[str, list] = field(default_factory=dict)  # context dir → [language, variant]

    def yaml(self) -> str:
        return dump(self.spec)

    def tree(self) -> dict[str, str]:
        return source_tree(self.spec, self.variants)

    def write(self, root: Path) -> Path:
        """stack.yaml and its source tree under `root`; returns the stack file."""
        root.mkdir(parents=True, exist_ok=True)
        for rel, text in self.tree().items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        stack = root / "stack.yaml"
        stack.write_text(self.yaml(), encoding="utf-8")
        return stack

    def __repr__(self) -> str:  # hypothesis prints this for a failing example
        return f"Generated(variants={self.variants!r}) with stack.yaml:\n{self.yaml()}"


def dump(data: dict[str, Any]) -> str:
    """YAML text in insertion order (environment order is promotion order)."""
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


# --- source trees -------------------------------------------------------------------------


def context_dir(rel: str) -> str:
    """`./api/` → `api`; `.` → `` (the stack directory)."""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    return "/".join(parts)


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name


def _app_files(language: str, variant: int, dockerfile: str | None) -> dict[str, str]:
    py_app = "from http.server import HTTPServer, BaseHTTPRequestHandler\n"
    if language == "python":
        return [
            {"requirements.txt": "flask==3.0.3\ngunicorn==22.0.0\n", "main.py": py_app},
            {"requirements.txt": "requests==2.32.3\n", "app.py": py_app},
            {"pyproject.toml": '[project]\nname = "svc"\nversion = "1.0.0"\n', "uv.lock": "version = 1\n",
             "svc/__init__.py": "", "svc/__main__.py": py_app},
            {"pyproject.toml": '[project]\nname = "svc"\nversion = "1.0.0"\n[project.scripts]\nserve = "svc:main"\n',
             "svc.py": "def main():\n    pass\n"},
            {"worker/__init__.py": "", "worker/__main__.py": "print('working')\n"},
            {"README.md": "nothing detectable here\n"},
        ][variant]
    if language == "node":
        lock = json.dumps({"name": "svc", "lockfileVersion": 3, "packages": {}})
        return [
            {"package.json": json.dumps({"name": "svc", "scripts": {"start": "node server.js"}}),
             "package-lock.json": lock, "server.js": "require('node:http').createServer().listen(3000);\n"},
            {"package.json": json.dumps({"name": "svc", "main": "src/index.js"}), "src/index.js": "console.log(1);\n"},
            {"package.json": "{}", "index.js": "console.log(1);\n"},
            {"package.json": json.dumps({"name": "svc", "scripts": {"build": "tsc", "start": "node dist/main.js"}}),
             "package-lock.json": lock, "src/main.ts": "console.log(1);\n"},
        ][variant]
    if language == "go":
        main = "package main\n\nfunc main() {}\n"
        return [
            {"go.mod": "module example.com/svc\n\ngo 1.23\n", "go.sum": "", "main.go": main},
            {"go.mod": "module example.com/svc\n\ngo 1.22\n", "cmd/server/main.go": main},
            {"go.mod": "module example.com/svc\n\ngo 1.23\n"},
        ][variant]
    if language == "java":
        pom = ('<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
               "<groupId>com.acme</groupId><artifactId>svc</artifactId><version>1.0.0</version>{}</project>\n")
        return [
            {"pom.xml": pom.format(""), "src/main/java/App.java": "class App {}\n"},
            {"pom.xml": pom.format("<build><finalName>service</finalName></build>")},
            {"build.gradle": "plugins { id 'java' }\n", "src/main/java/App.java": "class App {}\n"},
            {"build.gradle.kts": "plugins { java }\n"},
            {"src/main/java/App.java": "class App {}\n"},
        ][variant]
    if language == "static":
        return [
            {"index.html": "<!doctype html><title>x</title>\n", "assets/app.css": "body{}\n"},
            {"package.json": json.dumps({"name": "site", "scripts": {"build": "vite build"}}),
             "package-lock.json": "{}", "src/index.html": "<!doctype html>\n"},
        ][variant]
    assert language == "dockerfile", language
    return {dockerfile or "Dockerfile": "FROM nginx:1.27\nUSER 10001\n", ".dockerignore": ".git\n"}


_FUNCTION_FILES = {
    "py": {"app.py": "def handler(event, context):\n    return {}\n", "requirements.txt": "boto3==1.34.0\n"},
    "js": {"index.mjs": "export const handler = async () => ({});\n", "package.json": '{"type": "module"}'},
    "java": {"build.gradle": "plugins { id 'java' }\n"},
    "provided": {"bootstrap": "#!/bin/sh\n"},
    "rb": {"app.rb": "def handler(event:, context:) = {}\n"},
    "cs": {"Function.cs": "namespace Fn;\n"},
}


def source_tree(spec: dict[str, Any], variants: dict[str, list] | None = None) -> dict[str, str]:
    """Files for every path the spec names; `variants` picks each build context's shape
    (absent: shape 0)."""
    variants = variants or {}
    files: dict[str, str] = {}

    def each(section: str):  # tolerant of the half-specs the minimiser tries
        for comp in (spec.get(section) or {}).values():
            if isinstance(comp, dict):
                yield comp

    for section in ("services", "jobs"):
        for comp in each(section):
            build = comp.get("build")
            if not (isinstance(build, dict) and isinstance(build.get("context"), str)
                    and build.get("language") in VARIANTS):
                continue
            base = context_dir(build["context"])
            language, variant = variants.get(base, [build["language"], 0])
            if language != build["language"]:
                variant = 0
            for rel, text in _app_files(build["language"], variant, build.get("dockerfile")).items():
                files.setdefault(_join(base, rel), text)
    for comp in each("functions"):
        if isinstance(comp.get("source"), str):
            _, flavour = RUNTIMES.get(comp.get("runtime"), ("", "py"))
            for rel, text in _FUNCTION_FILES[flavour].items():
                files.setdefault(_join(context_dir(comp["source"]), rel), text)
    for comp in each("sites"):
        if not isinstance(comp.get("source"), str):
            continue
        base = context_dir(comp["source"])
        files.setdefault(_join(base, "index.html"), "<!doctype html><title>site</title>\n")
        files.setdefault(_join(base, "404.html"), "<!doctype html><title>404</title>\n")
        files.setdefault(_join(base, "assets/app.js"), "console.log('site');\n")
    return files


# --- small value strategies ---------------------------------------------------------------


def _memory_text(mib: int, use_gi: bool) -> str:
    return f"{mib // 1024}Gi" if use_gi and mib % 1024 == 0 else f"{mib}Mi"


def _cpu_value(cpu: float) -> float | int:
    return int(cpu) if cpu >= 1 else cpu


def durations(low: int, high: int) -> st.SearchStrategy[str]:
    """Durations `Ns|Nm|Nh|Nd` between low and high seconds (inclusive)."""
    options = []
    for unit, seconds in (("s", 1), ("m", 60), ("h", 3600), ("d", 86400)):
        first, last = max(1, -(-low // seconds)), high // seconds
        if first <= last:
            options.append(st.integers(first, min(last, first + 500)).map(lambda n, u=unit: f"{n}{u}"))
    return st.one_of(options)


@st.composite
def crons(draw: st.DrawFn) -> str:
    """Valid 5-field cron expressions: `*`, values, ranges, lists, steps, month/day names."""
    if draw(st.booleans()):
        return draw(st.sampled_from(CRONS))
    fields = [(0, 59, None), (0, 23, None), (1, 31, None), (1, 12, MONTHS), (0, 7, DAYS)]
    parts = []
    for low, high, names in fields:
        terms = []
        for _ in range(draw(st.integers(1, 2))):
            shape = draw(st.integers(0, 5))
            if shape == 0:
                terms.append("*")
            elif shape == 1:
                terms.append(f"*/{draw(st.integers(1, high))}")
            elif shape in (2, 3, 4):
                a = draw(st.integers(low, high))
                if shape == 2:
                    text = str(a)
                else:
                    b = draw(st.integers(a, high))
                    text = f"{a}-{b}" + (f"/{draw(st.integers(1, high))}" if shape == 4 else "")
                terms.append(text)
            else:
                if names is None:
                    terms.append(str(draw(st.integers(low, high))))
                    continue
                a = draw(st.integers(0, len(names) - 1))
                b = draw(st.integers(a, len(names) - 1))
                text = names[a] if a == b else f"{names[a]}-{names[b]}"
                terms.append(text.upper() if draw(st.booleans()) else text)
        parts.append(",".join(terms))
    return " ".join(parts)


def _text(max_size: int = 16) -> st.SearchStrategy[str]:
    return st.text(_LITERAL_ALPHABET, max_size=max_size).filter(
        lambda s: not re.search(r"AKIA|ASIA|gh[pousr]_|xox|sk_|rk_|eyJ|BEGIN", s))


# --- the generator ------------------------------------------------------------------------


class _Gen:
    """One spec: draws the top level, the environments, then each component."""

    def __init__(self, draw: st.DrawFn, platform: str | None, targets: list[str] | str | None) -> None:
        self.draw = draw
        self.platform_choice = platform
        self.targets_choice = targets
        self.variants: dict[str, list] = {}
        self.nat_choices: dict[str, bool] = {}  # environment → `nat_gateway: false` wanted

    def flip(self, p: float = 0.5) -> bool:
        """True with probability about p; shrinks to False (hypothesis favours small integers,
        so the high end of the range means True)."""
        return self.draw(st.integers(0, 99)) >= 100 - round(p * 100)

    def pick(self, options):
        return self.draw(st.sampled_from(list(options)))

    # top level ----------------------------------------------------------------------------

    def stack(self, min_components: int, max_components: int) -> Generated:
        d = self.draw
        spec: dict[str, Any] = {"infracc": 1}
        spec["name"] = self.pick(STACK_NAMES) if self.flip(0.7) else d(st.from_regex(r"[a-z][a-z0-9-]{2,23}", fullmatch=True))
        if self.flip(0.4):
            spec["description"] = d(st.sampled_from(["Online shop", "Photos: *bold* | pipes | <html> & `code`",
                                                     "multi\nline\ndescription", "ünïcödé — stack"]))
        if self.flip(0.4):
            spec["owner"] = self.pick(["team-checkout", "platform@example.com", "Team Ops"])
        self.platform = self.platform_choice or self.pick(["ecs", "eks"])
        if self.platform == "eks" or self.flip(0.5):
            spec["platform"] = self.platform
        packs = self.pick([(), ("soc2",), ("gdpr",), ("soc2", "gdpr"), ("gdpr", "soc2")])
        self.compliance = set(packs)
        if packs or self.flip(0.3):
            spec["compliance"] = list(packs)
        region = self.pick(EEA) if "gdpr" in packs and self.flip(0.85) else self.pick(PRICED if self.flip(0.8) else list(REGIONS))
        if region != "us-east-1" or self.flip(0.5):
            spec["region"] = region
        self.region = region
        self.domain = self.pick(DOMAINS) if self.flip(0.5) else None
        if self.domain:
            spec["domain"] = self.domain
        if self.flip(0.3):
            spec["tags"] = d(st.dictionaries(st.sampled_from(["cost-center", "team", "app:tier", "a/b", "x.y"]),
                                             st.sampled_from(["42", "checkout", "a b", "", "ünï"]), max_size=3))
        if self.targets_choice == "all":
            pass  # no `targets`: every backend
        elif self.targets_choice is not None:
            spec["targets"] = list(self.targets_choice)
        elif self.flip(0.15):
            spec["targets"] = d(st.lists(st.sampled_from(TARGETS), unique=True, max_size=7))
        if self.flip(0.2):
            spec["tracing"] = self.tracing(rate=True)
        envs = self.environments()
        if envs is not None:
            spec["environments"] = envs
            self.envs = list(envs)
            self.sizes = {n: e.get("size") or DEFAULT_SIZE.get(n, "small") for n, e in envs.items()}
            # high availability as the build decides it (a One Zone file system is refused there, IC-FS-005)
            self.ha = {n: e.get("high_availability", self.sizes[n] == "large" and not e.get("preview"))
                       for n, e in envs.items()}
        else:
            self.envs = list(DEFAULT_ENVS)
            self.sizes = dict(DEFAULT_SIZE)
            self.ha = {n: self.sizes[n] == "large" for n in self.envs}
        self.components(spec, min_components, max_components)
        # `targets: []` (or none) is the platform's default targets, as compiler/build.py decides.
        from infracc.compiler.build import default_targets
        targets = spec.get("targets") or default_targets(spec.get("platform") or "ecs")
        if "pr" in envs_or_empty(spec) and "ci" in targets and (
                "terraform" not in targets or spec.get("functions") or spec.get("sites")):
            spec["environments"]["pr"]["preview"] = False  # IC-CI-001: CI cannot copy it; a plain environment
        # A function calling an external needs a route out (IC-EXT-006 when it runs in a VPC).
        egress = any(spec.get(section) for section in ("services", "jobs")) or any(
            self.kind_of.get(u.split(":")[0]) == "external" for f in (spec.get("functions") or {}).values()
            for u in [*(f.get("uses") or []), *(x for o in (f.get("overrides") or {}).values() for x in o.get("uses") or [])])
        for name, refuse in self.nat_choices.items():
            spec["environments"][name]["nat_gateway"] = not (refuse and not egress)
        return Generated(spec, self.variants)

    def environments(self) -> dict[str, dict] | None:
        d = self.draw
        needs_allow = "gdpr" in self.compliance and self.region not in EEA
        if not needs_allow and self.flip(0.3):
            return None
        names = d(st.lists(st.sampled_from(ENV_NAMES) if self.flip(0.8) else st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True),
                           min_size=1, max_size=3, unique=True))
        slots = d(st.lists(st.integers(0, 40), min_size=len(names), max_size=len(names), unique=True))
        out: dict[str, dict] = {}
        for i, (name, slot) in enumerate(zip(names, slots, strict=True)):
            env: dict[str, Any] = {}
            last = i == len(names) - 1
            if self.flip(0.5):
                env["size"] = self.pick(["small", "medium", "large"])
            if self.flip(0.2):
                env["high_availability"] = d(st.booleans())
            region = self.region
            if self.flip(0.2):
                region = self.pick(EEA if "gdpr" in self.compliance and self.flip(0.7) else list(REGIONS))
                env["region"] = region
            if self.flip(0.3):
                env["cidr"] = self.cidr(slot)
            if self.flip(0.2):
                env["approval"] = d(st.booleans())
            if self.flip(0.2):
                env["spot"] = d(st.booleans())
            if self.flip(0.15):
                env["account_id"] = d(st.from_regex(r"[0-9]{12}", fullmatch=True))
            allow = []
            if self.flip(0.2):
                env["deletion_protection"] = d(st.booleans())
            if "soc2" in self.compliance and last and env.get("deletion_protection") is False:
                allow.append({"rule": "IC-SOC2-002", "reason": REASON})
            if "gdpr" in self.compliance and region not in EEA:
                allow.append({"rule": "IC-GDPR-001", "reason": "customers outside the EU; legal basis: SCCs"})
            self.cost_options(env, name)
            if "soc2" in self.compliance and self.flip(0.15):
                env["aws_config"] = self.pick(["create", "existing"])
            if allow:
                env["allow"] = allow
            out[name] = env
        if self.platform == "ecs" and len(out) < 3 and self.flip(0.1):
            # A preview template (copied per pull request) goes first: it is not in the promotion
            # order, so the last environment stays the generator's "last" (retention, approval).
            preview: dict[str, Any] = {"preview": True}
            if self.flip(0.5):
                preview["size"] = self.pick(["small", "medium"])
            if "gdpr" in self.compliance and self.region not in EEA:
                preview["allow"] = [{"rule": "IC-GDPR-001", "reason": "customers outside the EU; legal basis: SCCs"}]
            out = {"pr": preview, **out}
        return out

    def cost_options(self, env: dict[str, Any], name: str) -> None:
        """The cost levers an environment can set: off-hours, NAT, commitments, budget."""
        d = self.draw
        if self.flip(0.15):
            env["off_hours"] = (d(st.booleans()) if self.flip(0.5) else
                                {k: v for k, v in (("active", self.pick(["Mon-Fri 07:00-20:00", "Mon-Sat 06:30-22:00", "Tue-Thu 09:00-17:30"])),
                                                   ("timezone", self.pick([None, "Europe/Berlin", "America/New_York", "UTC"])))
                                 if v is not None and (k == "timezone" or self.flip(0.7))})
        if self.flip(0.15):
            # `false` is valid only without services and jobs, which are drawn later: decided then.
            self.nat_choices[name] = d(st.booleans())
            env["nat_gateway"] = True
        if self.flip(0.15):
            env["commitments"] = {k: v for k, v in (("databases", self.pick(["on-demand", "reserved-1y-no-upfront"])),
                                                    ("compute", self.pick(["on-demand", "savings-plan-1y-no-upfront"])),
                                                    ("caches", self.pick(["on-demand", "reserved-1y-no-upfront"])))
                                  if self.flip(0.7)}
        if self.flip(0.15):
            env["budget"] = d(st.booleans()) if self.flip(0.4) else {"monthly_usd": d(st.integers(1, 100_000))}

    def cidr(self, slot: int) -> str:
        prefix = self.draw(st.integers(16, 20))
        block = 2 ** (24 - prefix) if prefix > 16 else 0
        third = block * self.draw(st.integers(0, 256 // block - 1)) if block else 0
        if slot < 30:
            return f"10.{100 + slot}.{third}.0/{prefix}"  # 10.100-129: apart from the derived 10.10+ ranges
        if slot < 40:
            return f"172.{16 + slot - 30}.{third}.0/{prefix}"
        return f"192.168.{third}.0/{prefix}"

    # components ---------------------------------------------------------------------------

    def components(self, spec: dict[str, Any], lo: int, hi: int) -> None:
        d = self.draw
        n = d(st.integers(lo, hi))
        kinds = d(st.lists(st.sampled_from(list(SECTIONS)), min_size=n, max_size=n))
        pool = st.sampled_from(NAMES) if self.flip(0.7) else st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True)
        names = d(st.lists(st.one_of(pool, st.sampled_from(NAMES)), min_size=n, max_size=n, unique=True))
        self.kind_of = {name: SECTIONS[section] for name, section in zip(names, kinds, strict=True)}
        by_section: dict[str, list[str]] = {s: [] for s in SECTIONS}
        for name, section in zip(names, kinds, strict=True):
            by_section[section].append(name)
        self.contexts: dict[str, str] = {}  # context dir → language
        # Decided first: nothing may use a worker (a service without a port has no address, IC-PH-004).
        self.roles = {name: self.pick(["http", "http", "http", "grpc", "tcp", "worker", "worker"])
                      for name in by_section["services"]}
        self.streamed: list[str] = []  # tables with a stream (a function may be triggered by them)
        self.tcp_ports: set[int] = set()  # ports of the public tcp services (one NLB listener each)
        makers = {"databases": self.database, "caches": self.cache, "buckets": self.bucket, "queues": self.queue,
                  "tables": self.table, "filesystems": self.filesystem, "externals": self.external,
                  "secrets": self.shared_secret,
                  "sites": self.site, "functions": self.function, "services": self.service, "jobs": self.job}
        for section in SECTIONS:
            if by_section[section]:
                spec[section] = {name: makers[section](name) for name in by_section[section]}
        if self.flip(0.05):  # an empty section is valid too
            spec.setdefault(self.pick(list(SECTIONS)), {})

    def names_of(self, *kinds: str) -> list[str]:
        return [n for n, k in self.kind_of.items() if k in kinds]

    def uses_candidates(self, name: str) -> list[str]:
        """What `name` may use: a service only earlier services, a function only earlier
        functions; with ACYCLIC every component only earlier components."""
        order = list(self.kind_of)
        out = []
        for other, kind in self.kind_of.items():
            if other == name or kind not in USABLE or self.roles.get(other) == "worker":
                continue
            if ACYCLIC and order.index(other) >= order.index(name):
                continue
            # validate refuses cycles among services (IC-GRAPH-001) and among functions
            # (IC-GRAPH-002); a cycle across kinds (service -> function -> service) is valid.
            if kind == self.kind_of[name] and kind in ("service", "function") and order.index(other) >= order.index(name):
                continue
            out.append(other)
        return out

    def common(self, comp: dict[str, Any], kind: str) -> None:
        if self.flip(0.3):
            comp["description"] = self.pick(["What it does.", "Uses `backticks`, *stars* and | pipes.",
                                             "two\nlines", "ünïcödé"])
        if self.flip(0.25):
            fields = {"service": ["transfer_gb"], "bucket": ["storage_gb", "requests"], "queue": ["requests"],
                      "table": ["storage_gb", "reads", "writes"], "filesystem": ["storage_gb", "read_gb", "write_gb"],
                      "function": ["requests", "duration_ms"], "site": ["requests", "transfer_gb"]}.get(kind, [])
            if self.flip(0.2):
                fields = ["storage_gb", "requests", "transfer_gb", "duration_ms", "reads", "writes"]
            comp["usage"] = self.usage(fields)
        if self.flip(0.08):  # an allowance nothing needs: a warning, listed nowhere
            comp.setdefault("allow", []).append({"rule": "IC-SEC-010", "reason": REASON})

    def usage(self, fields: list[str]) -> dict[str, Any]:
        d = self.draw
        out: dict[str, Any] = {}
        for f in fields:
            if not self.flip(0.7):
                continue
            if f in ("storage_gb", "transfer_gb", "read_gb", "write_gb"):
                out[f] = d(st.one_of(st.integers(0, 5000), st.floats(0, 5000, allow_nan=False).map(lambda x: round(x, 2))))
            elif f in ("requests", "reads", "writes"):
                out[f] = d(st.integers(0, 50_000_000))
            else:
                out[f] = d(st.integers(1, 900_000))
        return out

    def overrides_for(self, make) -> dict[str, dict] | None:
        """Overrides for some declared environments; `make(env)` returns one partial component."""
        if not self.flip(0.3):
            return None
        chosen = self.draw(st.lists(st.sampled_from(self.envs), min_size=1, max_size=min(2, len(self.envs)), unique=True))
        out = {}
        for env in chosen:
            over = make(env)
            if over:
                out[env] = over
        return out or None

    # data stores --------------------------------------------------------------------------

    def database(self, name: str) -> dict[str, Any]:
        d = self.draw
        comp: dict[str, Any] = {}
        self.common(comp, "database")
        engine = self.pick(["postgres", "mysql"])
        if engine == "mysql" or self.flip(0.5):
            comp["engine"] = engine
        info = ENGINES["databases"][engine]
        if self.flip(0.4):
            comp["version"] = self.pick(info["supported"])
        if self.flip(0.4):
            comp["storage_gb"] = d(st.one_of(st.integers(20, 200), st.integers(20, 65536)))
        if self.flip(0.3):
            comp["instance"] = self.instance(info["instance_families"])
        soc2 = "soc2" in self.compliance
        allow: list[dict] = []
        if self.flip(0.4):
            days = d(st.integers(14, 35) if soc2 else st.integers(1, 35))
            if self.flip(0.3):
                days = self.pick([0, 0, 1, 3, 6, 7, 13])
                if days == 0:
                    allow.append({"rule": "IC-SEC-011", "reason": REASON})
                if soc2:
                    allow.append({"rule": "IC-SOC2-001", "reason": REASON})
            comp["backup_retention_days"] = days
        if allow:
            comp["allow"] = allow
        if self.flip(0.3):
            comp["contains_pii"] = d(st.booleans())
        lax = bool(allow)

        def over(env: str) -> dict[str, Any]:
            o: dict[str, Any] = {}
            if self.flip(0.5):
                o["storage_gb"] = d(st.integers(20, 1000))
            if self.flip(0.3):
                o["instance"] = self.instance(info["instance_families"])
            if self.flip(0.4):
                low = 1 if lax or not soc2 else (14 if env == self.envs[-1] else 7)
                o["backup_retention_days"] = d(st.integers(low, 35))
            if self.flip(0.2):
                o["usage"] = self.usage(["storage_gb"])
            return o

        if o := self.overrides_for(over):
            comp["overrides"] = o
        return comp

    def instance(self, families: list[str]) -> str:
        family = self.pick(families)
        size = self.pick(["micro", "small", "medium"] if ".t" in family else ["large", "xlarge", "2xlarge"])
        return f"{family}.{size}"

    def cache(self, name: str) -> dict[str, Any]:
        comp: dict[str, Any] = {}
        self.common(comp, "cache")
        engine = self.pick(["valkey", "redis"])
        if engine == "redis" or self.flip(0.5):
            comp["engine"] = engine
        info = ENGINES["caches"][engine]
        if self.flip(0.4):
            comp["version"] = self.pick(info["supported"])
        if self.flip(0.3):
            comp["node"] = self.instance(info["node_families"])
        if self.flip(0.3):
            comp["contains_pii"] = self.draw(st.booleans())

        def over(env: str) -> dict[str, Any]:
            o: dict[str, Any] = {}
            if self.flip(0.6):
                o["node"] = self.instance(info["node_families"])
            if self.flip(0.3):
                o["version"] = self.pick(info["supported"])
            return o

        if o := self.overrides_for(over):
            comp["overrides"] = o
        return comp

    def lifecycle(self) -> dict[str, int]:
        d = self.draw
        shape = d(st.integers(0, 3))
        if shape == 0:
            return {}
        if shape == 1:
            return {"archive_after_days": d(st.integers(1, 3650))}
        if shape == 2:
            return {"expire_after_days": d(st.integers(1, 3650))}
        a = d(st.integers(1, 3000))
        return {"archive_after_days": a, "expire_after_days": d(st.integers(a + 1, a + 3650))}

    def bucket(self, name: str) -> dict[str, Any]:
        d = self.draw
        comp: dict[str, Any] = {}
        self.common(comp, "bucket")
        if self.flip(0.3):
            comp["versioning"] = d(st.booleans())
        if self.flip(0.4):
            comp["lifecycle"] = self.lifecycle()
        if self.flip(0.25):
            comp["cors"] = d(st.lists(st.sampled_from(["https://app.example.com", "https://admin.example.com",
                                                       "http://localhost:3000", "*"]), unique=True, max_size=3))
        if self.flip(0.15):
            comp["public_read"] = True
            comp.setdefault("allow", []).append({"rule": "IC-SEC-010", "reason": "public press kit, no personal data"})
            comp["allow"] = [a for i, a in enumerate(comp["allow"]) if a not in comp["allow"][:i]]
        elif self.flip(0.1):
            comp["public_read"] = False
        if self.flip(0.3):
            comp["contains_pii"] = d(st.booleans())
        lifecycle = comp.get("lifecycle")

        def over(env: str) -> dict[str, Any]:
            o: dict[str, Any] = {}
            if self.flip(0.4):
                o["versioning"] = d(st.booleans())
            if self.flip(0.4):
                new = self.lifecycle()
                merged = {**(lifecycle or {}), **new}
                a, e = merged.get("archive_after_days"), merged.get("expire_after_days")
                if a is None or e is None or e > a:
                    o["lifecycle"] = new
            if self.flip(0.4):
                o["usage"] = self.usage(["storage_gb", "requests"])
            if self.flip(0.2):
                o["cors"] = ["https://dev.example.com"]
            return o

        if o := self.overrides_for(over):
            comp["overrides"] = o
        return comp

    def table_key(self, name: str, kind: str | None = None) -> str | dict[str, Any]:
        """`name` (a string attribute) or `{name, type}`; `kind` fixes the type (an attribute has one)."""
        kind = kind or self.pick(["string", "number", "binary"])
        if kind == "string" and self.flip(0.5):
            return name
        return {"name": name} if kind == "string" and self.flip(0.3) else {"name": name, "type": kind}

    def table(self, name: str) -> dict[str, Any]:
        """Keys drawn from a small attribute pool, each attribute with one type everywhere
        (IC-TABLE-001), a sort key other than its partition key and a TTL attribute that is no
        key (IC-TABLE-002), units only on provisioned tables (IC-TABLE-003)."""
        d = self.draw
        pool = ["pk", "sk", "user_id", "created_at", "status", "tenant", "gsi1pk", "gsi1sk", "order.id", "x-y_z"]
        types = {a: self.pick(["string", "string", "number", "binary"]) for a in pool}
        comp: dict[str, Any] = {}
        self.common(comp, "table")
        keys = d(st.lists(st.sampled_from(pool), min_size=2, max_size=2, unique=True))
        comp["partition_key"] = self.table_key(keys[0], types[keys[0]])
        used = {keys[0]}
        if self.flip(0.6):
            comp["sort_key"] = self.table_key(keys[1], types[keys[1]])
            used.add(keys[1])
        if self.flip(0.4):
            indexes = {}
            for index in d(st.lists(st.sampled_from(["by-status", "by_user", "gsi1", "idx.created"]), max_size=3, unique=True)):
                pk, sk = d(st.lists(st.sampled_from(pool), min_size=2, max_size=2, unique=True))
                entry: dict[str, Any] = {"partition_key": self.table_key(pk, types[pk])}
                used.add(pk)
                if self.flip(0.5):
                    entry["sort_key"] = self.table_key(sk, types[sk])
                    used.add(sk)
                if self.flip(0.4):
                    entry["projection"] = self.pick(["all", "keys-only"])
                indexes[index] = entry
            comp["indexes"] = indexes
        if self.flip(0.4):
            comp["ttl_attribute"] = self.pick(["expires_at", "ttl", "expiry"])
        if self.flip(0.3):
            comp["stream"] = self.pick(["keys-only", "new-image", "old-image", "new-and-old-images"])
            self.streamed.append(name)
        provisioned = False
        if self.flip(0.4):
            comp["capacity"] = self.pick(["on-demand", "provisioned"])
            provisioned = comp["capacity"] == "provisioned"
        if provisioned:
            for field in ("read_units", "write_units"):
                if self.flip(0.6):
                    comp[field] = d(st.integers(1, 40000) if self.flip(0.2) else st.integers(1, 200))
        if self.flip(0.3):
            comp["contains_pii"] = d(st.booleans())

        def over(env: str) -> dict[str, Any]:
            o: dict[str, Any] = {}
            if self.flip(0.4):
                o["capacity"] = "provisioned"
                if self.flip(0.6):
                    o["read_units"] = d(st.integers(1, 500))
                if self.flip(0.6):
                    o["write_units"] = d(st.integers(1, 500))
            elif self.flip(0.3) and not provisioned:
                o["capacity"] = "on-demand"
            if self.flip(0.3):
                o["usage"] = self.usage(["storage_gb"])
            if self.flip(0.2):
                o["stream"] = "new-image"
            return o

        if o := self.overrides_for(over):
            comp["overrides"] = o
        return comp

    def external(self, name: str) -> dict[str, Any]:
        """A host as a bare DNS name (with `protocol`/`port`, tcp always with a port) or a URL (a
        `protocol`/`port` only when they agree with it: IC-EXT-002), timings inside IC-EXT-003,
        never an AWS endpoint (IC-EXT-005)."""
        d = self.draw
        comp: dict[str, Any] = {}
        self.common(comp, "external")

        def host() -> dict[str, Any]:
            out: dict[str, Any] = {}
            if self.flip(0.5):
                scheme, url = self.pick([("https", "https://api.example-psp.com/v1"), ("https", "https://Pay.Example.com"),
                                         ("http", "http://legacy.example.org:8080/"), ("https", "https://1.1.1.1/dns-query")])
                out["host"] = url
                if self.flip(0.3):
                    out["protocol"] = scheme
                if self.flip(0.2) and ":8080" in url:
                    out["port"] = 8080
            else:
                out["host"] = self.pick(["smtp.example.net", "api.example.com", "ldap.corp.example.org", "8.8.8.8",
                                         "hooks.example.io."])
                protocol = self.pick([None, "https", "http", "tcp"])
                if protocol is not None:
                    out["protocol"] = protocol
                if protocol == "tcp" or self.flip(0.4):
                    out["port"] = d(st.integers(1, 65535))
            return out

        comp.update(host())
        if self.flip(0.5):
            comp["timeout"] = self.pick(["800ms", "5s", "2m", "1ms", "15m", "900000ms"])
        if self.flip(0.4):
            comp["retries"] = d(st.integers(0, 10))
        if self.flip(0.5):
            breaker: dict[str, Any] = {}
            if self.flip(0.6):
                breaker["failures"] = d(st.integers(1, 1000))
            if self.flip(0.6):
                breaker["window"] = d(durations(10, 3600))
            if self.flip(0.6):
                breaker["open_for"] = d(durations(1, 3600))
            comp["circuit_breaker"] = breaker
        if self.flip(0.3):
            comp["critical"] = d(st.booleans())
        if self.flip(0.3):
            comp["status_page"] = self.pick(["https://status.example-psp.com", "http://status.example.org/x?y=1"])
        if self.flip(0.3):
            comp["contact"] = self.pick(["support@example-psp.com", "account 12345, +1 555 0100", "ünïcödé desk"])
        if self.flip(0.25):
            comp["local"] = self.pick(["http://psp-mock:8080", "https://mock.local/", "http://wiremock_1"])

        def over(env: str) -> dict[str, Any]:
            o: dict[str, Any] = {}
            if self.flip(0.5) and "://" in comp["host"] and "protocol" not in comp and "port" not in comp:
                o["host"] = "https://sandbox.example-psp.com/v1"
            if self.flip(0.4):
                o["timeout"] = "10s"
            if self.flip(0.2):
                o["critical"] = True
            return o

        if o := self.overrides_for(over):
            comp["overrides"] = o
        return comp

    def filesystem(self, name: str) -> dict[str, Any]:
        """Throughput, Infrequent Access days (0: never), One Zone only in the overrides of
        environments without high availability (IC-FS-005), personal data."""
        d = self.draw
        comp: dict[str, Any] = {}
        self.common(comp, "filesystem")
        if self.flip(0.4):
            comp["throughput"] = self.pick(["elastic", "bursting"])
        if self.flip(0.3):
            comp["infrequent_access_after_days"] = self.pick(IA_DAYS)
        if self.flip(0.15):
            comp["one_zone"] = False
        if self.flip(0.3):
            comp["contains_pii"] = d(st.booleans())

        def over(env: str) -> dict[str, Any]:
            o: dict[str, Any] = {}
            if not self.ha.get(env, False) and self.flip(0.5):
                o["one_zone"] = True
            if self.flip(0.3):
                o["infrequent_access_after_days"] = self.pick(IA_DAYS)
            if self.flip(0.2):
                o["throughput"] = self.pick(["elastic", "bursting"])
            if self.flip(0.3):
                o["usage"] = self.usage(["storage_gb", "read_gb", "write_gb"])
            return o

        if o := self.overrides_for(over):
            comp["overrides"] = o
        return comp

    def shared_secret(self, name: str) -> dict[str, Any]:
        """`generate` (with or without a length) or `value_from: external`; a `variable` that no
        other source of a user sets (IC-SECRET-004): `SHARED_<n>`, or the default name when it
        has no `-` (so no `<NAME>_<OUTPUT>` of another use can equal it)."""
        d = self.draw
        comp: dict[str, Any] = {}
        self.common(comp, "secret")
        if self.flip(0.6):
            comp["generate"] = {"length": d(st.integers(32, 256))} if self.flip(0.5) else {}
        else:
            comp["value_from"] = "external"
        self.shared_count = getattr(self, "shared_count", 0) + 1
        if "-" in name or self.flip(0.4):
            comp["variable"] = f"SHARED_{self.shared_count}"
        return comp

    def mounts(self, comp: dict[str, Any]) -> None:
        """Each file system at most once, each on a path of its own: `fs:/path` or the object."""
        filesystems = self.names_of("filesystem")
        if not filesystems or not self.flip(0.4):
            return
        d = self.draw
        chosen = d(st.lists(st.sampled_from(filesystems), min_size=1, max_size=2, unique=True))
        paths = d(st.lists(st.sampled_from(MOUNT_PATHS), min_size=len(chosen), max_size=len(chosen),
                           unique_by=lambda p: p.rstrip("/")))
        out: list[Any] = []
        for fs, path in zip(chosen, paths, strict=True):
            if self.flip(0.5):
                out.append(f"{fs}:{path}")
            else:
                entry: dict[str, Any] = {"filesystem": fs, "path": path}
                if self.flip(0.6):
                    entry["read_only"] = d(st.booleans())
                out.append(entry)
        comp["mounts"] = out

    def queue(self, name: str) -> dict[str, Any]:
        d = self.draw
        comp: dict[str, Any] = {}
        self.common(comp, "queue")
        if self.flip(0.3):
            comp["fifo"] = d(st.booleans())
        if self.flip(0.4):
            comp["visibility_timeout"] = d(durations(1, 12 * 3600))
        if self.flip(0.4):
            comp["retention"] = d(durations(60, 14 * 86400))
        if self.flip(0.3):
            comp["dead_letter"] = {} if self.flip(0.3) else {"max_receives": d(st.integers(1, 1000))}
        if self.flip(0.3):
            comp["contains_pii"] = d(st.booleans())

        def over(env: str) -> dict[str, Any]:
            o: dict[str, Any] = {}
            if self.flip(0.4):
                o["visibility_timeout"] = d(durations(1, 12 * 3600))
            if self.flip(0.4):
                o["retention"] = d(durations(60, 14 * 86400))
            if self.flip(0.3):
                o["dead_letter"] = {"max_receives": d(st.integers(1, 10))}
            if self.flip(0.3):
                o["usage"] = self.usage(["requests"])
            return o

        if o := self.overrides_for(over):
            comp["overrides"] = o
        return comp

    def site(self, name: str) -> dict[str, Any]:
        comp: dict[str, Any] = {}
        self.common(comp, "site")
        comp["source"] = self.pick([f"./sites/{name}/dist", f"./{name}", f"sites/{name}", f"./web/{name}/public/"])
        if self.flip(0.5):
            comp["spa"] = self.draw(st.booleans())
        if self.domain and self.flip(0.6):
            comp["host"] = self.host()

        def over(env: str) -> dict[str, Any]:
            o: dict[str, Any] = {}
            if self.flip(0.5):
                o["spa"] = self.draw(st.booleans())
            if self.flip(0.5):
                o["usage"] = self.usage(["requests", "transfer_gb"])
            return o

        if o := self.overrides_for(over):
            comp["overrides"] = o
        return comp

    def host(self) -> str:
        assert self.domain
        return self.pick([self.domain, f"www.{self.domain}", f"api.{self.domain}", f"app.{self.domain}",
                          f"docs.{self.domain}", f"a.b.{self.domain}"])

    # functions ----------------------------------------------------------------------------

    def function(self, name: str) -> dict[str, Any]:
        d = self.draw
        comp: dict[str, Any] = {}
        self.common(comp, "function")
        runtime = self.pick(RUNTIMES)
        comp["runtime"] = runtime
        comp["source"] = self.pick([f"./functions/{name}", f"fn/{name}", f"./{name}-src/"])
        comp["handler"] = RUNTIMES[runtime][0]
        if self.flip(0.5):
            comp["memory"] = d(st.one_of(st.sampled_from([128, 256, 512, 1024, 2048, 10240]), st.integers(128, 10240)))
        if self.flip(0.5):
            comp["timeout"] = d(durations(1, 900))
        trigger = self.trigger()
        if trigger is not None:
            comp["trigger"] = trigger
        if self.flip(0.2):
            comp["tracing"] = self.tracing(rate=False)
        self.connections(comp, name)

        def over(env: str) -> dict[str, Any]:
            o: dict[str, Any] = {}
            if self.flip(0.5):
                o["memory"] = d(st.integers(128, 10240))
            if self.flip(0.3):
                o["timeout"] = d(durations(1, 900))
            if self.flip(0.3):
                o["usage"] = self.usage(["requests", "duration_ms"])
            if trigger and "schedule" in trigger and self.flip(0.5):
                o["trigger"] = {"schedule": d(crons())}
            self.extra_uses(comp, name, o)
            self.override_env(comp, o)
            return o

        if o := self.overrides_for(over):
            comp["overrides"] = o
        return comp

    def trigger(self) -> dict[str, Any] | None:
        d = self.draw
        kinds = ["none", "schedule", "http"]
        if self.names_of("bucket"):
            kinds.append("bucket")
        if self.names_of("queue"):
            kinds.append("queue")
        if self.streamed:
            kinds.append("table")
        kind = self.pick(kinds)
        if kind == "table":
            tt: dict[str, Any] = {"table": self.pick(self.streamed)}
            if self.flip(0.5):
                tt["batch_size"] = d(st.one_of(st.integers(1, 100), st.integers(1, 10000)))
            if self.flip(0.4):
                tt["starting_position"] = self.pick(["latest", "trim-horizon"])
            return tt
        if kind == "bucket":
            t: dict[str, Any] = {"bucket": self.pick(self.names_of("bucket"))}
            if self.flip(0.6):
                t["events"] = self.pick([["created"], ["deleted"], ["created", "deleted"], ["deleted", "created"]])
            return t
        if kind == "queue":
            t = {"queue": self.pick(self.names_of("queue"))}
            if self.flip(0.5):
                t["batch_size"] = d(st.one_of(st.integers(1, 10), st.integers(1, 10000)))
            return t
        if kind == "schedule":
            return {"schedule": d(crons())}
        if kind == "http":
            if self.flip(0.2):
                return {"http": {}}
            return {"http": {"path": self.pick(["/", "/hello", "/items/{id}", "/{proxy+}", "/v1/a.b_c~d-e"])}}
        return None

    # workloads ----------------------------------------------------------------------------

    def source(self, comp: dict[str, Any], name: str) -> None:
        """`image` or `build` (writing a context of the chosen language)."""
        d = self.draw
        if self.flip(0.55):
            comp["image"] = self.pick(IMAGES) if self.flip(0.7) else f"ghcr.io/acme/{re.sub('-+', '-', name).rstrip('-')}:{d(st.integers(0, 9))}.{d(st.integers(0, 20))}.0"
            return
        reuse = [c for c in self.contexts if c != ""] if self.flip(0.15) else []
        if reuse:
            base = self.pick(reuse)
            language = self.contexts[base]
            rel = self.pick([f"./{base}", base, f"./{base}/"])
        else:
            language = self.pick(["python", "node", "go", "java", "static", "dockerfile"])
            rel = self.pick([f"./{name}", name, f"./apps/{name}", f"services/{name}/"])
            if "" not in self.contexts and self.flip(0.04):
                rel = self.pick([".", "./"])
            base = context_dir(rel)
            if base in self.contexts and self.contexts[base] != language:
                language = self.contexts[base]
            if base not in self.contexts:
                self.variants[base] = [language, d(st.integers(0, VARIANTS[language] - 1))]
            self.contexts[base] = language
        build: dict[str, Any] = {"context": rel, "language": language}
        if language in LANG_VERSIONS and self.flip(0.5):
            build["version"] = self.pick(LANG_VERSIONS[language])
        if language == "dockerfile" and self.flip(0.4):
            build["dockerfile"] = "Dockerfile"
        if language != "dockerfile" and self.flip(0.1):
            build["digest"] = "sha256:" + d(st.from_regex(r"[a-f0-9]{64}", fullmatch=True))
        comp["build"] = build

    def fargate(self, comp: dict[str, Any]) -> None:
        """cpu and/or memory: a valid Fargate pair, or one half that every environment's
        profile completes."""
        d = self.draw
        shape = d(st.integers(0, 3))
        if shape == 0:
            return
        cpu = self.pick(CPU_STEPS)
        mib = self.pick(FARGATE[cpu])
        if shape in (1, 3):
            comp["cpu"] = _cpu_value(cpu)
        if shape in (2, 3):
            if shape == 2 and not all(self._memory_alone_ok(mib, s) for s in self.sizes_used()):
                comp["cpu"] = _cpu_value(cpu)
            comp["memory"] = _memory_text(mib, self.flip(0.7))

    def sizes_used(self) -> list[str]:
        return [self.sizes.get(e) or DEFAULT_SIZE.get(e, "small") for e in self.envs]

    @staticmethod
    def _memory_alone_ok(mib: int, size: str) -> bool:
        profile_cpu = float(PROFILES[size]["cpu"])
        return any(step >= profile_cpu and mib in FARGATE[step] for step in CPU_STEPS)

    def connections(self, comp: dict[str, Any], name: str) -> None:
        """`uses` (with modes), `env` literals and placeholders to used components, `secrets`."""
        d = self.draw
        candidates = self.uses_candidates(name)
        chosen = d(st.lists(st.sampled_from(candidates), unique=True, max_size=min(3, len(candidates)))) if candidates else []
        if chosen or self.flip(0.1):
            comp["uses"] = [self.use_entry(t) for t in chosen]
        env: dict[str, Any] = {}
        for _ in range(d(st.integers(0, 2))):
            key = self.literal_key()
            env[key] = self.literal()
        for target in chosen:
            if self.flip(0.5) and self.placeholder_outputs(target, name):
                key, value = self.placeholder(target, name)
                env[key] = value
        if env or self.flip(0.05):
            comp["env"] = env
        if self.flip(0.25):
            secrets = d(st.lists(st.sampled_from(SECRET_NAMES), unique=True, min_size=1, max_size=2))
            comp["secrets"] = [s for s in secrets if s not in env] or ["UNUSED_SECRET_NAME"]

    def use_entry(self, target: str) -> str:
        modes = MODES[self.kind_of[target]]
        mode = self.pick([None, *modes]) if modes else None
        return target if mode is None else f"{target}:{mode}"

    def literal_key(self) -> str:
        if self.flip(0.7):
            return self.pick(ENV_KEYS)
        key = self.draw(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True))
        return key if not _SECRETISH.search(key) else "SAFE_NAME"

    def literal(self) -> Any:
        return self.pick(LITERALS) if self.flip(0.7) else self.draw(_text())

    def placeholder_outputs(self, target: str, holder: str) -> list[str]:
        """Outputs of `target` that `holder`'s env may read (a function never a secret one)."""
        holder_kind = self.kind_of[holder]
        return [o for o, secret in OUTPUTS[self.kind_of[target]].items() if not (secret and holder_kind == "function")]

    def placeholder(self, target: str, holder: str) -> tuple[str, str]:
        """An `env` entry of `holder` reading an output of `target`, in one of several shapes.
        What AWS cannot deliver is never drawn (IC-TF-002): a secret output in a function's
        environment, or a secret output mixed with text on ecs (one whole secret per variable)."""
        kind = self.kind_of[target]
        outputs = self.placeholder_outputs(target, holder)
        out = self.pick(outputs)
        if OUTPUTS[kind].get(out) and self.platform == "ecs":
            return self.pick([f"{target.upper().replace('-', '_')}_{out.upper()}", f"MY_{out.upper()}"]), f"${{{target}.{out}}}"
        prefix = target.upper().replace("-", "_")
        key = self.pick([f"{prefix}_{out.upper()}_REF", f"MY_{out.upper()}", f"{prefix}_{out.upper()}"])
        shape = self.draw(st.integers(0, 5))
        ref = f"${{{target}.{out}}}"
        if shape == 1:
            value = f"prefix-{ref}"
        elif shape == 2:
            value = f"{ref}/suffix?x=1"
        elif shape == 3 and "host" in outputs and "port" in outputs:
            value = f"tcp://${{{target}.host}}:${{{target}.port}}"
        elif shape == 4:
            value = f"$${{NOT_A_REF}} {ref}"
        elif shape == 5:
            value = f"${{ {target}.{out} }}"
        else:
            value = ref
        return key, value

    def override_env(self, base: dict[str, Any], o: dict[str, Any]) -> None:
        """An override adding or replacing a literal `env` value (maps merge with the base)."""
        if self.flip(0.3):
            key = self.literal_key()
            if key not in (base.get("secrets") or []):
                o.setdefault("env", {})[key] = self.literal()

    def tracing(self, rate: bool) -> bool | dict[str, Any]:
        """`tracing`: a bool, or (services, jobs, the stack) `{sample_rate}` above 0 (0 warns,
        IC-TRACE-001; a function's own rate warns, IC-TRACE-002)."""
        if not rate or self.flip(0.5):
            return self.draw(st.booleans())
        return {"sample_rate": self.pick([0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 1])}

    def workload(self, comp: dict[str, Any], name: str) -> None:
        self.source(comp, name)
        if self.flip(0.2):
            comp["tracing"] = self.tracing(rate=True)
        if self.flip(0.4):
            comp["command"] = self.pick([["python", "-m", "worker"], ["node", "server.js"], ["/app/server", "--flag=x y"],
                                         ["sh", "-c", "echo 'quoted' && exit 0"], ["gunicorn", "app:app"]])
        self.fargate(comp)
        self.connections(comp, name)
        self.hardening(comp)
        self.mounts(comp)

    def hardening(self, comp: dict[str, Any]) -> None:
        """`writable` (distinct absolute directories, sometimes with a trailing slash or /tmp,
        which is always writable anyway) and `run_as` (a non-root UID, with or without group)."""
        d = self.draw
        if self.flip(0.25):
            paths = d(st.lists(st.sampled_from(WRITABLE), max_size=3, unique=True))
            comp["writable"] = [p + "/" if p != "/tmp" and self.flip(0.2) else p for p in paths]
        if self.flip(0.2):
            comp["run_as"] = {"user": self.pick(RUN_AS_UIDS)}
            if self.flip(0.5):
                comp["run_as"]["group"] = self.pick(RUN_AS_UIDS)

    def extra_uses(self, comp: dict[str, Any], name: str, o: dict[str, Any]) -> None:
        """Override `uses` as a superset of the base (placeholders stay resolvable, no new
        service cycle), sometimes with a placeholder to the added component."""
        base_uses = list(comp.get("uses") or [])
        used = {u.split(":")[0] for u in base_uses}
        extra = [c for c in self.uses_candidates(name) if c not in used]
        if extra and self.flip(0.3):
            target = self.pick(extra)
            o["uses"] = [*base_uses, self.use_entry(target)]
            if self.flip(0.5) and self.placeholder_outputs(target, name):
                key, value = self.placeholder(target, name)
                if key not in (comp.get("secrets") or []) and key not in (comp.get("env") or {}):
                    o.setdefault("env", {})[key] = value

    def service(self, name: str) -> dict[str, Any]:
        d = self.draw
        comp: dict[str, Any] = {}
        self.common(comp, "service")
        self.workload(comp, name)
        role = self.roles[name]
        if role != "worker":
            comp["port"] = self.pick([80, 3000, 8000, 8080, 9090, 50051, 1, 65535]) if self.flip(0.8) else d(st.integers(1, 65535))
        if role == "grpc":
            comp["protocol"] = "grpc"
        elif role == "tcp":
            comp["protocol"] = "tcp"
        elif role == "http" and self.flip(0.2):
            comp["protocol"] = "http"
        can_be_public = role in ("http", "grpc")
        # A public tcp service: the network load balancer, one listener per port (IC-SVC-008), its own
        # host (default `<name>.<domain>`), no path or cdn (IC-SVC-010), no traffic-shifting rollout on
        # ecs, and the allowances the security pass asks for (no WAF; no TLS without a domain).
        tcp_public = role == "tcp" and comp.get("port") not in self.tcp_ports and self.flip(0.4)
        if tcp_public:
            self.tcp_ports.add(comp["port"])
            comp["public"] = self.tcp_public(name)
            comp.setdefault("allow", []).append({"rule": "IC-SEC-009", "reason": REASON})
            if not self.domain:
                comp["allow"].append({"rule": "IC-SEC-002", "reason": REASON})
        elif can_be_public and self.flip(0.6):
            comp["public"] = self.public()
        elif self.flip(0.05):
            comp["public"] = False
        if role == "worker":
            if self.flip(0.4):
                comp["health"] = {"command": self.pick([["python", "-m", "worker.health"], ["/bin/true"], ["sh", "-c", "test -f /tmp/ok"]])}
        elif self.flip(0.6):
            comp["health"] = self.pick(["/", "/healthz", "/api/health", "/ready?full=1"]) if self.flip(0.8) else {"command": ["/app/probe"]}
        # `singleton: true` pins one replica and a rolling deploy everywhere (IC-SVC-007); `false` opts out.
        single = self.pick([None, None, None, None, True, False])
        if single is not None:
            comp["singleton"] = single
        if self.flip(0.5):
            comp["replicas"] = self.pick([1, {}, {"min": 1, "max": 1}]) if single else self.replicas()
        stateful = self.platform == "eks" and self.flip(0.2)
        shifts = role != "worker" and not stateful and not single and not (tcp_public and self.platform == "ecs")
        if self.flip(0.4):  # canary/blue-green shift traffic: services with a port only (IC-SVC-004),
            # never a StatefulSet (IC-K8S-001: it updates one pod at a time)
            comp["deploy"] = self.deploy(shifts_traffic=shifts)
        if stateful:
            comp["stateful"] = True
            if self.flip(0.6):
                comp["volume_gb"] = d(st.one_of(st.integers(1, 100), st.integers(1, 16384)))
        elif self.flip(0.05):
            comp["stateful"] = False
        if self.flip(0.2):
            comp["migrate"] = self.pick([["python", "manage.py", "migrate"], ["./migrate", "up"], ["npm", "run", "migrate"]])
        if role == "worker" and "health" in comp and isinstance(comp["health"], str):
            del comp["health"]

        def over(env: str) -> dict[str, Any]:
            o: dict[str, Any] = {}
            if self.flip(0.4):
                o["replicas"] = 1 if single else self.replicas()
            if self.flip(0.3):
                self.fargate_override(comp, o)
            if "image" in comp and self.flip(0.2):
                o["image"] = self.pick(["nginx:1.27", "ghcr.io/acme/api:9.9.9"])
            if can_be_public and self.flip(0.2):
                o["public"] = self.public() if self.flip(0.7) else False
            if self.flip(0.2):
                o["deploy"] = self.deploy(shifts_traffic=shifts or (role != "worker" and not comp.get("stateful")
                                                                    and not single and not (tcp_public and self.platform == "ecs")))
                if "steps" in (comp.get("deploy") or {}) and o["deploy"].get("strategy") != "canary":
                    o["deploy"] = {"strategy": "canary"}  # maps merge: the base's steps stay
            if comp.get("stateful") and self.flip(0.4):
                o["volume_gb"] = d(st.integers(1, 500))
            if self.flip(0.2):
                o["usage"] = self.usage(["transfer_gb"])
            if role != "worker" and self.flip(0.1):
                o["health"] = "/deep-health"
            if self.flip(0.1):
                o["tracing"] = self.tracing(rate=True)
            self.extra_uses(comp, name, o)
            self.override_env(comp, o)
            return o

        if o := self.overrides_for(over):
            comp["overrides"] = o
        return comp

    def fargate_override(self, comp: dict[str, Any], o: dict[str, Any]) -> None:
        cpu = self.pick(CPU_STEPS)
        o["cpu"] = _cpu_value(cpu)
        o["memory"] = _memory_text(self.pick(FARGATE[cpu]), self.flip(0.5))

    def tcp_public(self, name: str) -> bool | dict[str, Any]:
        """`true`, `{}` or `{host}`: a host of its own, never one a web entry point may take."""
        shape = self.draw(st.integers(0, 2))
        taken = {"www", "api", "app", "docs", "a"}
        if shape == 2 and self.domain:
            return {"host": f"{name}-tcp.{self.domain}"}
        if name in taken or self.domain in (None, ""):
            return {} if shape == 1 or name in taken else True
        return True if shape == 0 else {}

    def public(self) -> bool | dict[str, Any]:
        d = self.draw
        shape = d(st.integers(0, 4))
        if shape == 0:
            return True
        out: dict[str, Any] = {}
        if shape >= 2 and self.flip(0.8):
            out["path"] = self.pick(["/", "/api", "/v1/items", "/a.b_c~d-e/"]) if self.flip(0.8) else d(st.from_regex(r"/[A-Za-z0-9._~\-/]{0,12}", fullmatch=True))
        if shape >= 3 and self.flip(0.7):
            out["cdn"] = d(st.booleans())
        if shape >= 2 and self.domain and self.flip(0.5):
            out["host"] = self.host()
        return out

    def replicas(self) -> int | dict[str, int]:
        d = self.draw
        shape = d(st.integers(0, 4))
        if shape == 0:
            return d(st.integers(0, 12))
        if shape == 1:
            return {}
        if shape == 2:
            return {"max": d(st.integers(1, 1000))}
        if shape == 3:
            return {"cpu_target": d(st.integers(10, 95))}
        lo = d(st.integers(0, 50))
        out = {"min": lo, "max": d(st.integers(max(lo, 1), 1000))}
        if self.flip(0.5):
            out["cpu_target"] = d(st.integers(10, 95))
        return out

    def deploy(self, shifts_traffic: bool = True) -> dict[str, Any]:
        d = self.draw
        shape = d(st.integers(0, 4 if shifts_traffic else 1))
        if shape == 0:
            return {}
        if shape == 1:
            return {"strategy": "rolling"}
        if shape == 2:
            return {"strategy": "blue-green"}
        if shape == 3:
            return {"strategy": "canary"}
        steps = sorted(set(d(st.lists(st.integers(1, 99), max_size=4))))
        return {"strategy": "canary", "steps": [*steps, 100]}

    def job(self, name: str) -> dict[str, Any]:
        d = self.draw
        comp: dict[str, Any] = {}
        self.common(comp, "job")
        self.workload(comp, name)
        if self.flip(0.6):
            comp["schedule"] = d(crons())
        if self.flip(0.4):
            comp["timeout"] = d(durations(1, 7 * 86400))
        if self.flip(0.3):
            comp["retries"] = d(st.integers(0, 10))
        if self.flip(0.1):
            comp["health"] = {"command": ["/bin/true"]} if self.flip(0.7) else "/healthz"
        if self.flip(0.15):  # true warns on ecs (IC-SVC-009): the application must take a lock there
            comp["singleton"] = self.flip(0.5)

        def over(env: str) -> dict[str, Any]:
            o: dict[str, Any] = {}
            if "schedule" in comp and self.flip(0.4):
                o["schedule"] = d(crons())
            if self.flip(0.3):
                o["timeout"] = d(durations(60, 86400))
            if self.flip(0.3):
                o["retries"] = d(st.integers(0, 10))
            if self.flip(0.3):
                self.fargate_override(comp, o)
            if "image" in comp and self.flip(0.2):
                o["image"] = "busybox:1.37"
            self.extra_uses(comp, name, o)
            self.override_env(comp, o)
            return o

        if o := self.overrides_for(over):
            comp["overrides"] = o
        return comp


def envs_or_empty(spec: dict[str, Any]) -> dict[str, Any]:
    return spec.get("environments") or {}


@st.composite
def stacks(draw: st.DrawFn, min_components: int = 1, max_components: int = 6,
           platform: str | None = None, targets: list[str] | str | None = None) -> Generated:
    """A valid spec with `min_components..max_components` components, on `platform` (default:
    drawn); `targets` a list to set, "all" for no `targets` key, None to draw one or not."""
    return _Gen(draw, platform, targets).stack(min_components, max_components)


# --- coverage: which forms a spec exercises ------------------------------------------------


def features(spec: dict[str, Any]) -> set[str]:
    """Names of the fields and forms a spec uses, e.g. `services.public=true`,
    `functions.trigger=bucket`, `top.domain`, `env.cidr` (for coverage checks and reports)."""
    found: set[str] = set()
    for key in spec:
        found.add(f"top.{key}")
    found.add("platform=" + spec.get("platform", "ecs"))
    found.add("compliance=" + "+".join(sorted(spec.get("compliance", []))))
    for env in (spec.get("environments") or {}).values():
        found.update(f"env.{k}" for k in env)
    for section in SECTIONS:
        for comp in (spec.get(section) or {}).values():
            found.add(f"kind.{section}")
            _component_features(section, comp, found, "")
            for over in (comp.get("overrides") or {}).values():
                _component_features(section, over, found, "overrides.")
    return found


def _component_features(section: str, comp: dict[str, Any], found: set[str], prefix: str) -> None:
    for key, value in comp.items():
        found.add(f"{prefix}{section}.{key}")
        if key == "public":
            found.add(f"{prefix}{section}.public=" + ("object" if isinstance(value, dict) else str(value).lower()))
            if isinstance(value, dict):
                found.update(f"{prefix}{section}.public.{k}" for k in value)
        elif key == "health":
            found.add(f"{prefix}{section}.health=" + ("command" if isinstance(value, dict) else "path"))
        elif key == "replicas":
            found.add(f"{prefix}{section}.replicas=" + ("object" if isinstance(value, dict) else "int"))
            if isinstance(value, dict):
                found.update(f"{prefix}{section}.replicas.{k}" for k in value)
        elif key == "deploy":
            found.add(f"{prefix}{section}.deploy=" + value.get("strategy", "default") + ("+steps" if "steps" in value else ""))
        elif key == "trigger":
            found.add(f"{prefix}{section}.trigger=" + next(iter(value)))
            found.update(f"{prefix}{section}.trigger.{k}" for k in value)
        elif key == "build":
            found.add(f"{prefix}{section}.build={value['language']}")
            found.update(f"{prefix}{section}.build.{k}" for k in value)
        elif key in ("lifecycle", "dead_letter", "usage") and isinstance(value, dict):
            found.update(f"{prefix}{section}.{key}.{k}" for k in value)
        elif key == "uses":
            for entry in value:
                found.add(f"{prefix}{section}.uses" + (":" + entry.split(":")[1] if ":" in entry else "=plain"))
        elif key == "env":
            for text in value.values():
                if isinstance(text, str) and "${" in text.replace("$${", ""):
                    found.add(f"{prefix}{section}.env=placeholder")
                else:
                    found.add(f"{prefix}{section}.env=literal")
        elif key == "allow":
            found.update(f"{prefix}{section}.allow={a['rule']}" for a in value)


# --- crash hunting and minimisation --------------------------------------------------------

# Where generated stacks are compiled when hunting: the backend runs alone so one backend's
# crash does not hide another's.
STAGES = ("analyze", *TARGETS)


def _own_frames(exc: BaseException) -> list[str]:
    """`path/file.py:line` of each traceback frame in infracc's own code, outermost first."""
    root = str(CODE_ROOT) + "/"
    return [f"{f.filename.removeprefix(root)}:{f.lineno}" for f in traceback.extract_tb(exc.__traceback__)
            if f.filename.startswith(root) and "/.venv/" not in f.filename and "/tests/" not in f.filename]


def crash_site(exc: BaseException) -> str:
    """`Type at path/file.py:line` of the innermost traceback frame in infracc's own code."""
    frames = _own_frames(exc)
    return f"{type(exc).__name__} at {frames[-1] if frames else '?'}"


def _crash(exc: BaseException) -> tuple[str, str]:
    chain = " <- ".join(reversed(_own_frames(exc)))
    return crash_site(exc), f"{type(exc).__name__}: {exc}\n  frames: {chain}\n" + "".join(traceback.format_exception(exc))[-2500:]


def compile_stages(gen: Generated, root: Path, stages: tuple[str, ...] = STAGES) -> dict[str, Any]:
    """Run analyze, then each backend on its own. Returns {'errors': [...], stage: crash site}."""
    from infracc.backends.registry import BACKENDS
    from infracc.compiler.pipeline import analyze

    gen.write(root)
    out: dict[str, Any] = {"errors": [], "crashes": {}}
    try:
        result = analyze(root / "stack.yaml")
    except Exception as exc:  # noqa: BLE001 - recorded, that is the point
        out["crashes"]["analyze"] = _crash(exc)
        return out
    out["errors"] = [f"{d.code} {d.origin}: {d.message}" for d in result.diagnostics if d.is_error]
    if out["errors"]:
        return out
    for target in stages:
        if target == "analyze" or target not in result.ir.targets:
            continue
        try:
            BACKENDS[target](result.ir)
        except Exception as exc:  # noqa: BLE001
            out["crashes"][target] = _crash(exc)
    return out


def _still_crashes(gen: Generated, stage: str, site: str) -> bool:
    with tempfile.TemporaryDirectory(prefix="infracc-min-") as tmp:
        found = compile_stages(gen, Path(tmp), ("analyze", stage) if stage != "analyze" else ("analyze",))
    return not found["errors"] and found["crashes"].get(stage, ("",))[0] == site


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*prefix, k))
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((*prefix, i))
            out += _paths(v, (*prefix, i))
    return out


def _without(spec: dict, path: tuple) -> dict:
    new = copy.deepcopy(spec)
    node = new
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return new


def _replaced(spec: dict, path: tuple, value: Any) -> dict:
    new = copy.deepcopy(spec)
    node = new
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return new


def minimise(gen: Generated, stage: str, site: str) -> Generated:
    """Greedy reduction: drop whole components, then any key or list item, then simplify
    builds to images and the environment list, while the same crash still happens."""
    current = Generated(copy.deepcopy(gen.spec), dict(gen.variants))
    changed = True
    while changed:
        changed = False
        candidates: list[dict] = []
        for section in SECTIONS:
            for name in list(current.spec.get(section) or {}):
                candidates.append(_without(current.spec, (section, name)))
        if "environments" in current.spec:
            candidates.append(_replaced(current.spec, ("environments",), {"dev": {}}))
        for path in sorted(_paths(current.spec), key=len):
            if path in (("infracc",), ("name",)):
                continue
            candidates.append(_without(current.spec, path))
            if path[-1] == "build":
                candidates.append(_replaced(_without(current.spec, path), path[:-1] + ("image",), "nginx:1.27"))
        for spec in candidates:
            if spec == current.spec:
                continue
            trial = Generated(spec, current.variants)
            if _still_crashes(trial, stage, site):
                current, changed = trial, True
                break
    # Prefer the default source tree when it reproduces too (then the YAML alone suffices).
    if current.variants and _still_crashes(Generated(current.spec, {}), stage, site):
        current = Generated(current.spec, {})
    return current


def hunt(count: int, seed: int | None = None, max_components: int = 6) -> dict[tuple[str, str], list]:
    """Compile `count` generated specs stage by stage; group crashes by (stage, site)."""
    from hypothesis import HealthCheck, Phase, given, settings

    found: dict[tuple[str, str], list] = {}
    stats = {"specs": 0, "invalid": 0, "crashed": 0, "invalid_examples": []}

    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=seed is not None)
    @given(stacks(max_components=max_components))
    def run(gen: Generated) -> None:
        stats["specs"] += 1
        with tempfile.TemporaryDirectory(prefix="infracc-hunt-") as tmp:
            out = compile_stages(gen, Path(tmp))
        if out["errors"]:
            stats["invalid"] += 1
            stats["invalid_examples"].append((gen.yaml(), out["errors"]))
        if out["crashes"]:
            stats["crashed"] += 1
        for stage, (site, tb) in out["crashes"].items():
            found.setdefault((stage, site), []).append((gen, tb))

    run()
    found[("stats", "")] = [stats]
    return found


def main(argv: list[str]) -> int:
    """`hunt --count N [--seed S] [--write DIR]`: print crash sites; with --write, minimise
    one example per site and write `<DIR>/<short-name>.yaml`."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="specgen")
    sub = parser.add_subparsers(dest="command", required=True)
    h = sub.add_parser("hunt")
    h.add_argument("--count", type=int, default=500)
    h.add_argument("--seed", type=int)
    h.add_argument("--write", type=Path)
    h.add_argument("--json", type=Path, help="write the raw findings here")
    h.add_argument("--max-components", type=int, default=6)
    args = parser.parse_args(argv)
    start = time.process_time()
    found = hunt(args.count, args.seed, args.max_components)
    stats = found.pop(("stats", ""))[0]
    print(f"code under test: {CODE_ROOT}")
    print(f"specs {stats['specs']}, invalid per analyze {stats['invalid']}, crashed {stats['crashed']}, "
          f"cpu {time.process_time() - start:.1f}s")
    for text, errors in stats["invalid_examples"][:5]:
        print("INVALID:", errors, "\n" + text)
    report = []
    for (stage, site), examples in sorted(found.items(), key=lambda kv: -len(kv[1])):
        print(f"{len(examples):5d}  {stage:10s} {site}")
        report.append({"stage": stage, "site": site, "count": len(examples), "traceback": examples[0][1],
                       "example": examples[0][0].yaml()})
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for (stage, site), examples in found.items():
            smallest, tb = min(examples, key=lambda e: len(e[0].yaml()))
            small = minimise(smallest, stage, site)
            name = re.sub(r"[^a-z0-9]+", "-", f"{stage} {site}".lower()).strip("-")
            header = [f"# crash: {site} (in {stage}; {len(examples)} of {stats['specs']} generated specs)",
                      f"# {tb.splitlines()[0][:200]}", f"#{tb.splitlines()[1][:200]}"]
            if small.variants:
                header.append(f"# variants: {json.dumps(small.variants)}")
            (args.write / f"{name}.yaml").write_text("\n".join(header) + "\n" + small.yaml(), encoding="utf-8")
            print(f"--- {name}.yaml\n" + "\n".join(header) + "\n" + small.yaml())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
