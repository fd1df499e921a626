#!/bin/sh
# Creates every topic a webhook-bridge config routes to (and its dead-letter topics) on a Kafka
# cluster, with the config's kafka.topic_partitions and kafka.topic_replication. The kafka-init
# service of docker/compose.yaml runs it in the apache/kafka image (POSIX sh, busybox awk).
#
#   create-topics.sh CONFIG               print the topics, one a line (CI compares this list
#                                         with `webhook-bridge --check-config`)
#   create-topics.sh CONFIG BOOTSTRAP     create the missing ones
set -eu

config=$1
# Reads the YAML as plain lines: every `dead_letter_topic:` value, and the values of the lines
# nested under each `routes:` key (a topic or a [flow, list] of topics). Comments are dropped.
topics=$(awk '
    function emit(v,    n, a, i) {
        sub(/[ \t]+#.*$/, "", v)
        gsub(/[][" \t]/, "", v)
        gsub(sprintf("%c", 39), "", v)
        n = split(v, a, ",")
        for (i = 1; i <= n; i++)
            if (a[i] != "")
                print a[i]
    }
    function indent(s) { match(s, /^ */); return RLENGTH }
    /^[ \t]*(#|$)/ { next }
    inroutes && indent($0) <= routes_indent { inroutes = 0 }
    inroutes {
        v = $0
        sub(/^[ \t]*("[^"]*"|[^:]+):[ \t]*/, "", v)
        emit(v)
        next
    }
    /^[ \t]*routes:[ \t]*$/ { inroutes = 1; routes_indent = indent($0); next }
    /^[ \t]*dead_letter_topic:/ { v = $0; sub(/^[^:]*:[ \t]*/, "", v); emit(v) }
' "$config" | sort -u)

if [ $# -lt 2 ]; then
    printf '%s\n' "$topics"
    exit 0
fi
bootstrap=$2
setting() { awk -v k="$1" '$1 == k ":" { print $2; exit }' "$config"; }
partitions=$(setting topic_partitions)
replication=$(setting topic_replication)
for topic in $topics; do
    /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$bootstrap" --create --if-not-exists \
        --topic "$topic" --partitions "${partitions:-3}" --replication-factor "${replication:-1}"
done
echo "topics ready: $(printf '%s\n' "$topics" | wc -l)"
