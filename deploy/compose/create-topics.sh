#!/bin/sh
# Creates the topics a webhook-bridge config writes to on a Kafka cluster, as the bridge lists
# them: `webhook-bridge --list-topics --config FILE` prints one JSON object a line,
#   {"topic":"NAME","partitions":N,"replication":N,"dead_letter":BOOL}
# (routes and dead-letter topics, with the config's kafka.topic_partitions and
# kafka.topic_replication). The kafka-init service of docker/compose.yaml runs it in the
# apache/kafka image (POSIX sh and sed) on the list its topic-list service wrote.
#
#   create-topics.sh LIST             print "TOPIC PARTITIONS REPLICATION", one topic a line
#                                     (tests/deploy/check.sh compares it with the list)
#   create-topics.sh LIST BOOTSTRAP   create the missing ones
set -eu

list=$1
# The bridge writes the keys in this order (JSON_PRESERVE_ORDER) and topic names have no quote
# or backslash (a-z A-Z 0-9 . _ -): a line is read with one sed expression, no JSON parser.
plan=$(sed -n 's/^{"topic":"\([^"]*\)","partitions":\([0-9]*\),"replication":\([0-9]*\).*/\1 \2 \3/p' "$list")
if [ -z "$plan" ] || [ "$(printf '%s\n' "$plan" | wc -l)" -ne "$(grep -c . "$list")" ]; then
    echo "create-topics.sh: $list is not the output of webhook-bridge --list-topics" >&2
    exit 1
fi

if [ $# -lt 2 ]; then
    printf '%s\n' "$plan"
    exit 0
fi
bootstrap=$2
printf '%s\n' "$plan" | while read -r topic partitions replication; do
    /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$bootstrap" --create --if-not-exists \
        --topic "$topic" --partitions "$partitions" --replication-factor "$replication"
done
echo "topics ready: $(printf '%s\n' "$plan" | wc -l)"
