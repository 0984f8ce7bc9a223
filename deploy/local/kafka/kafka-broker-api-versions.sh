#!/usr/bin/env bash
# The official image's health check command, on the same jars.
exec java -Xmx128m -XX:TieredStopAtLevel=1 -cp '/opt/kafka/libs/*' kafka.admin.BrokerApiVersionsCommand "$@"
