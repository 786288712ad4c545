#!/bin/sh
# Creates the network's topics with their settings (idempotent: existing
# topics are left as they are). Runs in the Apache Kafka image.
#
#   franoi.<partner_id>.<domain>.v1    one per partner and domain; events are kept
#                                      forever (retention.ms=-1) because the
#                                      projection is rebuilt by replaying them
#   DEAD_LETTER_TOPIC                  events the projection could not process
#
# Environment:
#   BOOTSTRAP            bootstrap servers, e.g. kafka:9092
#   PARTNERS             space-separated partner ids, e.g. "p01 p07"
#   DOMAINS              space-separated domains, e.g. "housing employment"
#   DEAD_LETTER_TOPIC    e.g. franoi.consortium.deadletter.v1
#   PARTITIONS           partitions of each topic (default 3)
#   REPLICATION_FACTOR   replicas of each partition (default 1: a single broker)
#   DEAD_LETTER_RETENTION_MS   retention of the dead-letter topic (default 90 days)
#   KAFKA_BIN            directory of the Kafka command-line tools (default /opt/kafka/bin)
set -eu

: "${BOOTSTRAP:?set BOOTSTRAP}"
: "${PARTNERS:?set PARTNERS}"
: "${DOMAINS:?set DOMAINS}"
: "${DEAD_LETTER_TOPIC:?set DEAD_LETTER_TOPIC}"
PARTITIONS="${PARTITIONS:-3}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
DEAD_LETTER_RETENTION_MS="${DEAD_LETTER_RETENTION_MS:-7776000000}"
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"

create_topic() {
  topic="$1"
  shift
  "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" --replication-factor "$REPLICATION_FACTOR" "$@"
  echo "create-topics: topic '$topic' ready"
}

for partner in $PARTNERS; do
  if ! printf '%s\n' "$partner" | grep -Eq '^p[0-9]{2,3}$'; then
    echo "create-topics: invalid partner id '$partner' (expected p01 ... p999)" >&2
    exit 2
  fi
  for domain in $DOMAINS; do
    if ! printf '%s\n' "$domain" | grep -Eq '^[a-z][a-z0-9_]*$'; then
      echo "create-topics: invalid domain '$domain'" >&2
      exit 2
    fi
    create_topic "franoi.$partner.$domain.v1" \
      --config cleanup.policy=delete --config retention.ms=-1
    if [ "$domain" != "cases" ]; then
      # The service's erasure consumer (it reads the partner's cases topic) dead-letters here.
      create_topic "franoi.$partner.$domain.deadletter.v1" \
        --config cleanup.policy=delete --config "retention.ms=$DEAD_LETTER_RETENTION_MS"
    fi
  done
done

create_topic "$DEAD_LETTER_TOPIC" \
  --config cleanup.policy=delete --config "retention.ms=$DEAD_LETTER_RETENTION_MS"
