{{/* Names, labels, the image, the shared environment and the pod spec pieces every role uses. */}}

{{- define "lynex.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "lynex.fullname" -}}
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

{{/* Resource name of one role: <fullname>-<role>. Call with (dict "ctx" $ "role" "gateway"). */}}
{{- define "lynex.roleName" -}}
{{- printf "%s-%s" (include "lynex.fullname" .ctx | trunc 54 | trimSuffix "-") .role }}
{{- end }}

{{- define "lynex.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "lynex.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lynex.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "lynex.labels" -}}
helm.sh/chart: {{ include "lynex.chart" . }}
{{ include "lynex.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lynex
{{- end }}

{{/* Labels of one role's objects. Call with (dict "ctx" $ "role" "gateway"). */}}
{{- define "lynex.roleLabels" -}}
{{ include "lynex.labels" .ctx }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{- define "lynex.roleSelectorLabels" -}}
{{ include "lynex.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{- define "lynex.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "lynex.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "lynex.image" -}}
{{- $repo := .Values.image.repository }}
{{- if .Values.image.registry }}
{{- $repo = printf "%s/%s" .Values.image.registry .Values.image.repository }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repo .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding passwords and keys: yours (existingSecret) or the chart's. */}}
{{- define "lynex.secretName" -}}
{{- default (printf "%s-secrets" (include "lynex.fullname" . | trunc 54 | trimSuffix "-")) .Values.secrets.existingSecret }}
{{- end }}

{{- define "lynex.secretRef" -}}
valueFrom:
  secretKeyRef:
    name: {{ include "lynex.secretName" .ctx }}
    key: {{ .key | quote }}
{{- end }}

{{/*
The environment shared by every role and the migration. Passwords are read from the Secret into plain
variables first and spliced into the connection URLs with Kubernetes' $(VAR) expansion, so no URL with a
password is ever stored. The plain names must not start with LYNEX_: the server rejects unknown LYNEX_*
variables.
*/}}
{{- define "lynex.env" -}}
{{- $v := .Values -}}
- name: LYNEX_ENV
  value: {{ $v.config.env | quote }}
- name: LYNEX_HOME
  value: /var/lib/lynex
- name: LYNEX_HTTP__HOST
  value: "0.0.0.0"
- name: LYNEX_HTTP__PORT
  value: "8000"
- name: LYNEX_LOG__FORMAT
  value: json
- name: LYNEX_LOG__LEVEL
  value: {{ $v.config.logLevel | quote }}
- name: LYNEX_KAFKA__BOOTSTRAP_SERVERS
  value: {{ $v.kafka.bootstrapServers | quote }}
- name: LYNEX_KAFKA__TOPIC_PREFIX
  value: {{ $v.kafka.topicPrefix | quote }}
- name: LYNEX_KAFKA__TOPIC_PARTITIONS
  value: {{ $v.kafka.topicPartitions | quote }}
- name: LYNEX_KAFKA__REPLICATION_FACTOR
  value: {{ $v.kafka.replicationFactor | quote }}
- name: DATABASE_PASSWORD
  {{- include "lynex.secretRef" (dict "ctx" . "key" $v.secrets.keys.postgresqlPassword) | nindent 2 }}
- name: LYNEX_DATABASE__URL
  value: {{ printf "postgresql+asyncpg://%s:$(DATABASE_PASSWORD)@%s:%d/%s%s" $v.postgresql.user $v.postgresql.host (int $v.postgresql.port) $v.postgresql.database (ternary (printf "?%s" $v.postgresql.params) "" (ne $v.postgresql.params "")) | quote }}
- name: CLICKHOUSE_PASSWORD
  {{- include "lynex.secretRef" (dict "ctx" . "key" $v.secrets.keys.clickhousePassword) | nindent 2 }}
- name: LYNEX_CLICKHOUSE__DSN
  value: {{ printf "%s://%s:$(CLICKHOUSE_PASSWORD)@%s:%d/%s" $v.clickhouse.scheme $v.clickhouse.user $v.clickhouse.host (int $v.clickhouse.port) $v.clickhouse.database | quote }}
- name: LYNEX_CLICKHOUSE__RETENTION_DAYS
  value: {{ $v.clickhouse.retentionDays | quote }}
- name: LYNEX_AUTH__SECRET_KEY
  {{- include "lynex.secretRef" (dict "ctx" . "key" $v.secrets.keys.authSecretKey) | nindent 2 }}
{{- if $v.init.projectId }}
- name: LYNEX_INIT__PROJECT_ID
  value: {{ $v.init.projectId | quote }}
- name: LYNEX_INIT__API_KEY
  {{- include "lynex.secretRef" (dict "ctx" . "key" $v.secrets.keys.initApiKey) | nindent 2 }}
{{- end }}
{{- with $v.config.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Writable paths on a read-only root file system: LYNEX_HOME and /tmp. */}}
{{- define "lynex.volumes" -}}
- name: home
  emptyDir:
    sizeLimit: {{ .Values.volumes.homeSizeLimit }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.volumes.tmpSizeLimit }}
{{- end }}

{{- define "lynex.volumeMounts" -}}
- name: home
  mountPath: /var/lib/lynex
- name: tmp
  mountPath: /tmp
{{- end }}

{{/*
Pod-level settings shared by the roles and the migration. enableServiceLinks is off because Kubernetes
would otherwise inject LYNEX_<SERVICE>_SERVICE_HOST-style variables for this release's own Services,
which the server rejects as unknown settings.
*/}}
{{- define "lynex.podSpecCommon" -}}
enableServiceLinks: false
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "lynex.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: http
periodSeconds: {{ .periodSeconds }}
timeoutSeconds: {{ .timeoutSeconds }}
failureThreshold: {{ .failureThreshold }}
{{- end }}

{{/* Checks no schema can express; they fail the render with a message saying what to change. */}}
{{- define "lynex.validate" -}}
{{- $partitions := int .Values.kafka.topicPartitions }}
{{- $streams := .Values.streams }}
{{- if $streams.keda.enabled }}
{{- if gt (int $streams.keda.maxReplicas) $partitions }}
{{- fail (printf "streams.keda.maxReplicas (%d) exceeds kafka.topicPartitions (%d): a stream worker beyond the partition count gets no partition. Raise the partitions first (see README, Scaling)." (int $streams.keda.maxReplicas) $partitions) }}
{{- end }}
{{- if gt (int $streams.keda.minReplicas) (int $streams.keda.maxReplicas) }}
{{- fail "streams.keda.minReplicas must not exceed streams.keda.maxReplicas" }}
{{- end }}
{{- else if gt (int $streams.replicas) $partitions }}
{{- fail (printf "streams.replicas (%d) exceeds kafka.topicPartitions (%d): a stream worker beyond the partition count gets no partition." (int $streams.replicas) $partitions) }}
{{- end }}
{{- range $role := list "gateway" "query" }}
{{- $as := (index $.Values $role).autoscaling }}
{{- if $as.enabled }}
{{- if gt (int $as.minReplicas) (int $as.maxReplicas) }}
{{- fail (printf "%s.autoscaling.minReplicas must not exceed %s.autoscaling.maxReplicas" $role $role) }}
{{- end }}
{{- if not (dig "requests" "cpu" "" (index $.Values $role).resources) }}
{{- fail (printf "%s.autoscaling needs %s.resources.requests.cpu: CPU utilisation is measured against the request" $role $role) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and .Values.init.projectId (not .Values.secrets.existingSecret) (not .Values.secrets.values.initApiKey) }}
{{- fail "init.projectId needs an API key: secrets.values.initApiKey, or the key secrets.keys.initApiKey in secrets.existingSecret" }}
{{- end }}
{{- end }}
