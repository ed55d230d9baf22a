"""DynamoDB tables: keys, global secondary indexes, TTL, streams, KMS (IC-SEC-001), point-in-time
recovery (IC-SEC-011), deletion protection, and auto scaling for provisioned capacity."""
from __future__ import annotations

from typing import Any

from infracc.backends.terraform import stores
from infracc.backends.terraform.context import Env
from infracc.backends.terraform.model import Block, label
from infracc.compiler import decided, resolved
from infracc.compiler.ir import Component

STREAM_VIEW = {"keys-only": "KEYS_ONLY", "new-image": "NEW_IMAGE", "old-image": "OLD_IMAGE",
               "new-and-old-images": "NEW_AND_OLD_IMAGES"}
PROJECTION = {"all": "ALL", "keys-only": "KEYS_ONLY"}
# Target-tracking utilisation of provisioned capacity: AWS's default for DynamoDB auto scaling
# ("Managing throughput capacity automatically with DynamoDB auto scaling", DynamoDB Developer Guide).
TARGET_UTILIZATION = 70


def table(ctx: Env, comp: Component) -> None:
    spec, sz, ret = resolved.table(comp), decided.sizing(comp), decided.retention(comp)
    n = label("table", comp.name)
    provisioned = sz.capacity_mode == "provisioned"
    units = {"read_capacity": sz.read_units, "write_capacity": sz.write_units} if provisioned else {}
    attrs: dict[str, Any] = {
        "name": ctx.aws_name(comp.name), "billing_mode": "PROVISIONED" if provisioned else "PAY_PER_REQUEST",
        "hash_key": spec.partition_key.name, **units,
        "attribute": [{"name": a.name, "type": a.dynamodb_type} for a in spec.attributes],
        "server_side_encryption": {"enabled": decided.encryption(comp).at_rest, "kms_key_arn": ctx.key_for(comp).ref("arn")},
        "point_in_time_recovery": {"enabled": ret.point_in_time_recovery},
        "deletion_protection_enabled": ret.deletion_protection,
    }
    if spec.sort_key is not None:
        attrs["range_key"] = spec.sort_key.name
    if spec.indexes:
        attrs["global_secondary_index"] = [_index(i, units) for i in spec.indexes]
    if spec.ttl_attribute is not None:
        attrs["ttl"] = {"attribute_name": spec.ttl_attribute, "enabled": True}
    if spec.stream is not None:
        attrs.update(stream_enabled=True, stream_view_type=STREAM_VIEW[spec.stream])
    if provisioned:  # auto scaling moves the units; Terraform must not set them back
        attrs["lifecycle"] = {"ignore_changes": ["read_capacity", "write_capacity"]}
    t = ctx.doc.resource("aws_dynamodb_table", n, attrs)
    ctx.parts[comp.id] = t
    stores.connection(ctx, comp, f"name = {t.address}.name, arn = {t.address}.arn")
    if provisioned:
        _autoscaling(ctx, comp, t, spec)


def _index(index: resolved.TableIndex, units: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": index.name, "hash_key": index.partition_key.name,
                           "projection_type": PROJECTION[index.projection], **units}
    if index.sort_key is not None:
        out["range_key"] = index.sort_key.name
    return out


def _autoscaling(ctx: Env, comp: Component, t: Block, spec: resolved.Table) -> None:
    """Target tracking on reads and writes of the table and each index, from the sized units up
    to `max_units_factor` times them (the sizing pass)."""
    sz = decided.sizing(comp)
    assert sz.read_units is not None and sz.write_units is not None and sz.max_units_factor is not None, comp.id
    scopes = [("table", f"table/{t.ref('name')}", "")] + [
        ("index", f"table/{t.ref('name')}/index/{i.name}", i.name) for i in spec.indexes]
    for scope, resource_id, index in scopes:
        for what, minimum in (("Read", sz.read_units), ("Write", sz.write_units)):
            n = label("table", comp.name, index, what.lower()) if index else label("table", comp.name, what.lower())
            target = ctx.doc.resource("aws_appautoscaling_target", n, {
                "service_namespace": "dynamodb", "resource_id": resource_id,
                "scalable_dimension": f"dynamodb:{scope}:{what}CapacityUnits",
                "min_capacity": minimum, "max_capacity": minimum * sz.max_units_factor})
            ctx.doc.resource("aws_appautoscaling_policy", label(n, "scaling"), {
                "name": f"{comp.name}{'-' + index if index else ''}-{what.lower()}", "policy_type": "TargetTrackingScaling",
                "resource_id": target.ref("resource_id"), "scalable_dimension": target.ref("scalable_dimension"),
                "service_namespace": target.ref("service_namespace"),
                "target_tracking_scaling_policy_configuration": {
                    "target_value": TARGET_UTILIZATION,
                    "predefined_metric_specification": {"predefined_metric_type": f"DynamoDB{what}CapacityUtilization"}}})
