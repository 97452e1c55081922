{{/* Chart name, truncated to 63 characters. */}}
{{- define "azure-apim-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects. */}}
{{- define "azure-apim-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Selector labels. */}}
{{- define "azure-apim-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "azure-apim-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Common labels. */}}
{{- define "azure-apim-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "azure-apim-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* ServiceAccount name. */}}
{{- define "azure-apim-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "azure-apim-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Name of the leader-election Lease. */}}
{{- define "azure-apim-operator.leaderElectionId" -}}
{{- default (include "azure-apim-operator.fullname" .) .Values.leaderElection.id }}
{{- end }}

{{/* Where the metrics certificate Secret is mounted. */}}
{{- define "azure-apim-operator.metricsCertDir" -}}
/var/run/secrets/azure-apim-operator/metrics-tls
{{- end }}

{{/* Whether the metrics listener serves the certificate of metrics.certSecret. */}}
{{- define "azure-apim-operator.metricsCertSecret" -}}
{{- if and .Values.metrics.enabled .Values.metrics.secure .Values.metrics.certSecret }}true{{ end }}
{{- end }}

{{/*
Whether the APIMService kind is served, so that apimServices can be created. Helm resolves every
kind of a release before it creates anything, so the release that installs the CRDs cannot create
APIMServices in the same run; they follow with the next upgrade (NOTES.txt says so). Offline
(`helm template`), pass `--api-versions apim.operator.io/v1/APIMService`.
*/}}
{{- define "azure-apim-operator.apimServiceServed" -}}
{{- if or (.Capabilities.APIVersions.Has "apim.operator.io/v1/APIMService") (not .Values.crds.install) }}true{{ end }}
{{- end }}
