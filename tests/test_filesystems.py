"""EFS file systems and `mounts` (issue #16): decisions, diagnostics at line:col, Terraform on ecs
and eks (terraform validate + mock plan/apply, tf_semantics, checkov), the Kubernetes
PersistentVolumes and claims (kubernetes-validate), the Helm chart, compose volumes, docs, cost."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import tf_real
import yaml
from conftest import ORACLES, ROOT, write_emitted
from test_terraform_real import toolchain, validate_and_mock  # noqa: F401 (fixture)

from infracc.compiler.pipeline import analyze
from infracc.compiler.render import position

BODY = """region: eu-west-1
environments: {dev: {}, prod: {}}
services:
  api:
    image: ghcr.io/acme/api:1.0.0
    port: 8080
    migrate: [/app/migrate]
    mounts: ["media:/srv/media"]
  thumbs:
    image: ghcr.io/acme/thumbs:1.0.0
    health: {command: [/bin/true]}
    run_as: {user: 2000, group: 2000}
    mounts:
      - {filesystem: media, path: /data, read_only: true}
jobs:
  sweep:
    image: ghcr.io/acme/sweep:1.0.0
    schedule: "0 3 * * *"
    mounts: ["media:/srv/media"]
filesystems:
  media:
    description: Uploaded media, shared by the api, the thumbnailer and the nightly sweep.
    usage: {storage_gb: 50, read_gb: 100, write_gb: 20}
    overrides:
      dev: {one_zone: true}
"""
ECS = "infracc: 1\nname: media\ncompliance: [soc2]\n" + BODY
# A bucket too: an eks stack without any bucket but the log bucket, and without soc2 (no trail
# bucket), gets checkov CKV_AWS_18 on the log bucket itself (nothing logs into it), unrelated here.
EKS = "infracc: 1\nname: media\nplatform: eks\n" + BODY + "buckets:\n  originals: {}\n"


def _analyze(text: str) -> Any:
    found = analyze(text=text, source_dir=str(ROOT))
    assert found.ok, [d.message for d in found.diagnostics if d.is_error]
    return found


@pytest.fixture(scope="module")
def ecs() -> Any:
    return _analyze(ECS)


@pytest.fixture(scope="module")
def eks() -> Any:
    return _analyze(EKS)


@pytest.fixture(scope="module")
def ecs_out(ecs: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_emitted(ecs, ["terraform", "compose", "docs"], tmp_path_factory.mktemp("efs-ecs"))


@pytest.fixture(scope="module")
def eks_out(eks: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_emitted(eks, ["terraform", "kubernetes", "helm", "ci", "docs"], tmp_path_factory.mktemp("efs-eks"))


def _doc(root: Path, env: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in sorted((root / "terraform" / env).glob("*.tf.json")):
        for key, value in json.loads(path.read_text()).items():
            if isinstance(value, dict):
                for rtype, named in value.items():
                    if isinstance(named, dict):
                        merged.setdefault(key, {}).setdefault(rtype, {}).update(named)
                    else:
                        merged.setdefault(key, {})[rtype] = named
    return merged


@pytest.mark.parametrize("which", ["ecs_out", "eks_out"])
def test_terraform_validates_and_mock_plans(toolchain, which: str, request: pytest.FixtureRequest,  # noqa: F811
                                            tmp_path: Path) -> None:
    root = request.getfixturevalue(which)
    for env in ("dev", "prod"):
        problems = validate_and_mock(toolchain, root / "terraform" / env, tmp_path / env)
        assert not problems, "\n".join(problems)


@pytest.mark.parametrize("which", ["ecs_out", "eks_out"])
def test_terraform_semantics(which: str, request: pytest.FixtureRequest) -> None:
    root = request.getfixturevalue(which)
    for env in ("dev", "prod"):
        code, findings, summary = tf_real.semantics(sorted((root / "terraform" / env).glob("*.tf.json")))
        assert code == 0 and not findings, findings or summary


@pytest.mark.parametrize("which", ["ecs_out", "eks_out"])
def test_terraform_checkov_has_no_unsuppressed_failure(which: str, request: pytest.FixtureRequest,
                                                       tmp_path: Path) -> None:
    if not (ORACLES / "checkov").exists():
        pytest.skip("checkov is not installed (make .venv-oracles/.installed)")
    root = request.getfixturevalue(which)
    for env in ("dev", "prod"):
        report = tmp_path / env
        subprocess.run([str(ORACLES / "checkov"), "-d", str(root / "terraform" / env), "--framework", "terraform_json",
                        "--skip-download", "-o", "json", "--output-file-path", str(report)],
                       capture_output=True, text=True, timeout=600)
        data = json.loads((report / "results_json.json").read_text())
        data = data[0] if isinstance(data, list) else data
        allowed: dict[str, set[str]] = {}
        for named in _doc(root, env)["resource"].values():
            for name, attrs in named.items():
                for entry in attrs.get("//", {}).get("checkov", {}).get("skip", []):
                    allowed.setdefault(name, set()).add(entry["id"])
        bad = [f"{f['check_id']} {f['resource']}" for f in data["results"]["failed_checks"]
               if f["check_id"] not in allowed.get(f["resource"].split(".")[-1], set())]
        assert not bad, bad
        passed = {f["check_id"] for f in data["results"]["passed_checks"]
                  if f["resource"].split(".")[-1].startswith(("filesystem_", "access_point_", "service_api_task"))}
        # encrypted; access points with a root directory and a POSIX user; EFS volumes with TLS
        expected = {"CKV_AWS_42", "CKV_AWS_329", "CKV_AWS_330"} | ({"CKV_AWS_97"} if which == "ecs_out" else set())
        assert expected <= passed, passed


def _graph(result: Any, env: str = "dev") -> Any:
    return result.ir.envs[env].graph


def _edge(result: Any, source: str, env: str = "dev") -> Any:
    return next(c for c in _graph(result, env).uses(source) if c.target == "filesystem.media")


def test_mount_edges_grants_and_access_points(ecs: Any, eks: Any) -> None:
    api, thumbs = _edge(ecs, "service.api"), _edge(ecs, "service.thumbs")
    assert (api.mode, thumbs.mode) == ("read-write", "read")
    assert (api.network.port, api.network.protocol) == (2049, "tcp")
    assert api.grant.actions == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert thumbs.grant.actions == ["elasticfilesystem:ClientMount"]  # read-only: never ClientWrite
    assert api.grant.mounted_by == "workload" and _edge(eks, "service.api").grant.mounted_by == "csi-driver"
    # one shared root; each workload's own identity; the owner's group for the others
    assert (api.access_point.uid, api.access_point.gid, api.access_point.secondary_gids) == (10001, 10001, [])
    ap = thumbs.access_point
    assert (ap.uid, ap.gid, ap.secondary_gids, ap.root_directory) == (2000, 2000, [10001], "/shared")
    assert (ap.owner_uid, ap.owner_gid, ap.permissions) == (10001, 10001, "2775")


def test_storage_class_backups_and_encryption(ecs: Any, eks: Any) -> None:
    dev, prod = _graph(ecs).component("filesystem.media"), _graph(ecs, "prod").component("filesystem.media")
    assert dev.sizing.infrequent_access_after_days is None and prod.sizing.infrequent_access_after_days == 30
    assert dev.resolved.one_zone and not prod.resolved.one_zone and dev.resolved.throughput == "elastic"
    assert dev.retention.automatic_backups and prod.retention.automatic_backups  # soc2
    assert not _graph(eks).component("filesystem.media").retention.automatic_backups  # dev: deletable
    assert _graph(eks, "prod").component("filesystem.media").retention.automatic_backups  # large: protected
    assert dev.encryption.at_rest and not dev.encryption.dedicated


def test_terraform_file_system(ecs_out: Path, eks_out: Path) -> None:
    dev, prod = _doc(ecs_out, "dev"), _doc(ecs_out, "prod")
    fs = dev["resource"]["aws_efs_file_system"]["filesystem_media"]
    assert fs["encrypted"] is True and fs["kms_key_id"] == "${aws_kms_key.kms_env.arn}"
    assert fs["throughput_mode"] == "elastic" and "availability_zone_name" in fs and "lifecycle_policy" not in fs
    assert len(dev["resource"]["aws_efs_mount_target"]) == 1  # One Zone in dev
    pfs = prod["resource"]["aws_efs_file_system"]["filesystem_media"]
    assert pfs["lifecycle_policy"] == [{"transition_to_ia": "AFTER_30_DAYS"},
                                       {"transition_to_primary_storage_class": "AFTER_1_ACCESS"}]
    assert "availability_zone_name" not in pfs and len(prod["resource"]["aws_efs_mount_target"]) >= 2
    assert prod["resource"]["aws_efs_backup_policy"]["filesystem_media_backup"]["backup_policy"] == {"status": "ENABLED"}
    assert _doc(eks_out, "dev")["resource"]["aws_efs_backup_policy"]["filesystem_media_backup"]["backup_policy"] == {
        "status": "DISABLED"}
    ap = dev["resource"]["aws_efs_access_point"]["access_point_thumbs_media"]
    assert ap["posix_user"] == {"uid": 2000, "gid": 2000, "secondary_gids": [10001]}
    assert ap["root_directory"]["path"] == "/shared"
    # NFS only from the mounting workloads' security groups
    rules = [r for r in dev["resource"]["aws_security_group_rule"].values()
             if r["security_group_id"] == "${aws_security_group.sg_filesystem_media.id}"]
    assert sorted(r["source_security_group_id"] for r in rules) == sorted(
        f"${{aws_security_group.sg_{w}.id}}" for w in ("service_api", "service_thumbs", "job_sweep"))
    assert {(r["from_port"], r["to_port"], r["type"]) for r in rules} == {(2049, 2049, "ingress")}


def test_file_system_policy_and_task_roles(ecs_out: Path) -> None:
    docs = _doc(ecs_out, "dev")["data"]["aws_iam_policy_document"]
    policy = {s["sid"]: s for s in docs["filesystem_media_policy"]["statement"]}
    assert policy["DenyWithoutTls"]["condition"][0]["variable"] == "aws:SecureTransport"
    assert policy["DenyOutsideAccessPoints"]["effect"] == "Deny"
    thumbs = policy["MountThumbs"]
    assert thumbs["actions"] == ["elasticfilesystem:ClientMount"]
    assert thumbs["principals"][0]["identifiers"] == ["${aws_iam_role.service_thumbs_task_role.arn}"]
    assert thumbs["condition"][0]["values"] == ["${aws_efs_access_point.access_point_thumbs_media.arn}"]
    grant = next(s for s in docs["service_api_grants"]["statement"] if s["sid"].startswith("Filesystem"))
    assert grant["actions"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert grant["condition"][0]["values"] == ["${aws_efs_access_point.access_point_api_media.arn}"]


def test_ecs_task_definition_volumes(ecs_out: Path) -> None:
    migrate = _doc(ecs_out, "dev")["resource"]["aws_ecs_task_definition"]["service_api_migrate_task"]
    assert any(v["name"] == "efs-media" for v in migrate["volume"])  # the migration sees the files too
    td = _doc(ecs_out, "dev")["resource"]["aws_ecs_task_definition"]["service_thumbs_task"]
    volume = next(v for v in td["volume"] if v["name"] == "efs-media")
    config = volume["efs_volume_configuration"]
    assert config["transit_encryption"] == "ENABLED" and config["authorization_config"] == {
        "access_point_id": "${aws_efs_access_point.access_point_thumbs_media.id}", "iam": "ENABLED"}
    containers = json.loads(td["container_definitions"])
    main = containers[0]
    assert {"sourceVolume": "efs-media", "containerPath": "/data", "readOnly": True} in main["mountPoints"]
    init = containers[1]  # the scratch volumes' chmod never touches the EFS mount
    assert "/data" not in init["command"] and all(m["sourceVolume"] != "efs-media" for m in init["mountPoints"])


def test_eks_csi_driver_and_outputs(eks_out: Path) -> None:
    doc = _doc(eks_out, "dev")
    # the nodes mount through the cluster security group: one NFS rule, however many workloads mount
    rules = [r for r in doc["resource"]["aws_security_group_rule"].values()
             if r["security_group_id"] == "${aws_security_group.sg_filesystem_media.id}"]
    assert len(rules) == 1 and rules[0]["from_port"] == 2049
    assert rules[0]["source_security_group_id"] == "${aws_eks_cluster.cluster.vpc_config[0].cluster_security_group_id}"
    addon = doc["resource"]["aws_eks_addon"]["addon_aws_efs_csi_driver"]
    assert addon["addon_name"] == "aws-efs-csi-driver"
    accounts = {a["service_account"] for a in doc["resource"]["aws_eks_pod_identity_association"].values()
                if a["role_arn"] == "${aws_iam_role.efs_csi_role.arn}"}
    assert accounts == {"efs-csi-controller-sa", "efs-csi-node-sa"}
    managed = [a["policy_arn"] for a in doc["resource"]["aws_iam_role_policy_attachment"].values()
               if a["role"] == "${aws_iam_role.efs_csi_role.name}"]
    assert managed == ["arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"]
    policy = {s["sid"]: s for s in doc["data"]["aws_iam_policy_document"]["filesystem_media_policy"]["statement"]}
    assert policy["MountApi"]["principals"][0]["identifiers"] == ["${aws_iam_role.efs_csi_role.arn}"]
    pod_grants = doc["data"]["aws_iam_policy_document"].get("service_api_grants", {}).get("statement", [])
    assert not any("elasticfilesystem" in a for s in pod_grants for a in s["actions"])  # the pod never mounts
    assert doc["output"]["efs_api_media_volume_handle"]["value"] == (
        "${aws_efs_file_system.filesystem_media.id}::${aws_efs_access_point.access_point_api_media.id}")


def _manifests(root: Path, env: str = "dev") -> dict[tuple[str, str], Any]:
    out = {}
    for path in sorted((root / "kubernetes" / env).glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


def test_kubernetes_volumes_validate(eks_out: Path) -> None:
    import kubernetes_validate

    objects = _manifests(eks_out)
    pv = objects[("PersistentVolume", "thumbs-media")]
    assert pv["spec"]["csi"] == {"driver": "efs.csi.aws.com", "volumeHandle": "${EFS_THUMBS_MEDIA}", "readOnly": True}
    assert pv["spec"]["accessModes"] == ["ReadOnlyMany"] and pv["spec"]["mountOptions"] == ["tls", "iam"]
    claim = objects[("PersistentVolumeClaim", "api-media")]
    assert claim["spec"]["volumeName"] == "api-media" and claim["spec"]["accessModes"] == ["ReadWriteMany"]
    pod = objects[("Deployment", "thumbs")]["spec"]["template"]["spec"]
    assert {"name": "efs-media", "persistentVolumeClaim": {"claimName": "thumbs-media", "readOnly": True}} in pod["volumes"]
    assert {"name": "efs-media", "mountPath": "/data", "readOnly": True} in pod["containers"][0]["volumeMounts"]
    cron = objects[("CronJob", "sweep")]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert {"name": "efs-media", "mountPath": "/srv/media", "readOnly": False} in cron["containers"][0]["volumeMounts"]
    for key, obj in objects.items():
        if obj["apiVersion"] in ("v1", "apps/v1", "batch/v1", "networking.k8s.io/v1"):
            try:
                kubernetes_validate.validate(obj, "1.30.0", strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{key}: {exc.message} at {list(exc.path)}")


def test_chart_and_ci_set_the_volume_handles(eks_out: Path) -> None:
    values = yaml.safe_load((eks_out / "helm" / "media" / "values-dev.yaml").read_text())
    assert values["persistentVolumes"]["api-media"]["spec"]["csi"]["volumeHandle"] == "${EFS_API_MEDIA}"
    template = (eks_out / "helm" / "media" / "templates" / "persistentvolume.yaml").read_text()
    assert ".Values.persistentVolumes" in template and '"namespaced" false' in template  # cluster-scoped
    # the migration hook mounts the file system too: its claim and volume exist before it runs
    assert values["persistentVolumeClaims"]["api-media"]["hook"] == -5
    assert values["persistentVolumes"]["api-media"]["hook"] == -5
    assert "hook" not in values["persistentVolumeClaims"]["thumbs-media"]
    workflow = yaml.safe_load(next((eks_out / "ci").rglob("*.yaml")).read_text())
    deploy = workflow["jobs"]["deploy-dev"]
    assert deploy["outputs"]["EFS_API_MEDIA"] == "${{ steps.efs.outputs.EFS_API_MEDIA }}"
    step = next(s for s in deploy["steps"] if s.get("id") == "efs")
    assert "output -raw efs_api_media_volume_handle" in step["run"]


def test_compose_shares_one_volume(ecs_out: Path) -> None:
    compose = yaml.safe_load((ecs_out / "compose" / "compose.yaml").read_text())
    services = compose["services"]
    assert "media-files" in compose["volumes"]
    assert services["api"]["volumes"] == ["media-files:/srv/media"]
    assert services["thumbs"]["volumes"] == ["media-files:/data:ro"]
    assert services["api"]["depends_on"]["media-init"] == {"condition": "service_completed_successfully"}
    assert services["media-init"]["command"] == ["chmod", "1777", "/files"] and "cap_add" not in services["media-init"]


def test_docs_graph_and_cost(ecs: Any, ecs_out: Path) -> None:
    readme = (ecs_out / "docs" / "README.md").read_text()
    assert "## File systems" in readme and "| `media` | `thumbs` | `/data` | read-only | 2000:2000 (+ group 10001) |" in readme
    assert "EFS automatic backups" in readme and "aws backup start-restore-job" in readme
    assert "service_thumbs -->|read| filesystem_media" in (ecs_out / "docs" / "architecture.md").read_text()
    dev = {i.item: i for i in ecs.ir.envs["dev"].cost.items if i.component == "media"}
    assert dev["EFS One Zone storage"].quantity == 50 and dev["EFS elastic throughput (reads)"].quantity == 100
    prod = {i.item: i for i in ecs.ir.envs["prod"].cost.items if i.component == "media"}
    assert "EFS Standard storage" in prod and "EFS Infrequent Access storage (after 30 days)" in prod
    assert prod["EFS automatic backups (warm storage)"].quantity == 50
    assert all(i.monthly is None or i.unit_price for i in prod.values())  # a missing price is never a zero


def _problems(body: str) -> list[tuple[str, tuple[int, int]]]:
    found = analyze(text="infracc: 1\nname: shop\n" + body, skip=frozenset({"cost"}))
    return [(d.code, position(d, found.source)) for d in found.diagnostics]


SVC = "services:\n  api:\n    image: ghcr.io/acme/api:1\n    port: 8080\n"


def test_diagnostics_point_at_the_entry() -> None:
    assert ("IC-FS-001", (7, 14)) in _problems(SVC + "    mounts: [medai:/m]\nfilesystems:\n  media: {}\n")
    assert ("IC-FS-002", (7, 24)) in _problems(SVC + "    mounts: [media:/m, media:/n]\nfilesystems:\n  media: {}\n")
    two = SVC + "    mounts: [a:/m, b:/m]\nfilesystems:\n  a: {}\n  b: {}\n"
    assert ("IC-FS-002", (7, 20)) in _problems(two)
    assert ("IC-FS-003", (8, 10)) in _problems(SVC + "filesystems:\n  media: {}\n")
    fn = ("functions:\n  f:\n    runtime: python3.12\n    source: .\n    handler: a.h\n    mounts: [media:/m]\n"
          "filesystems:\n  media: {}\n")
    assert ("IC-FS-004", (8, 14)) in _problems(fn)
    ha = ("environments:\n  prod: {high_availability: true}\n" + SVC + "    mounts: [media:/m]\n"
          "filesystems:\n  media: {one_zone: true}\n")
    assert ("IC-FS-005", (11, 21)) in _problems(ha)
    assert ("IC-FS-006", (7, 14)) in _problems(SVC + "    mounts: [media:/tmp]\nfilesystems:\n  media: {}\n")
    relative = SVC + "    mounts: [{filesystem: media, path: data}]\nfilesystems:\n  media: {}\n"
    assert ("IC-FS-006", (7, 40)) in _problems(relative)
    ro = SVC + "    mounts: [{filesystem: media, path: /m, read_only: true}]\nfilesystems:\n  media: {}\n"
    assert ("IC-FS-007", (7, 14)) in _problems(ro)
    nginx = ("services:\n  web:\n    image: nginx:1.27\n    port: 8080\n    mounts: [media:/var/cache/nginx]\n"
             "filesystems:\n  media: {}\n")  # a directory the known image writes: already a scratch volume
    assert ("IC-FS-006", (7, 14)) in _problems(nginx)
    uses = SVC + "    uses: [media]\nfilesystems:\n  media: {}\n"
    assert ("IC-REF-003", (7, 12)) in _problems(uses)


def test_preview_copy_keeps_filesystems() -> None:
    from infracc.compiler.preview import copy_spec

    data = yaml.safe_load(ECS.replace("environments: {dev: {}, prod: {}}", "environments: {pr: {preview: true}, prod: {}}"))
    data["filesystems"]["media"]["overrides"] = {"pr": {"one_zone": True}, "dev": {"one_zone": True}}
    out, template = copy_spec(data, 7)
    assert template == "pr" and out["filesystems"]["media"]["overrides"] == {"pr-7": {"one_zone": True}}
    found = analyze(text=yaml.safe_dump(out, sort_keys=False), source_dir=str(ROOT), skip=frozenset({"cost"}))
    assert found.ok, [d.message for d in found.diagnostics if d.is_error]
    assert found.ir.envs["pr-7"].graph.component("filesystem.media").resolved.one_zone
