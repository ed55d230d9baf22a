{{/* The release's image tag: required, there is no default (CI pushes only the commit SHA). */}}
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
