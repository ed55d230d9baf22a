"""The chart's template files: plain text for humans to own and extend.

Every kind has one template ranging over its values key; `_helpers.tpl` holds the labels and
the image of built workloads. The migration Jobs (`component: migration`) and what they need
run as pre-install/pre-upgrade hooks.
"""
from __future__ import annotations

from infracc.backends.helm.values import KINDS

CLUSTER_SCOPED = ("Namespace", "StorageClass", "PersistentVolume")

HELPERS = '''{{/* The release's image tag: required, there is no default (CI pushes only the commit SHA). */}}
{{- define "infracc.imageTag" -}}
{{- required "image.tag is required: the tag CI pushed to ECR for this release, the commit SHA (--set-string image.tag=$(git rev-parse HEAD))" .Values.image.tag -}}
{{- end -}}

{{/* Recommended labels: app.kubernetes.io/* (version = image tag). */}}
{{- define "infracc.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .name }}
app.kubernetes.io/component: {{ .entry.component }}
app.kubernetes.io/part-of: {{ .root.Values.partOf }}
app.kubernetes.io/managed-by: infracc
app.kubernetes.io/version: {{ include "infracc.imageTag" .root | quote }}
{{- with .entry.extraLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Metadata of one object; `hook` adds the Helm hook annotations of migrations. */}}
{{- define "infracc.metadata" -}}
name: {{ .name }}
{{- if .namespaced }}
namespace: {{ .root.Values.namespace }}
{{- end }}
labels:
  {{- include "infracc.labels" . | nindent 2 }}
{{- $annotations := .entry.annotations | default dict }}
{{- if hasKey .entry "hook" }}
{{- $annotations = merge (dict "helm.sh/hook" "pre-install,pre-upgrade" "helm.sh/hook-weight" (toString .entry.hook) "helm.sh/hook-delete-policy" "before-hook-creation") $annotations }}
{{- end }}
{{- with $annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The object's body: the entry without the keys the chart itself interprets. */}}
{{- define "infracc.body" -}}
{{- $body := omit .entry "component" "annotations" "extraLabels" "imageRepository" "hook" -}}
{{- with .entry.imageRepository }}
{{- $image := printf "%s/%s:%s" $.root.Values.image.registry . (include "infracc.imageTag" $.root) }}
{{- $spec := $body.spec }}
{{- $pod := dict }}
{{- if hasKey $spec "jobTemplate" }}{{ $pod = $spec.jobTemplate.spec.template.spec }}{{ else }}{{ $pod = $spec.template.spec }}{{ end }}
{{- range $pod.containers }}{{ $_ := set . "image" $image }}{{ end }}
{{- end }}
{{- if $body }}
{{ toYaml $body }}
{{- end }}
{{- end -}}
'''

KIND_TEMPLATE = '''{{- range $name, $entry := .Values.%(key)s }}
---
apiVersion: %(api)s
kind: %(kind)s
metadata:
  {{- include "infracc.metadata" (dict "root" $ "name" $name "entry" $entry "namespaced" %(namespaced)s) | nindent 2 }}
{{- include "infracc.body" (dict "root" $ "entry" $entry) }}
{{- end }}
'''

NAMESPACE_GUARD = '''{{- if .Values.createNamespace }}
%s{{- end }}
'''

NOTES = '''{{ .Chart.Name }} installed in namespace {{ .Values.namespace }} (image tag {{ .Values.image.tag }}).

The cluster needs: AWS Load Balancer Controller >= 2.11 (TargetGroupBindings), External Secrets Operator
(SecretStore/ExternalSecret), Argo Rollouts (canary / blue-green Rollouts) and metrics-server (HPA).
{{- if .Values.persistentVolumes }}
EFS volumes: each persistentVolumes.<name>.spec.csi.volumeHandle is the Terraform output
efs_<workload>_<filesystem>_volume_handle (CI sets it with --set-string).
{{- end }}

  kubectl -n {{ .Values.namespace }} get pods,targetgroupbindings,externalsecrets
{{- if .Values.rollouts }}
  kubectl argo rollouts -n {{ .Values.namespace }} list rollouts
{{- end }}
'''


def kind_template(kind: str) -> str:
    key, api = KINDS[kind]
    text = KIND_TEMPLATE % {"key": key, "api": api, "kind": kind, "namespaced": str(kind not in CLUSTER_SCOPED).lower()}
    return NAMESPACE_GUARD % text if kind == "Namespace" else text


def template_files() -> dict[str, str]:
    files = {"_helpers.tpl": HELPERS, "NOTES.txt": NOTES}
    for kind in KINDS:
        files[f"{kind.lower()}.yaml"] = kind_template(kind)
    return files
