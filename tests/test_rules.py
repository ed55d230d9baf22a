"""Unit tests per rule: inline specs, asserting the diagnostic code, path and hint."""
from __future__ import annotations

import textwrap

import pytest

from infracc.compiler.catalogue import DuplicateRuleError, Registry, Rule, registry
from infracc.compiler.pipeline import analyze


def diags(yaml: str, skip=frozenset({"cost"})):
    result = analyze(text=textwrap.dedent(yaml))
    return result, [d for d in result.diagnostics]


def codes(yaml: str) -> list[str]:
    return [d.code for d in diags(yaml)[1]]


BASE = "infracc: 1\nname: shop\n"


def test_unknown_key_has_did_you_mean() -> None:
    _, found = diags(BASE + "services:\n  api:\n    image: ghcr.io/a/b:1\n    replica: 2\n")
    assert found[0].code == "IC-SCHEMA-001" and found[0].hint == "did you mean `replicas`?"


def test_unknown_reference_has_hint() -> None:
    _, found = diags(BASE + "services:\n  api:\n    image: ghcr.io/a/b:1\n    uses: [dbb]\ndatabases:\n  db: {}\n")
    assert found[0].code == "IC-REF-001" and "`db`" in found[0].hint
    assert found[0].origin == ("services", "api", "uses", 0)


def test_cycle_is_printed_with_arrows() -> None:
    _, found = diags(BASE + "services:\n  a: {image: 'x/a:1', port: 1, uses: [b]}\n  b: {image: 'x/b:1', port: 1, uses: [c]}\n  c: {image: 'x/c:1', port: 1, uses: [a]}\n")
    assert [d.message for d in found if d.code == "IC-GRAPH-001"] == ["services use each other in a cycle: a --> b --> c --> a"]


@pytest.mark.parametrize("target,mode,ok", [
    ("bucket", "read", True), ("bucket", "write", True), ("bucket", "read-write", True), ("bucket", "send", False),
    ("queue", "send", True), ("queue", "consume", True), ("queue", "read", False),
    ("database", "read", False), ("cache", "write", False),
])
def test_modes_per_kind(target: str, mode: str, ok: bool) -> None:
    section = {"bucket": "buckets", "queue": "queues", "database": "databases", "cache": "caches"}[target]
    found = codes(BASE + f"services:\n  w: {{image: 'x/w:1', uses: ['t:{mode}']}}\n{section}:\n  t: {{}}\n")
    assert ("IC-REF-002" in found) is not ok


def test_jobs_and_sites_cannot_be_used() -> None:
    found = codes(BASE + "jobs:\n  j: {image: 'x/j:1'}\nservices:\n  w: {image: 'x/w:1', uses: [j]}\n")
    assert "IC-REF-003" in found


def test_override_is_merged_and_revalidated() -> None:
    result, found = diags(BASE + "services:\n  api:\n    image: x/a:1\n    port: 80\n    cpu: 1\n    memory: 2Gi\n"
                          "    overrides:\n      prod: {cpu: 2}\n")
    assert [d.code for d in found if d.is_error] == ["IC-SIZE-001"]
    assert found[0].origin[:4] == ("services", "api", "overrides", "prod")


def test_override_changes_only_its_environment() -> None:
    result, found = diags(BASE + "services:\n  api:\n    image: x/a:1\n    port: 80\n    overrides:\n      prod: {cpu: 2, memory: 4Gi}\n")
    assert result.ok, found
    assert result.ir.envs["prod"].graph.component("service.api").sizing.cpu == 2
    assert result.ir.envs["dev"].graph.component("service.api").sizing.cpu == 0.25


def test_secret_outputs_make_env_secret() -> None:
    # eks: an ExternalSecret template may mix text with a secret (ECS refuses it, IC-TF-002).
    result, _ = diags(BASE + "platform: eks\nservices:\n  api:\n    image: x/a:1\n    env: {DSN: 'x${db.url}', HOST: '${db.host}', LIT: '$${not}'}\n    uses: [db]\ndatabases:\n  db: {}\n")
    env = {v.name: v for v in result.ir.envs["dev"].graph.component("service.api").env}
    assert env["DSN"].secret and not env["HOST"].secret
    assert env["DB_PASSWORD"].secret and env["DB_PASSWORD"].source == "injected"
    assert env["LIT"].literal() == "${not}"


def test_service_uses_injects_only_url() -> None:
    result, _ = diags(BASE + "services:\n  web: {image: 'x/w:1', port: 80, uses: [api]}\n  api: {image: 'x/a:1', port: 8080}\n")
    names = [v.name for v in result.ir.envs["dev"].graph.component("service.web").env]
    assert names == ["API_URL"]


@pytest.mark.parametrize("value,bad", [
    ("AKIAIOSFODNN7EXAMPLE", True), ("-----BEGIN RSA PRIVATE KEY-----", True),
    ("ghp_" + "a" * 36, True), ("postgres://u:pw@host/db", True), ("info", False), ("https://example.com", False),
])
def test_secret_looking_values(value: str, bad: bool) -> None:
    found = codes(BASE + f"services:\n  api:\n    image: x/a:1\n    env: {{SETTING: '{value}'}}\n")
    assert ("IC-SECRET-001" in found) is bad


def test_secret_in_env_and_secrets() -> None:
    assert "IC-SECRET-002" in codes(BASE + "services:\n  api:\n    image: x/a:1\n    env: {KEY_ID: a}\n    secrets: [KEY_ID]\n")


def test_unpinned_image_is_a_warning() -> None:
    result, found = diags(BASE + "services:\n  api: {image: 'acme/api', port: 8080}\n")
    assert result.ok and [d.code for d in found] == ["IC-SVC-005"]


def test_public_read_allowed_with_reason_is_carried() -> None:
    result, found = diags(BASE + "buckets:\n  assets:\n    public_read: true\n    allow: [{rule: IC-SEC-010, reason: 'public press kit, no personal data'}]\n")
    assert result.ok, found
    bucket = result.ir.envs["prod"].graph.component("bucket.assets")
    assert bucket.allowances[0].rule == "IC-SEC-010" and "CKV2_AWS_6" in bucket.allowances[0].checkov


def test_unneeded_allowance_warns() -> None:
    result, found = diags(BASE + "buckets:\n  assets:\n    allow: [{rule: IC-SEC-010, reason: 'nothing needs this at all'}]\n")
    assert result.ok and [d.code for d in found] == ["IC-ALLOW-002"]


def test_gdpr_region_allowed_on_environment() -> None:
    spec = BASE + "region: eu-west-1\ncompliance: [gdpr]\nenvironments:\n  dev: {}\n  prod:\n    region: us-east-1\n"
    assert "IC-GDPR-001" in codes(spec)
    allowed = spec + "    allow: [{rule: IC-GDPR-001, reason: 'SCCs signed with the US processor'}]\n"
    result, found = diags(allowed)
    assert result.ok, found


def test_gdpr_treats_london_as_outside_the_eea() -> None:
    assert "IC-GDPR-001" in codes(BASE + "region: eu-west-2\ncompliance: [gdpr]\n")


def test_soc2_last_environment_keeps_deletion_protection() -> None:
    assert "IC-SOC2-002" in codes(BASE + "compliance: [soc2]\nenvironments:\n  dev: {}\n  prod: {deletion_protection: false}\n")


def test_host_must_be_under_domain() -> None:
    found = codes(BASE + "domain: shop.example.com\nservices:\n  api: {image: 'x/a:1', port: 80, public: {host: api.other.com}}\n")
    assert "IC-DOMAIN-001" in found


def test_registry_refuses_duplicate_ids() -> None:
    reg = Registry()
    rule = Rule(id="IC-TEST-001", title="t", severity="error", rationale="r", fix="f")
    reg.register(rule)
    with pytest.raises(DuplicateRuleError):
        reg.register(rule)


def test_every_rule_has_text() -> None:
    for rule in registry():
        assert rule.title and rule.rationale and rule.fix, rule.id


def test_every_code_emitted_is_in_the_catalogue() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    used = set()
    for path in list((root / "compiler").rglob("*.py")) + list((root / "backends").rglob("*.py")):
        used |= set(re.findall(r'"(IC-[A-Z][A-Z0-9]*-[0-9]{3})"', path.read_text()))
    missing = sorted(c for c in used if c not in registry())
    assert not missing, missing


def test_misspelt_choice_gets_did_you_mean() -> None:
    _, found = diags(BASE + "databases:\n  db: {engine: postgress}\n")
    assert found[0].code == "IC-SCHEMA-003" and found[0].hint == "did you mean `postgres`?"


def test_env_numbers_and_booleans_become_text_floats_are_refused() -> None:
    result, found = diags(BASE + "services:\n  api:\n    image: x/a:1\n    env: {PORT: 8080, DEBUG: true}\n")
    env = {v.name: v.literal() for v in result.ir.envs["dev"].graph.component("service.api").env}
    assert env == {"PORT": "8080", "DEBUG": "true"}
    _, found = diags(BASE + "services:\n  api:\n    image: x/a:1\n    env: {RATIO: 1.10}\n")
    assert found[0].code == "IC-SCHEMA-003" and "quote it" in found[0].message


def test_scalar_where_a_list_belongs_gets_a_hint() -> None:
    _, found = diags(BASE + "services:\n  api:\n    image: x/a:1\n    uses: db\ndatabases:\n  db: {}\n")
    assert found[0].hint == "write a list, e.g. `[db]`"
