#!/usr/bin/env bash
# Sourced by images.sh and local.sh (from the repo root): the Kafka release of the local image,
# FLEETSTREAM_KAFKA_VERSION as the devstack reads it (3.9.x or 4.x; default: the devstack's,
# tools/devstack/src/versions.ts), and KAFKA_IMAGE, the tag images.sh builds and compose runs.
# The environment outranks the --env-file, so this tag wins over images.env's default.
KAFKA_VERSION="$(node --input-type=module -e "
  import { kafkaVersion } from './tools/devstack/src/versions.ts';
  try { console.log(kafkaVersion()); } catch (err) { console.error('[compose] error: ' + err.message); process.exit(2); }")" || exit 2
export KAFKA_VERSION
export KAFKA_IMAGE="fleetstream-local/kafka:$KAFKA_VERSION"
