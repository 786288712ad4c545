#!/bin/sh
# Creates the network's topics with their settings (idempotent: existing
# topics are left as they are). Runs in the Apache Kafka image.
#
#   franoi.<partner_id>.<domain>.v1    one per partner and domain; events are kept
#                                      TOPIC_RETENTION_MS (13 months, docs/privacy.md)
#   franoi.<partner_id>.<domain>.deadletter.v1   the erasure workers' dead letters
#   DEAD_LETTER_TOPIC                  events the projection could not process
#
# An existing topic keeps its partitions but gets the retention set again (kafka-configs),
# so a topic created before the retention was bounded is bounded too.
#
# Environment:
#   BOOTSTRAP            bootstrap servers, e.g. kafka:9092
#   PARTNERS             space-separated partner ids, e.g. "p01 p07"
#   DOMAINS              space-separated domains, e.g. "housing employment"
#   DEAD_LETTER_TOPIC    e.g. franoi.consortium.deadletter.v1
#   PARTITIONS           partitions of each topic (default 3)
#   REPLICATION_FACTOR   replicas of each partition (default 1: a single broker)
#   TOPIC_RETENTION_MS         retention of the domain topics (default 13 months:
#                              34214400000, franoi_common.retention)
#   DEAD_LETTER_RETENTION_MS   retention of the dead-letter topics (default 30 days)
#   KAFKA_BIN            directory of the Kafka command-line tools (default /opt/kafka/bin)
set -eu

: "${BOOTSTRAP:?set BOOTSTRAP}"
: "${PARTNERS:?set PARTNERS}"
: "${DOMAINS:?set DOMAINS}"
: "${DEAD_LETTER_TOPIC:?set DEAD_LETTER_TOPIC}"
PARTITIONS="${PARTITIONS:-3}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
TOPIC_RETENTION_MS="${TOPIC_RETENTION_MS:-34214400000}"
DEAD_LETTER_RETENTION_MS="${DEAD_LETTER_RETENTION_MS:-2592000000}"
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"

# create_topic <topic> <retention.ms>
create_topic() {
  topic="$1"
  retention="$2"
  "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" --replication-factor "$REPLICATION_FACTOR" \
    --config cleanup.policy=delete --config "retention.ms=$retention"
  "$KAFKA_BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --alter \
    --entity-type topics --entity-name "$topic" \
    --add-config "cleanup.policy=delete,retention.ms=$retention"
  echo "create-topics: topic '$topic' ready (retention.ms=$retention)"
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
    create_topic "franoi.$partner.$domain.v1" "$TOPIC_RETENTION_MS"
    if [ "$domain" != "cases" ]; then
      # The service's erasure consumer (it reads the partner's cases topic) dead-letters here.
      create_topic "franoi.$partner.$domain.deadletter.v1" "$DEAD_LETTER_RETENTION_MS"
    fi
  done
done

create_topic "$DEAD_LETTER_TOPIC" "$DEAD_LETTER_RETENTION_MS"
