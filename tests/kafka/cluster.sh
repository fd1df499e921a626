#!/usr/bin/env bash
# A real 3-node Apache Kafka cluster (KRaft, each node broker and controller) on loopback, for
# the tests labelled `kafka`. No Docker and no release tarball: the broker's jars come from Maven
# Central through tests/kafka/pom.xml (cached in ~/.m2), and run on the machine's Java 17.
#
#   cluster.sh fetch            fetch the broker (exit 3, saying so, when Maven Central is out
#                               of reach)
#   cluster.sh start DIR        fetch, make a CA and a broker certificate, format and start three
#                               nodes on free loopback ports, wait until all three serve
#                               metadata; DIR/cluster.env then names the ports (see below)
#   cluster.sh stop DIR         stop every node (SIGTERM by pid, SIGKILL after 30 s)
#   cluster.sh kill DIR N       SIGKILL node N (1..3) at once
#   cluster.sh term DIR N       SIGTERM node N (controlled shutdown) and wait for it to exit
#   cluster.sh pause DIR N      SIGSTOP node N (alive, silent: a follower that falls behind)
#   cluster.sh resume DIR N     SIGCONT node N
#   cluster.sh restart DIR N    start node N again on its formatted log dirs, wait until it serves
#                               metadata and the cluster lists three brokers
#   cluster.sh status DIR       one line per node: N up|down PID
#
# Each node has a PLAINTEXT listener (also between brokers), a SASL_SSL one (the certificate
# signed by DIR/ca.pem; user `bridge` with SCRAM-SHA-512, and with PLAIN, whose password is the
# same) and a CONTROLLER one. PLAIN is there because Debian 12's librdkafka 2.0.2 cannot log in
# with SCRAM at all (see tests/kafka/README.md); Kafka's own Java client can. ACLs are enforced
# (StandardAuthorizer) where a test sets them: PLAINTEXT and CONTROLLER connections (brokers,
# controllers, the tests' own clients) are ANONYMOUS, a super user, and a SASL user may do what no
# ACL on the resource restricts (allow.everyone.if.no.acl.found). The cluster is shaped like production
# where it matters: default.replication.factor=3, min.insync.replicas=2, no auto-created topics.
# It is shaped for a small test machine elsewhere: 384 MB heaps, a 2 MB log-cleaner buffer
# instead of 128 MB, and a broker that stops heartbeating is fenced (and leaves the ISR) after
# 3 s instead of 9 s.
#
# DIR/cluster.env (shell syntax, also read by tests/kafka/realkafka.py):
#   PLAINTEXT=127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3   SASL_SSL=...   CONTROLLER=...
#   CA=DIR/ca.pem   SCRAM_USER=bridge   SCRAM_PASSWORD_FILE=DIR/scram.password
# The SCRAM password is random per cluster and lives only in that file (mode 600).
#
# Environment: KAFKA_HEAP (default 384m), KAFKA_START_TIMEOUT (seconds, default 90),
# KAFKA_PROPS (lines added to every node's server.properties at start, e.g. retention for the
# benchmark).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
heap=${KAFKA_HEAP:-384m}
start_timeout=${KAFKA_START_TIMEOUT:-90}
nodes=(1 2 3)

die() {
    echo "cluster.sh: $*" >&2
    exit 1
}

# Prints the broker's classpath; fetches the jars on first use.
classpath() {
    local out=$1 log
    log=$(mktemp)
    # the plugin pinned: by prefix alone Maven takes whatever version its metadata names
    if ! mvn -B -q -f "$here/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
        -Dmdep.outputFile="$out" >"$log" 2>&1; then
        echo "cluster.sh: cannot fetch Apache Kafka's broker from Maven Central with mvn" >&2
        echo "cluster.sh: (the tests labelled kafka need it; BRIDGE_SKIP_REAL_KAFKA=1 skips them)" >&2
        tail -n 15 "$log" >&2
        rm -f "$log"
        exit 3
    fi
    rm -f "$log"
}

# free_ports N: N loopback ports free now, below the kernel's ephemeral range, so that no
# outgoing connection (the tests' own load, say) takes one before its broker binds it
free_ports() {
    /usr/bin/python3 - "$1" <<'EOF'
import random, socket, sys
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
socks = []
while len(socks) < int(sys.argv[1]):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randrange(max(1024, low - 20000), low)))
        socks.append(s)
    except OSError:
        s.close()
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

random_hex() {
    openssl rand -hex "$1"
}

make_certs() {
    local dir=$1 storepass=$2
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=webhook-bridge test CA" \
        -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$dir/broker.key" -out "$dir/broker.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$dir/broker.ext"
    openssl x509 -req -in "$dir/broker.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
        -days 30 -extfile "$dir/broker.ext" -out "$dir/broker.pem" 2>/dev/null
    openssl pkcs12 -export -in "$dir/broker.pem" -inkey "$dir/broker.key" -certfile "$dir/ca.pem" \
        -name broker -passout "pass:$storepass" -out "$dir/broker.p12"
    chmod 600 "$dir/ca.key" "$dir/broker.key" "$dir/broker.p12"
}

write_log4j() {
    cat >"$1/log4j2.properties" <<'EOF'
# The broker's log goes to NODE_DIR/server.log (the system property node.dir).
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${sys:node.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.clients.name = org.apache.kafka.clients
logger.clients.level = warn
EOF
}

# write_props DIR N: DIR/nodeN/server.properties from the ports in DIR/cluster.env
write_props() {
    local dir=$1 n=$2 i voters="" p s c
    # shellcheck source=/dev/null
    . "$dir/cluster.env"
    : "${STOREPASS:?}" "${CONTROLLER:?}"
    PASSWORD=$(cat "$dir/scram.password")
    for i in "${nodes[@]}"; do
        c=$(echo "$CONTROLLER" | cut -d, -f"$i")
        voters+="${voters:+,}$i@$c"
    done
    p=$(echo "$PLAINTEXT" | cut -d, -f"$n")
    s=$(echo "$SASL_SSL" | cut -d, -f"$n")
    c=$(echo "$CONTROLLER" | cut -d, -f"$n")
    mkdir -p "$dir/node$n/data"
    umask 077
    cat >"$dir/node$n/server.properties" <<EOF
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$p,SASL_SSL://$s,CONTROLLER://$c
advertised.listeners=PLAINTEXT://$p,SASL_SSL://$s
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_bridge="$PASSWORD";
ssl.keystore.type=PKCS12
ssl.keystore.location=$dir/broker.p12
ssl.keystore.password=$STOREPASS
ssl.key.password=$STOREPASS
log.dirs=$dir/node$n/data
num.partitions=3
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
auto.create.topics.enable=false
unclean.leader.election.enable=false
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
allow.everyone.if.no.acl.found=true
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=2097152
log.cleaner.threads=1
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=3000
replica.lag.time.max.ms=10000
num.network.threads=2
num.io.threads=2
num.replica.fetchers=1
background.threads=2
log.segment.bytes=67108864
EOF
    [ -z "${KAFKA_PROPS:-}" ] || printf '%s\n' "$KAFKA_PROPS" >>"$dir/node$n/server.properties"
}

pid_of() {
    local f=$1/node$2/pid pid
    [ -f "$f" ] || return 1
    pid=$(cat "$f")
    # the pid is ours only while it is a java with this node's directory on its command line
    { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "-Dnode.dir=$1/node$2 " || return 1
    echo "$pid"
}

launch() {
    local dir=$1 n=$2
    pid_of "$dir" "$n" >/dev/null && die "node $n already runs"
    # shellcheck disable=SC2046
    setsid java -Xmx"$heap" -Xms128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k \
        -Djava.awt.headless=true -Dnode.dir="$dir/node$n" \
        -Dlog4j2.configurationFile="$dir/log4j2.properties" \
        -cp "$(cat "$dir/classpath")" kafka.Kafka "$dir/node$n/server.properties" \
        </dev/null >>"$dir/node$n/stdout.log" 2>&1 &
    echo $! >"$dir/node$n/pid"
    # until the background shell has exec'd java, its command line is this script's
    local i
    for ((i = 0; i < 100; i++)); do
        pid_of "$dir" "$n" >/dev/null && return 0
        sleep 0.05
    done
}

# Metadata as node N serves it lists this many brokers (0 when it does not answer).
brokers_seen() {
    local dir=$1 n=$2 addr
    # shellcheck source=/dev/null
    . "$dir/cluster.env"
    addr=$(echo "$PLAINTEXT" | cut -d, -f"$n")
    timeout 10 kcat -L -b "$addr" -m 3 -t __none 2>/dev/null |
        sed -n 's/^ *\([0-9]*\) brokers:$/\1/p' | head -n1 || true
}

running() {
    local dir=$1 n count=0
    for n in "${nodes[@]}"; do
        pid_of "$dir" "$n" >/dev/null && count=$((count + 1))
    done
    echo "$count"
}

# wait_serving DIR N...: until each node answers metadata listing every running node
wait_serving() {
    local dir=$1 n seen want deadline=$((SECONDS + start_timeout))
    shift
    for n in "$@"; do
        while :; do
            pid_of "$dir" "$n" >/dev/null ||
                { tail -n 30 "$dir/node$n/server.log" "$dir/node$n/stdout.log" >&2 2>/dev/null; die "node $n exited"; }
            seen=$(brokers_seen "$dir" "$n")
            want=$(running "$dir")
            [ "${seen:-0}" -ge "$want" ] && break
            [ $SECONDS -lt $deadline ] || die "node $n does not serve metadata of $want brokers after ${start_timeout}s (saw ${seen:-none}); see $dir/node$n/server.log"
            sleep 0.5
        done
    done
}

# start DIR: a port taken between choosing it and the broker binding it fails a node's start;
# then everything is stopped and the cluster is made again on other ports (3 tries)
cmd_start() {
    local dir=$1 try n
    for n in "${nodes[@]}"; do
        pid_of "$dir" "$n" >/dev/null && die "a cluster already runs in $dir (cluster.sh stop $dir)"
    done
    for try in 1 2 3; do
        if (start_once "$dir"); then
            return 0
        fi
        stop_all "$dir"
        grep -qs "Address already in use" "$dir"/node*/server.log || die "start failed (see above)"
        echo "cluster.sh: a port was taken meanwhile; starting again on other ports (try $try)" >&2
    done
    die "could not start the cluster on free ports"
}

stop_all() {
    local n
    for n in "${nodes[@]}"; do stop_node "$1" "$n" TERM & done
    wait
}

start_once() {
    local dir=$1 ports storepass password cid n
    rm -rf "${dir:?}"/*
    classpath "$dir/classpath"
    read -r -a ports <<<"$(free_ports 9)"
    storepass=$(random_hex 12)
    password=$(random_hex 16)
    (umask 077 && printf '%s' "$password" >"$dir/scram.password")
    make_certs "$dir" "$storepass"
    write_log4j "$dir"
    (
        umask 077
        cat >"$dir/cluster.env" <<EOF
PLAINTEXT=127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}
SASL_SSL=127.0.0.1:${ports[3]},127.0.0.1:${ports[4]},127.0.0.1:${ports[5]}
CONTROLLER=127.0.0.1:${ports[6]},127.0.0.1:${ports[7]},127.0.0.1:${ports[8]}
CA=$dir/ca.pem
SCRAM_USER=bridge
SCRAM_PASSWORD_FILE=$dir/scram.password
STOREPASS=$storepass
EOF
    )
    cid=$(java -cp "$(cat "$dir/classpath")" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    for n in "${nodes[@]}"; do
        write_props "$dir" "$n"
        # the SCRAM credential goes into the metadata log at format time (KRaft has no
        # ZooKeeper to add it to later); the password is read from its file, never echoed
        java -Dnode.dir="$dir/node$n" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
            -cp "$(cat "$dir/classpath")" kafka.tools.StorageTool format -t "$cid" \
            -c "$dir/node$n/server.properties" \
            --add-scram "SCRAM-SHA-512=[name=bridge,password=$password]" \
            >"$dir/node$n/format.log" 2>&1 || { cat "$dir/node$n/format.log" >&2; die "format of node $n failed"; }
    done
    for n in "${nodes[@]}"; do
        launch "$dir" "$n"
    done
    wait_serving "$dir" "${nodes[@]}"
    echo "kafka cluster up in $dir: $(grep '^PLAINTEXT=' "$dir/cluster.env")"
}

stop_node() {
    local dir=$1 n=$2 sig=$3 pid i
    pid=$(pid_of "$dir" "$n") || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        [ -d "/proc/$pid" ] || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    while [ -d "/proc/$pid" ]; do sleep 0.1; done
}

node_arg() {
    case "${1:-}" in
    1 | 2 | 3) ;;
    *) die "node must be 1, 2 or 3" ;;
    esac
}

# DIR as an absolute path: a node's pid is recognised by it on the java command line
if [ $# -ge 2 ]; then
    mkdir -p "$2"
    set -- "$1" "$(cd "$2" && pwd)" "${@:3}"
fi

case "${1:-}" in
fetch)
    tmp=$(mktemp)
    classpath "$tmp"
    rm -f "$tmp"
    ;;
start)
    [ $# -eq 2 ] || die "usage: cluster.sh start DIR"
    cmd_start "$2"
    ;;
stop)
    [ $# -eq 2 ] || die "usage: cluster.sh stop DIR"
    stop_all "$2"
    ;;
kill | term)
    [ $# -eq 3 ] || die "usage: cluster.sh $1 DIR N"
    node_arg "$3"
    if [ "$1" = kill ]; then
        pid=$(pid_of "$2" "$3") || die "node $3 is not running"
        kill -KILL "$pid"
        while [ -d "/proc/$pid" ]; do sleep 0.05; done
    else
        pid_of "$2" "$3" >/dev/null || die "node $3 is not running"
        stop_node "$2" "$3" TERM
    fi
    ;;
pause | resume)
    [ $# -eq 3 ] || die "usage: cluster.sh $1 DIR N"
    node_arg "$3"
    pid=$(pid_of "$2" "$3") || die "node $3 is not running"
    if [ "$1" = pause ]; then kill -STOP "$pid"; else kill -CONT "$pid"; fi
    ;;
restart)
    [ $# -eq 3 ] || die "usage: cluster.sh restart DIR N"
    node_arg "$3"
    launch "$2" "$3"
    wait_serving "$2" "$3"
    ;;
status)
    [ $# -eq 2 ] || die "usage: cluster.sh status DIR"
    for n in "${nodes[@]}"; do
        if pid=$(pid_of "$2" "$n"); then echo "$n up $pid"; else echo "$n down -"; fi
    done
    ;;
*)
    sed -n '2,30p' "$0" >&2
    exit 2
    ;;
esac
