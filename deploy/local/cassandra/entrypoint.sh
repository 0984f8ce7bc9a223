#!/usr/bin/env bash
# Starts Cassandra in the foreground (PID 1) on the container's address, from the devstack's
# cassandra.yaml and JVM flags (conf/), with the official image's variables:
# CASSANDRA_CLUSTER_NAME, CASSANDRA_DC, CASSANDRA_RACK, CASSANDRA_ENDPOINT_SNITCH, MAX_HEAP_SIZE,
# HEAP_NEWSIZE. Logs go to stdout.
set -euo pipefail
conf=/opt/cassandra/conf
ip="$(hostname -i | awk '{print $1}')"
sed -e "s/^cluster_name: .*/cluster_name: ${CASSANDRA_CLUSTER_NAME:-Test Cluster}/" \
    -e "s/^endpoint_snitch: .*/endpoint_snitch: ${CASSANDRA_ENDPOINT_SNITCH:-SimpleSnitch}/" \
    -e "s/^listen_address: .*/listen_address: $ip/" \
    -e "s/^rpc_address: .*/rpc_address: 0.0.0.0\nbroadcast_rpc_address: $ip/" \
    -e "s/- seeds: .*/- seeds: \"$ip:7000\"/" \
    "$conf/cassandra.template.yaml" >"$conf/cassandra.yaml"
printf 'dc=%s\nrack=%s\nprefer_local=true\n' "${CASSANDRA_DC:-datacenter1}" "${CASSANDRA_RACK:-rack1}" >"$conf/cassandra-rackdc.properties"
mapfile -t flags <"$conf/jvm.args"
exec java -Xms"${MAX_HEAP_SIZE:-1G}" -Xmx"${MAX_HEAP_SIZE:-1G}" -Xmn"${HEAP_NEWSIZE:-256M}" "${flags[@]}" \
  -Dcassandra.config="file://$conf/cassandra.yaml" -Dlogback.configurationFile="$conf/logback.xml" \
  -cp "$conf:/opt/cassandra/lib/*" org.apache.cassandra.service.CassandraDaemon
