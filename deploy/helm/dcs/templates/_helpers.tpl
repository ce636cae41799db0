{{/* Chart name, possibly overridden. */}}
{{- define "dcs.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name: the release name, with the chart name unless it already has it. */}}
{{- define "dcs.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "dcs.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of one role's objects, e.g. dcs-storage. Call with (dict "root" $ "role" "storage"). */}}
{{- define "dcs.roleName" -}}
{{- printf "%s-%s" (include "dcs.fullname" .root) .role | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dcs.labels" -}}
helm.sh/chart: {{ include "dcs.chart" . }}
app.kubernetes.io/name: {{ include "dcs.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dcs
{{- end -}}

{{/* Selector labels of one role. Call with (dict "root" $ "role" "storage"). */}}
{{- define "dcs.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dcs.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "dcs.roleLabels" -}}
{{ include "dcs.labels" .root }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "dcs.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "dcs.tokenSecretName" -}}
{{- default (printf "%s-tokens" (include "dcs.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{- define "dcs.postgresSecretName" -}}
{{- default (printf "%s-postgres" (include "dcs.fullname" .)) .Values.postgres.existingSecret -}}
{{- end -}}

{{- define "dcs.hasPostgresPassword" -}}
{{- if or .Values.postgres.existingSecret .Values.postgres.password -}}true{{- end -}}
{{- end -}}

{{/* http or https: the scheme of the services' URLs and of the probes. */}}
{{- define "dcs.scheme" -}}
{{- if .Values.tls.enabled -}}https{{- else -}}http{{- end -}}
{{- end -}}

{{/* Validation that the values schema cannot express. */}}
{{- define "dcs.validate" -}}
{{- if gt (int .Values.config.replicate) (int .Values.storage.replicas) -}}
{{- fail (printf "config.replicate (%d) must not exceed storage.replicas (%d)" (int .Values.config.replicate) (int .Values.storage.replicas)) -}}
{{- end -}}
{{- if and .Values.tls.enabled (not .Values.tls.secretName) -}}
{{- fail "tls.enabled needs tls.secretName (a kubernetes.io/tls Secret with tls.crt, tls.key and ca.crt)" -}}
{{- end -}}
{{- if and .Values.tls.mutual (not .Values.tls.enabled) -}}
{{- fail "tls.mutual needs tls.enabled" -}}
{{- end -}}
{{- end -}}

{{/* The repository configuration the orchestrators read (dcs.yaml). */}}
{{- define "dcs.config" -}}
{{- $storage := include "dcs.roleName" (dict "root" . "role" "storage") -}}
{{- $backendScheme := ternary "grpcs" "grpc" .Values.tls.enabled -}}
{{- $backends := list -}}
{{- range $i := until (int .Values.storage.replicas) -}}
{{- $host := printf "%s-%d.%s.%s.svc.%s" $storage $i $storage $.Release.Namespace $.Values.clusterDomain -}}
{{- $backends = append $backends (dict "name" (printf "storage-%d" $i) "url" (printf "%s://%s:%d" $backendScheme $host (int $.Values.port))) -}}
{{- end -}}
{{- $services := dict
      "chunker" (printf "%s://%s:%d" (include "dcs.scheme" .) (include "dcs.roleName" (dict "root" . "role" "chunker")) (int .Values.port))
      "compressor" (printf "%s://%s:%d" (include "dcs.scheme" .) (include "dcs.roleName" (dict "root" . "role" "compressor")) (int .Values.port)) -}}
version: 1
metadata: {{ .Values.postgres.url | quote }}
backends:
{{- toYaml $backends | nindent 2 }}
redundancy:
  replicate: {{ int .Values.config.replicate }}
compression:
{{- toYaml .Values.config.compression | nindent 2 }}
services:
{{- toYaml $services | nindent 2 }}
{{- end -}}

{{/*
The dcs container of one role. Call with (dict "root" $ "role" "storage" "args" (list ...)
"values" .Values.storage "mutual" bool "extraEnv" (list ...) "extraMounts" (list ...)).
*/}}
{{- define "dcs.container" -}}
{{- $root := .root -}}
{{- $tlsArgs := list -}}
{{- if $root.Values.tls.enabled -}}
{{- $tlsArgs = list "--tls-cert" "/etc/dcs/tls/tls.crt" "--tls-key" "/etc/dcs/tls/tls.key" -}}
{{- if .mutual -}}
{{- $tlsArgs = concat $tlsArgs (list "--tls-client-ca" "/etc/dcs/tls/ca.crt") -}}
{{- end -}}
{{- end -}}
- name: dcs
  image: {{ include "dcs.image" $root | quote }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  args:
    {{- toYaml (concat (list "serve" "--role" .role "--listen" (printf "0.0.0.0:%d" (int $root.Values.port))) .args $tlsArgs) | nindent 4 }}
  ports:
    - name: http
      containerPort: {{ $root.Values.port }}
      protocol: TCP
    {{- with .extraPorts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  env:
    - name: DCS_NODE_TOKEN
      valueFrom:
        secretKeyRef:
          name: {{ include "dcs.tokenSecretName" $root }}
          key: {{ $root.Values.auth.nodeTokenKey }}
    {{- if $root.Values.tls.enabled }}
    # Trust the cluster CA for calls between dcs processes.
    - name: NODE_EXTRA_CA_CERTS
      value: /etc/dcs/tls/ca.crt
    {{- end }}
    {{- with .extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if .mutual }}
  # Kubelet cannot present a client certificate, so with mutual TLS the probes only open the port.
  livenessProbe:
    tcpSocket:
      port: http
    {{- toYaml $root.Values.probes.liveness | nindent 4 }}
  readinessProbe:
    tcpSocket:
      port: http
    {{- toYaml $root.Values.probes.readiness | nindent 4 }}
  {{- else }}
  livenessProbe:
    httpGet:
      path: /healthz
      port: http
      scheme: {{ include "dcs.scheme" $root | upper }}
    {{- toYaml $root.Values.probes.liveness | nindent 4 }}
  readinessProbe:
    httpGet:
      path: /readyz
      port: http
      scheme: {{ include "dcs.scheme" $root | upper }}
    {{- toYaml $root.Values.probes.readiness | nindent 4 }}
  {{- end }}
  resources:
    {{- toYaml .values.resources | nindent 4 }}
  securityContext:
    {{- toYaml $root.Values.securityContext | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
    {{- if $root.Values.tls.enabled }}
    - name: tls
      mountPath: /etc/dcs/tls
      readOnly: true
    {{- end }}
    {{- with .extraMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* Pod-level settings shared by every role. Call like dcs.container. */}}
{{- define "dcs.podSpec" -}}
{{- $root := .root -}}
automountServiceAccountToken: false
enableServiceLinks: false
terminationGracePeriodSeconds: {{ .values.terminationGracePeriodSeconds }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
containers:
  {{- include "dcs.container" . | nindent 2 }}
volumes:
  # Node's compile cache and scratch space; the root filesystem is read-only.
  - name: tmp
    emptyDir:
      sizeLimit: 256Mi
  {{- if $root.Values.tls.enabled }}
  - name: tls
    secret:
      secretName: {{ $root.Values.tls.secretName }}
      defaultMode: 288 # 0440: readable by the fsGroup, not by others
  {{- end }}
  {{- with .extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* Pod template annotations, if any; with "checksum" true, pods roll when dcs.yaml changes. */}}
{{- define "dcs.podAnnotations" -}}
{{- $annotations := deepCopy (.values.podAnnotations | default dict) -}}
{{- if .checksum -}}
{{- $_ := set $annotations "checksum/config" (include "dcs.config" .root | sha256sum) -}}
{{- end -}}
{{- with $annotations -}}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}
