#!/usr/bin/env bash
# Writes server.properties from the environment the way apache/kafka does: KAFKA_FOO_BAR=x ->
# foo.bar=x ("__" -> "_", "___" -> "-"), except the JVM settings (KAFKA_HEAP_OPTS, KAFKA_OPTS,
# KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS) and KAFKA_VERSION (the image's release: Kafka 3.9
# logs through reload4j, Kafka 4 through log4j2, each with its own config file). Formats the
# storage with CLUSTER_ID once, then runs the broker as PID 1 (SIGTERM = controlled shutdown).
# Logs go to stdout.
set -euo pipefail
props=/opt/kafka/config/server.properties
: >"$props"
while IFS='=' read -r name value; do
  case "$name" in
    KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS | KAFKA_GC_LOG_OPTS | KAFKA_JMX_OPTS | KAFKA_VERSION) continue ;;
    KAFKA_*) ;;
    *) continue ;;
  esac
  key="${name#KAFKA_}"; key="${key,,}"; key="${key//___/-}"; key="${key//__/@}"; key="${key//_/.}"; key="${key//@/_}"
  printf '%s=%s\n' "$key" "${!name}" >>"$props"
done < <(env)
if [[ ${KAFKA_VERSION:-} == 3.* ]]; then
  cat >/opt/kafka/config/log4j.properties <<'LOG'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
LOG
  logging=-Dlog4j.configuration=file:/opt/kafka/config/log4j.properties
else
  cat >/opt/kafka/config/log4j2.properties <<'LOG'
appender.stdout.type=Console
appender.stdout.name=stdout
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=stdout
LOG
  logging=-Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties
fi
jvm=(${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC} ${KAFKA_OPTS:-}
     "$logging" -cp '/opt/kafka/libs/*')
logdirs="$(sed -n 's/^log\.dirs=//p' "$props" | cut -d, -f1)"
if [[ ! -f "${logdirs:-/tmp/kafka-logs}/meta.properties" ]]; then
  [[ -n "${CLUSTER_ID:-}" ]] || { echo "error: CLUSTER_ID is required to format the storage" >&2; exit 1; }
  java "${jvm[@]}" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$props" --ignore-formatted
fi
exec java "${jvm[@]}" kafka.Kafka "$props"
