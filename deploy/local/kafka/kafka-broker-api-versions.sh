#!/usr/bin/env bash
# The official image's health check command, on the same jars: Kafka 3.9 has the command in
# kafka_2.13, Kafka 4 in kafka-tools (images.sh adds that jar).
class=org.apache.kafka.tools.BrokerApiVersionsCommand
[[ ${KAFKA_VERSION:-} != 3.* ]] || class=kafka.admin.BrokerApiVersionsCommand
exec java -Xmx128m -XX:TieredStopAtLevel=1 -cp '/opt/kafka/libs/*' "$class" "$@"
