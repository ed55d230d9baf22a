"""`values.schema.json`: the shape of the chart's values (Helm validates it on install and lint)."""
from __future__ import annotations

from typing import Any

from infracc.backends.helm.values import KINDS

# A Docker image tag that is also a valid label value (it is `app.kubernetes.io/version`).
TAG_PATTERN = "^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$"

_ENTRY = {
    "type": "object",
    "required": ["component"],
    "properties": {
        "component": {"type": "string", "description": "app.kubernetes.io/component label"},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "extraLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "imageRepository": {"type": "string", "description": "ECR repository of an image built by infracc"},
        "hook": {"type": "integer", "description": "Helm hook weight (migration Jobs and what they need)"},
    },
}


def values_schema() -> dict[str, Any]:
    objects = {key: {"type": "object", "description": f"{kind} objects by name",
                     "additionalProperties": _ENTRY} for kind, (key, _) in KINDS.items()}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "infracc chart values",
        "type": "object",
        "additionalProperties": False,
        "required": ["partOf", "image"],
        "properties": {
            "namespace": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
            "partOf": {"type": "string"},
            "createNamespace": {"type": "boolean", "description": "Also create the Namespace (with its Pod Security labels)"},
            "image": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "registry": {"type": "string", "description": "ECR registry host of built images"},
                    # No default and not schema-required: the templates' `required` says what to set.
                    "tag": {"type": "string", "pattern": TAG_PATTERN, "not": {"const": "latest"},
                            "description": "Tag of every image built by infracc: the commit SHA CI pushed "
                                           "(immutable; never `latest`). Required at install."},
                },
            },
            **objects,
        },
    }
