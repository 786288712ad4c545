{{/*
Names
*/}}
{{- define "franoi.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "franoi.fullname" -}}
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

{{- define "franoi.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of a service's resources: <fullname>-<service>. Context: dict root name */}}
{{- define "franoi.serviceFullname" -}}
{{- printf "%s-%s" (include "franoi.fullname" .root | trunc 45 | trimSuffix "-") .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* app.kubernetes.io/name of a service: <chart name>-<service>, e.g. franoi-housing. Context: dict root name */}}
{{- define "franoi.appName" -}}
{{- printf "%s-%s" (include "franoi.name" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels. Selectors use only app.kubernetes.io/name and app.kubernetes.io/instance,
plus app.kubernetes.io/component where one service runs several workloads
(api, relay, consumer, migration): never a label that changes on upgrade.
Context: dict root name [component]
*/}}
{{- define "franoi.selectorLabels" -}}
app.kubernetes.io/name: {{ include "franoi.appName" . }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{- define "franoi.labels" -}}
{{ include "franoi.selectorLabels" . }}
app.kubernetes.io/part-of: {{ include "franoi.name" .root }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "franoi.chart" .root }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of release-wide resources (ServiceAccount, Strimzi resources). Context: dict root component */}}
{{- define "franoi.releaseLabels" -}}
app.kubernetes.io/name: {{ include "franoi.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
app.kubernetes.io/part-of: {{ include "franoi.name" .root }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "franoi.chart" .root }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* metadata.annotations (at indentation 2) from commonAnnotations merged with extra ones. Context: dict root [extra] */}}
{{- define "franoi.annotations" -}}
{{- $all := merge (dict) (.extra | default dict) (.root.Values.commonAnnotations | default dict) -}}
{{- if $all }}
  annotations:
    {{- toYaml $all | nindent 4 }}
{{- end }}
{{- end -}}

{{/*
Services and workloads
*/}}

{{/*
Deep merge of two maps (toYaml of the result): values of .over win, also false
and empty ones (sprig's merge functions drop those). Context: dict base over
*/}}
{{- define "franoi.deepMerge" -}}
{{- $out := deepCopy (.base | default dict) -}}
{{- range $key, $value := (.over | default dict) -}}
{{- if and (kindIs "map" $value) (kindIs "map" (get $out $key)) -}}
{{- $_ := set $out $key (include "franoi.deepMerge" (dict "base" (get $out $key) "over" $value) | fromYaml) -}}
{{- else -}}
{{- $_ := set $out $key $value -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* A services.<name> block merged over serviceDefaults (toYaml). Context: dict root raw */}}
{{- define "franoi.service" -}}
{{- include "franoi.deepMerge" (dict "base" .root.Values.serviceDefaults "over" .raw) -}}
{{- end -}}
{{- define "franoi.isPartner" -}}
{{- if eq .kind "partner" }}true{{ end -}}
{{- end -}}

{{/* Domain of a partner service. Context: dict name svc */}}
{{- define "franoi.domain" -}}
{{- default .name .svc.domain -}}
{{- end -}}

{{/* The network's partners, comma-separated, for the referral router. Context: root */}}
{{- define "franoi.routerPartners" -}}
{{- $ids := list -}}
{{- range $p := .Values.strimzi.partners -}}
{{- $ids = concat $ids (splitList "," (toString $p.id)) -}}
{{- end -}}
{{- join "," $ids -}}
{{- end -}}

{{/* The background worker of a service: the outbox relay or the Kafka consumer. Context: svc */}}
{{- define "franoi.workerComponent" -}}
{{- if eq .kind "partner" }}relay{{ else }}consumer{{ end -}}
{{- end -}}

{{- define "franoi.workerCommand" -}}
{{- if eq .kind "partner" }}relay{{ else }}consume{{ end -}}
{{- end -}}

{{/* Image reference. Context: dict root svc */}}
{{- define "franoi.image" -}}
{{- $repository := .svc.image.repository -}}
{{- with .root.Values.global.imageRegistry }}
{{- $repository = printf "%s/%s" (trimSuffix "/" .) $repository -}}
{{- end }}
{{- if .svc.image.digest -}}
{{- printf "%s@%s" $repository .svc.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion .svc.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "franoi.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "franoi.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The services a desk calls, by name (toYaml: name -> base URL): for each of cases, housing,
employment, hosting, events (the partner's) and projection (the consortium's, for the
reporting page), services.<desk>.serviceUrls.<name> when set, else the Service of this
release's enabled service of that domain (of kind projection for the projection); one
neither deployed here nor configured is left out (the desk's pages for it say so).
Context: dict root svc
*/}}
{{- define "franoi.deskServiceUrls" -}}
{{- $root := .root -}}
{{- $overrides := .svc.serviceUrls | default dict -}}
{{- $urls := dict -}}
{{- range $domain := list "cases" "housing" "employment" "hosting" "events" "projection" -}}
{{- $kind := ternary "projection" "partner" (eq $domain "projection") -}}
{{- with (get $overrides $domain) -}}
{{- $_ := set $urls $domain (trimSuffix "/" .) -}}
{{- else -}}
{{- range $name, $raw := $root.Values.services -}}
{{- $other := include "franoi.service" (dict "root" $root "raw" $raw) | fromYaml -}}
{{- if and $other.enabled (eq $other.kind $kind) (eq (include "franoi.domain" (dict "name" $name "svc" $other)) $domain) (not (hasKey $urls $domain)) -}}
{{- $_ := set $urls $domain (printf "http://%s:%v" (include "franoi.serviceFullname" (dict "root" $root "name" $name)) $other.service.port) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $urls -}}
{{- end -}}

{{/*
Whether a service signs people in with a session cookie (the desk always; the projection's
dashboard with signIn): such a web app keeps the provider's tokens in its process memory,
so its Service and Ingress keep each person on one pod. Context: svc
*/}}
{{- define "franoi.signsPeopleIn" -}}
{{- if or (eq .kind "desk") (and .signIn .signIn.enabled) }}true{{ end -}}
{{- end -}}

{{/* The sign-in's public address: signIn.publicUrl, else https://<ingress host>. Context: svc */}}
{{- define "franoi.signInPublicUrl" -}}
{{- if .signIn.publicUrl -}}
{{- trimSuffix "/" .signIn.publicUrl -}}
{{- else if and .ingress.enabled .ingress.hostname -}}
{{- printf "https://%s" .ingress.hostname -}}
{{- end -}}
{{- end -}}

{{/*
Checks of a service block; fails the rendering with a message that says what to set.
Context: dict root name svc
*/}}
{{- define "franoi.validate" -}}
{{- $v := .root.Values -}}
{{- $name := .name -}}
{{- $svc := .svc -}}
{{- if not (regexMatch "^[a-z][a-z0-9]{0,19}$" $name) -}}
{{- fail (printf "services.%s: a service name is lower-case letters and digits (at most 20)" $name) -}}
{{- end -}}
{{- if not (has $svc.kind (list "partner" "projection" "desk" "router")) -}}
{{- fail (printf "services.%s.kind must be partner, projection, desk or router" $name) -}}
{{- end -}}
{{- if eq $svc.kind "router" -}}
{{- if $svc.worker.separate -}}
{{- fail (printf "services.%s.worker.separate: the referral router runs its two workers (route, relay) in its serve process" $name) -}}
{{- end -}}
{{- if not (include "franoi.routerPartners" .root) -}}
{{- fail (printf "services.%s: the referral router forwards between the partners of strimzi.partners (or env FRANOI_ROUTER_PARTNERS); list them" $name) -}}
{{- end -}}
{{- end -}}
{{- if not $svc.image.repository -}}
{{- fail (printf "services.%s.image.repository: set the image of the service" $name) -}}
{{- end -}}
{{- if ne $svc.kind "desk" -}}
{{- /* The desk keeps no data: no database, no Kafka. */ -}}
{{- if not $svc.database.existingSecret -}}
{{- fail (printf "services.%s.database.existingSecret: name the Secret that holds the service's database URL" $name) -}}
{{- end -}}
{{- if not $v.kafka.bootstrap -}}
{{- fail "kafka.bootstrap: set the bootstrap servers of the network's Kafka cluster" -}}
{{- end -}}
{{- if and (hasPrefix "SASL_" $v.kafka.securityProtocol) (not $v.kafka.sasl.existingSecret) -}}
{{- fail "kafka.sasl.existingSecret: name the Secret with the Kafka password (or use a protocol without SASL)" -}}
{{- end -}}
{{- if and (hasPrefix "SASL_" $v.kafka.securityProtocol) (not $v.kafka.sasl.username) (not $v.kafka.sasl.usernameKey) -}}
{{- fail "kafka.sasl.username: set the Kafka user name (or kafka.sasl.usernameKey)" -}}
{{- end -}}
{{- end -}}
{{- if eq $v.auth.mode "oidc" -}}
{{- if not $v.auth.jwt.issuer -}}
{{- fail "auth.jwt.issuer: with auth.mode oidc, set the identity provider's issuer URL (Keycloak: https://<host>/realms/<realm>)" -}}
{{- end -}}
{{- else if and (eq $v.environment "production") (not $v.auth.jwt.existingSecret) -}}
{{- fail "auth.jwt.existingSecret: production needs the JWT key from a Secret (or auth.mode oidc with the identity provider's issuer)" -}}
{{- end -}}
{{- if has $svc.kind (list "partner" "desk") -}}
{{- if not (regexMatch "^p[0-9]{2,3}(,p[0-9]{2,3})*$" (toString $v.partnerId)) -}}
{{- fail (printf "partnerId: services.%s serves a partner; set this partner's id (p01 ... p999)" $name) -}}
{{- end -}}
{{- end -}}
{{- if and (eq $svc.kind "partner") (eq $v.environment "production") (not $v.pseudonym.existingSecret) -}}
{{- fail "pseudonym.existingSecret: production needs the network pseudonym key from a Secret" -}}
{{- end -}}
{{- if eq $svc.kind "desk" -}}
{{- if and (eq $v.environment "production") (not $svc.signIn.enabled) -}}
{{- fail (printf "services.%s.signIn: in production the desk signs people in with the identity provider (its development sign-in is refused); set signIn.enabled, signIn.clientId and signIn.existingSecret (the client secret and the session key), see docs/deploy.md, \"Sign-in with the identity provider\"" $name) -}}
{{- end -}}
{{- $urls := include "franoi.deskServiceUrls" (dict "root" .root "svc" $svc) | fromYaml -}}
{{- if not (hasKey $urls "cases") -}}
{{- fail (printf "services.%s: the desk needs the partner's case register; enable services.cases in this release or set services.%s.serviceUrls.cases" $name $name) -}}
{{- end -}}
{{- end -}}
{{- if $svc.signIn.enabled -}}
{{- if not (has $svc.kind (list "desk" "projection")) -}}
{{- fail (printf "services.%s.signIn: only the web apps (the desk, the projection's dashboard) sign people in" $name) -}}
{{- end -}}
{{- if not $svc.signIn.clientId -}}
{{- fail (printf "services.%s.signIn.clientId: set the app's client id at the identity provider" $name) -}}
{{- end -}}
{{- if not $svc.signIn.existingSecret -}}
{{- fail (printf "services.%s.signIn.existingSecret: name the Secret with the client secret (%s) and the session key (%s)" $name $svc.signIn.clientSecretKey $svc.signIn.sessionKeyKey) -}}
{{- end -}}
{{- if not (or $svc.signIn.issuer $v.auth.jwt.issuer) -}}
{{- fail (printf "services.%s.signIn.issuer: set the identity provider's issuer (or auth.jwt.issuer)" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Environment of a service container. Plain settings first (sorted, services.<name>.env
overrides them), then every secret as a secretKeyRef. The migration Job gets no
Kafka credential (see franoi.kafkaCaMounted); the desk gets neither database nor Kafka
settings; only the API process of a web app gets the sign-in's client and session key.
Context: dict root name svc component
*/}}
{{- define "franoi.env" -}}
{{- $v := .root.Values -}}
{{- $svc := .svc -}}
{{- $keepsData := ne $svc.kind "desk" -}}
{{- $oidc := eq $v.auth.mode "oidc" -}}
{{- $signIn := and $svc.signIn.enabled (eq .component "api") -}}
{{- $plain := dict
  "FRANOI_ENV" $v.environment
  "FRANOI_SERVICE_NAME" .name
  "FRANOI_HTTP_HOST" "0.0.0.0"
  "FRANOI_HTTP_PORT" (toString $svc.containerPort)
  "FRANOI_LOG_LEVEL" $svc.logLevel
-}}
{{- /* How tokens are verified (every service, every process). */ -}}
{{- if $oidc -}}
{{- $_ := set $plain "FRANOI_JWT_OIDC" "true" -}}
{{- with $v.auth.oidc.discoveryUrl }}{{ $_ := set $plain "FRANOI_JWT_DISCOVERY_URL" . }}{{ end -}}
{{- with $v.auth.oidc.jwksUrl }}{{ $_ := set $plain "FRANOI_JWT_JWKS_URL" . }}{{ end -}}
{{- else -}}
{{- $_ := set $plain "FRANOI_JWT_ALGORITHM" $v.auth.jwt.algorithm -}}
{{- end -}}
{{- with $v.auth.jwt.issuer }}{{ $_ := set $plain "FRANOI_JWT_ISSUER" . }}{{ end -}}
{{- with $v.auth.jwt.audience }}{{ $_ := set $plain "FRANOI_JWT_AUDIENCE" . }}{{ end -}}
{{- with $v.auth.claims.partner }}{{ $_ := set $plain "FRANOI_JWT_PARTNER_CLAIM" . }}{{ end -}}
{{- with $v.auth.claims.partnerPrefix }}{{ $_ := set $plain "FRANOI_JWT_PARTNER_PREFIX" . }}{{ end -}}
{{- with $v.auth.claims.roles }}{{ $_ := set $plain "FRANOI_JWT_ROLES_CLAIM" . }}{{ end -}}
{{- with $v.auth.claims.rolePrefix }}{{ $_ := set $plain "FRANOI_JWT_ROLE_PREFIX" . }}{{ end -}}
{{- with $v.telemetry.otelExporterEndpoint }}{{ $_ := set $plain "FRANOI_OTEL_EXPORTER_ENDPOINT" . }}{{ end -}}
{{- if $keepsData -}}
{{- $_ := set $plain "FRANOI_DATABASE_POOL_MAX" (toString $svc.database.poolMax) -}}
{{- $_ := set $plain "FRANOI_KAFKA_BOOTSTRAP" $v.kafka.bootstrap -}}
{{- $_ := set $plain "FRANOI_KAFKA_SECURITY_PROTOCOL" $v.kafka.securityProtocol -}}
{{- $_ := set $plain "FRANOI_KAFKA_IDEMPOTENT_PRODUCER" (toString $v.kafka.idempotentProducer) -}}
{{- $_ := set $plain "FRANOI_KAFKA_CREATE_TOPICS" "false" -}}
{{- if hasPrefix "SASL_" $v.kafka.securityProtocol -}}
{{- $_ := set $plain "FRANOI_KAFKA_SASL_MECHANISM" $v.kafka.sasl.mechanism -}}
{{- if and $v.kafka.sasl.username (not $v.kafka.sasl.usernameKey) -}}
{{- $_ := set $plain "FRANOI_KAFKA_SASL_USERNAME" $v.kafka.sasl.username -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if eq (include "franoi.kafkaCaMounted" .) "true" -}}
{{- $_ := set $plain "FRANOI_KAFKA_SSL_CAFILE" (printf "/etc/franoi/kafka-ca/%s" $v.kafka.tls.caKey) -}}
{{- end -}}
{{- if has $svc.kind (list "partner" "desk") -}}
{{- $_ := set $plain "FRANOI_PARTNER_ID" (toString $v.partnerId) -}}
{{- end -}}
{{- if eq $svc.kind "partner" -}}
{{- if eq .component "api" -}}
{{- $_ := set $plain "FRANOI_RELAY_ENABLED" (ternary "false" "true" $svc.worker.separate) -}}
{{- end -}}
{{- else if eq $svc.kind "desk" -}}
{{- range $domain, $url := (include "franoi.deskServiceUrls" (dict "root" .root "svc" $svc) | fromYaml) -}}
{{- $_ := set $plain (printf "FRANOI_%s_URL" (upper $domain)) $url -}}
{{- end -}}
{{- $_ := set $plain "FRANOI_DEV_SIGN_IN" (ternary "false" "true" (or (eq $v.environment "production") $svc.signIn.enabled)) -}}
{{- else if eq $svc.kind "router" -}}
{{- with (include "franoi.routerPartners" .root) }}{{ $_ := set $plain "FRANOI_ROUTER_PARTNERS" . }}{{ end -}}
{{- with $svc.consumerGroup }}{{ $_ := set $plain "FRANOI_CONSUMER_GROUP" . }}{{ end -}}
{{- with $svc.deadLetterTopic }}{{ $_ := set $plain "FRANOI_DEAD_LETTER_TOPIC" . }}{{ end -}}
{{- else -}}
{{- if eq .component "api" -}}
{{- $_ := set $plain "FRANOI_CONSUMER_ENABLED" (ternary "false" "true" $svc.worker.separate) -}}
{{- end -}}
{{- with $svc.consumerGroup }}{{ $_ := set $plain "FRANOI_CONSUMER_GROUP" . }}{{ end -}}
{{- with $svc.topicPattern }}{{ $_ := set $plain "FRANOI_TOPIC_PATTERN" . }}{{ end -}}
{{- with $svc.deadLetterTopic }}{{ $_ := set $plain "FRANOI_DEAD_LETTER_TOPIC" . }}{{ end -}}
{{- if $svc.partnerDirectory.existingConfigMap -}}
{{- $_ := set $plain "FRANOI_PARTNER_DIRECTORY" (printf "/etc/franoi/partner-directory/%s" $svc.partnerDirectory.key) -}}
{{- end -}}
{{- end -}}
{{- if $signIn -}}
{{- /* The web app as a client of the identity provider. */ -}}
{{- $_ := set $plain "FRANOI_OIDC_ISSUER" ($svc.signIn.issuer | default $v.auth.jwt.issuer) -}}
{{- $_ := set $plain "FRANOI_OIDC_CLIENT_ID" $svc.signIn.clientId -}}
{{- $discovery := $svc.signIn.discoveryUrl -}}
{{- if and (not $discovery) (not $svc.signIn.issuer) -}}
{{- $discovery = $v.auth.oidc.discoveryUrl -}}
{{- end -}}
{{- with $discovery }}{{ $_ := set $plain "FRANOI_OIDC_DISCOVERY_URL" . }}{{ end -}}
{{- with $svc.signIn.scope }}{{ $_ := set $plain "FRANOI_OIDC_SCOPE" . }}{{ end -}}
{{- with (include "franoi.signInPublicUrl" $svc) }}{{ $_ := set $plain "FRANOI_OIDC_PUBLIC_URL" . }}{{ end -}}
{{- end -}}
{{- range $key, $value := ($svc.env | default dict) -}}
{{- $_ := set $plain $key (toString $value) -}}
{{- end -}}
{{- range $key := keys $plain | sortAlpha }}
- name: {{ $key }}
  value: {{ get $plain $key | toString | quote }}
{{- end }}
{{- if $keepsData }}
- name: FRANOI_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $svc.database.existingSecret }}
      key: {{ $svc.database.urlKey }}
{{- end }}
{{- range $name, $ref := ($svc.secretEnv | default dict) }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.existingSecret }}
      key: {{ $ref.key }}
{{- end }}
{{- if and (not $oidc) $v.auth.jwt.existingSecret }}
- name: FRANOI_JWT_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $v.auth.jwt.existingSecret }}
      key: {{ $v.auth.jwt.key }}
{{- end }}
{{- if and (eq $svc.kind "partner") $v.pseudonym.existingSecret }}
- name: FRANOI_PSEUDONYM_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $v.pseudonym.existingSecret }}
      key: {{ $v.pseudonym.key }}
{{- end }}
{{- if and $keepsData (hasPrefix "SASL_" $v.kafka.securityProtocol) $v.kafka.sasl.existingSecret (ne .component "migration") }}
{{- if $v.kafka.sasl.usernameKey }}
- name: FRANOI_KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.sasl.existingSecret }}
      key: {{ $v.kafka.sasl.usernameKey }}
{{- end }}
- name: FRANOI_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.sasl.existingSecret }}
      key: {{ $v.kafka.sasl.passwordKey }}
{{- end }}
{{- if $signIn }}
- name: FRANOI_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $svc.signIn.existingSecret }}
      key: {{ $svc.signIn.clientSecretKey }}
- name: FRANOI_SESSION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $svc.signIn.existingSecret }}
      key: {{ $svc.signIn.sessionKeyKey }}
{{- end }}
{{- end -}}

{{/*
Whether the Kafka CA certificate is mounted. Not in the migration Job: `migrate`
talks to the database only, so the Job needs no Kafka credential (in the
consortium's cluster they may be created by this very release, after the hook).
Not in the desk, which talks to no broker.
Context: dict root svc component
*/}}
{{- define "franoi.kafkaCaMounted" -}}
{{- $v := .root.Values -}}
{{- if and $v.kafka.tls.caSecret (has $v.kafka.securityProtocol (list "SSL" "SASL_SSL")) (ne .component "migration") (ne .svc.kind "desk") -}}
true
{{- end -}}
{{- end -}}

{{/* Volume mounts of a service container. Context: dict root svc */}}
{{- define "franoi.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- $v := .root.Values }}
{{- if eq (include "franoi.kafkaCaMounted" .) "true" }}
- name: kafka-ca
  mountPath: /etc/franoi/kafka-ca
  readOnly: true
{{- end }}
{{- if and (eq .svc.kind "projection") .svc.partnerDirectory.existingConfigMap }}
- name: partner-directory
  mountPath: /etc/franoi/partner-directory
  readOnly: true
{{- end }}
{{- end -}}

{{/* Volumes of a service pod. Context: dict root svc */}}
{{- define "franoi.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .root.Values.tmpVolume.sizeLimit }}
{{- $v := .root.Values }}
{{- if eq (include "franoi.kafkaCaMounted" .) "true" }}
- name: kafka-ca
  secret:
    secretName: {{ $v.kafka.tls.caSecret }}
    items:
      - key: {{ $v.kafka.tls.caKey }}
        path: {{ $v.kafka.tls.caKey }}
{{- end }}
{{- if and (eq .svc.kind "projection") .svc.partnerDirectory.existingConfigMap }}
- name: partner-directory
  configMap:
    name: {{ .svc.partnerDirectory.existingConfigMap }}
    items:
      - key: {{ .svc.partnerDirectory.key }}
        path: {{ .svc.partnerDirectory.key }}
{{- end }}
{{- end -}}

{{/*
Pod-level settings shared by every pod of a service (Deployments, Job, test Pod).
Context: dict root svc [serviceAccount]
*/}}
{{- define "franoi.podCommon" -}}
{{- $v := .root.Values -}}
{{- if .serviceAccount }}
serviceAccountName: {{ .serviceAccount }}
{{- end }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with $v.global.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
securityContext:
  {{- toYaml $v.podSecurityContext | nindent 2 }}
{{- with .svc.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .svc.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .svc.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .svc.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* An HTTP probe. Context: dict probe path */}}
{{- define "franoi.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: http
{{- toYaml (omit .probe "enabled") | nindent 0 }}
{{- end -}}
