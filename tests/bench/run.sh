#!/usr/bin/env bash
# Issue 6's benchmark (a script, not a test): the bridge against plain h2o (the ceiling) and the
# Node.js + kafkajs peer, all on this machine, against one 3-broker librdkafka mock cluster.
#
#   tests/bench/run.sh            build what is missing, run everything (both shapes, about 25 minutes),
#                                 print the table; raw outputs go to tests/bench/results/DATE/
#
# For each repetition, each server in turn is started, driven by wrk at each concurrency (a
# warm-up, then the measured run), and stopped: runs are interleaved (A,B,C,..., A,B,C,...) and
# the table shows medians. Per run: requests/s, p50/p99 (wrk --latency), non-2xx and socket
# errors, the server's CPU (utime+stime of its process tree over the run), peak RSS (VmHWM),
# and, for servers that write to Kafka, the 2xx answered against the records that appeared in
# the routed topic (sum of its partitions' end offsets, before and after: the mock cluster
# keeps only the newest ~5 MiB per partition, so records are never read back). Then the bridge's
# RSS with 1,000 and 10,000 idle keep-alive connections.
#
# Environment (all optional):
#   BRIDGE_BIN      a webhook-bridge binary to use as is (default: build one, see BUILD_DIR)
#   BUILD_DIR       build directory for docker/build.sh (default build-bench)
#   SERVERS         subset/order of: bridge-durable bridge-enqueue ceiling ceiling-1loop
#                   node-peer node-peer-batch node-peer-batch-w2
#   CONNS           concurrencies (default "64 256")     REPS      repetitions (default 3)
#   DURATION        seconds per measured run (default 10) WARMUP   seconds of warm-up (default 2)
#   WRK_THREADS     wrk threads (default 2, see README)
#   BRIDGE_THREADS  the bridge's `threads` (default 0: one loop per CPU)
#   PRODUCERS       the bridge's kafka.producers (default: the bridge's own, 1; 0 = from the
#                   metadata)
#   LIBRDKAFKA      k=v,k=v put under the bridge's kafka.librdkafka (default: none, the bridge's
#                   own defaults)
#   SHAPES          the shapes to run, each a whole run with its own ceiling and peers (default
#                   "loopback production"; also one-leader):
#                     loopback    3 partitions, one record key, brokers on loopback (issue 6's)
#                     production  12 partitions led by the 3 brokers in turn, 1,000 keys, 1 ms
#                                 of broker round trip (issue 12's)
#                     one-leader  production, with one broker leading every partition
#                   Setting any of PARTITIONS, KEYS, MOCK_RTT_MS, LEADERS runs that one shape
#                   (the others at the loopback values).
#   PARTITIONS      partitions per topic (default 3)
#   LEADERS         spread (default: partition p led by broker p mod 3 + 1, as a balanced cluster
#                   has it) or one (broker 1 leads every partition)
#   KEYS            distinct record keys (account ids) the load cycles through (default 0: the
#                   fixture's one key, so one partition takes every record)
#   MOCK_RTT_MS     round-trip latency the mock brokers add (default 0: loopback)
#   KAFKA           mock (default) or real: a real 3-node Apache Kafka cluster instead of the mock
#                   (tests/kafka/cluster.sh: Java, Maven, the broker's jars from Maven Central;
#                   topics of PARTITIONS partitions, replication 3, min.insync.replicas 2, leaders
#                   spread by Kafka; LEADERS and MOCK_RTT_MS do not apply). The records column
#                   is then every record the run wrote, replicated; "mock Kafka CPU" is the three
#                   brokers'.
#   IDLE_COUNTS     idle keep-alive connection counts (default "1000 10000"; "" skips)
#   PEER_DIR        the Node.js peer (default ../shared/bench/node-peer next to the repository)
#   PROFILE_CMD     if set, run against bridge-durable only: started once, PROFILE_CMD is run
#                   with the bridge's pid appended while wrk drives it (e.g. "perf record -g -p")
set -euo pipefail

cd "$(dirname "$0")/../.."
root=$PWD
bench=$root/tests/bench

if [ -z "${SHAPE:-}" ]; then
    if [ -n "${PARTITIONS:-}${KEYS:-}${MOCK_RTT_MS:-}${LEADERS:-}" ]; then
        SHAPE=custom
    else
        for shape in ${SHAPES:-loopback production}; do
            SHAPE=$shape "$0" "$@"
        done
        exit 0
    fi
fi
case $SHAPE in
loopback | custom) ;;
production) PARTITIONS=12 KEYS=1000 MOCK_RTT_MS=1 LEADERS=spread ;;
one-leader) PARTITIONS=12 KEYS=1000 MOCK_RTT_MS=1 LEADERS=one ;;
*) echo "unknown shape $SHAPE (loopback, production, one-leader)" >&2; exit 2 ;;
esac

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
REPS=${REPS:-3}
CONNS=${CONNS:-"64 256"}
WRK_THREADS=${WRK_THREADS:-2}
BRIDGE_THREADS=${BRIDGE_THREADS:-0}
LIBRDKAFKA=${LIBRDKAFKA:-}
PRODUCERS=${PRODUCERS:-}
IDLE_COUNTS=${IDLE_COUNTS-"1000 10000"}
SERVERS=${SERVERS:-"bridge-durable bridge-enqueue ceiling ceiling-1loop node-peer node-peer-batch node-peer-batch-w2"}
PEER_DIR=${PEER_DIR:-$root/../shared/bench/node-peer}
BUILD_DIR=${BUILD_DIR:-build-bench}

SECRET='bench-secret-5d1c'
BODY=$root/tests/fixtures/mono/mono.events.account_updated.json
WEBHOOK_PATH=/webhooks/mono
RECORD_TOPIC=membership.account-updated # where account_updated goes, for the bridge and the peer
BROKERS=3 # the mock cluster's size, as in issue 6
PARTITIONS=${PARTITIONS:-3}
LEADERS=${LEADERS:-spread}
MOCK_RTT_MS=${MOCK_RTT_MS:-0}
KAFKA=${KAFKA:-mock}
case $KAFKA in mock | real) ;; *) echo "KAFKA must be mock or real" >&2; exit 2 ;; esac
KEYS=${KEYS:-0}
ncpu=$(nproc)
hz=$(getconf CLK_TCK)
started_at=$(date +%s)

log() { printf '==> %s\n' "$*" >&2; }

# ---- packages and builds ----------------------------------------------------------------------

# shellcheck source=docker/install-missing.sh
. "$root/docker/install-missing.sh"

have_peer=0
if [ -f "$PEER_DIR/server.js" ]; then
    have_peer=1
else
    log "no Node.js peer at $PEER_DIR (it lives outside the repository): the node-peer rows are skipped"
fi

pkgs=(build-essential pkg-config libh2o-evloop-dev librdkafka-dev libssl-dev zlib1g-dev wrk kcat python3 curl)
if [ "$KAFKA" = real ]; then
    pkgs+=(python3-kafka)
    command -v javac >/dev/null || pkgs+=(default-jdk-headless)
    command -v mvn >/dev/null || pkgs+=(maven)
fi
install_missing "${pkgs[@]}"
# Node.js may come from elsewhere than Debian (nodesource's nodejs bundles npm): only ask apt
# when the commands are missing.
if [ "$have_peer" = 1 ] && ! { command -v node && command -v npm; } >/dev/null; then
    install_missing nodejs npm
fi

stamp=$(date +%Y%m%d-%H%M%S)
out=$bench/results/$stamp
mkdir -p "$out"
work=$(mktemp -d /tmp/bridge-bench.XXXXXX)

if [ -z "${BRIDGE_BIN:-}" ]; then
    log "building the bridge (BUILD_DIR=$BUILD_DIR docker/build.sh)"
    if ! BUILD_DIR=$BUILD_DIR docker/build.sh >"$out/build.log" 2>&1; then
        log "docker/build.sh failed (see $out/build.log); retrying without -Werror"
        cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
            -DBRIDGE_WERROR=OFF >>"$out/build.log" 2>&1
        cmake --build "$BUILD_DIR" -j "$ncpu" >>"$out/build.log" 2>&1
    fi
    BRIDGE_BIN=$root/$BUILD_DIR/webhook-bridge
fi
[ -x "$BRIDGE_BIN" ] || { echo "no bridge binary at $BRIDGE_BIN" >&2; exit 1; }
log "building bench_ceiling and mock_kafka into $work"
gcc -std=c11 -D_GNU_SOURCE -O2 -DH2O_USE_LIBUV=0 "$bench/ceiling.c" -o "$work/bench_ceiling" \
    -lh2o-evloop -lssl -lcrypto -lz -lpthread
gcc -std=c11 -O2 "$root/tests/integration/mock_kafka.c" -o "$work/mock_kafka" -lrdkafka

if [ "$have_peer" = 1 ]; then
    log "installing the Node.js peer's dependencies (npm ci in a copy)"
    cp -r "$PEER_DIR" "$work/node-peer"
    rm -rf "$work/node-peer/node_modules"
    if ! (cd "$work/node-peer" && npm ci --no-audit --no-fund --loglevel=error >"$out/npm.log" 2>&1); then
        log "npm ci failed (see $out/npm.log): the node-peer rows are skipped"
        have_peer=0
    fi
fi

# ---- processes --------------------------------------------------------------------------------

pids=()
mock_pid=
real_kafka_dir=
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    [ -n "$real_kafka_dir" ] && "$root/tests/kafka/cluster.sh" stop "$real_kafka_dir"
    if [ -n "$mock_pid" ]; then
        echo quit >&7 2>/dev/null || true
        sleep 0.2
        kill "$mock_pid" 2>/dev/null || true
    fi
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Raise the open-file limit for the idle-connection measurement (the client and the server).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

kafka_pids=() # the Kafka side's processes, for its CPU column
if [ "$KAFKA" = real ]; then
    real_kafka_dir=$work/kafka
    # the runs write several GB: brokers keep only the newest 64 MB per partition
    KAFKA_PROPS=$'log.retention.bytes=67108864\nlog.segment.bytes=16777216\nlog.retention.check.interval.ms=5000' \
        "$root/tests/kafka/cluster.sh" start "$real_kafka_dir" >&2
    bootstrap=$(sed -n 's/^PLAINTEXT=//p' "$real_kafka_dir/cluster.env")
    for n in 1 2 3; do kafka_pids+=("$(cat "$real_kafka_dir/node$n/pid")"); done
else
    # The mock cluster reads commands from a FIFO this script holds open on fd 7.
    mkfifo "$work/mock.in"
    "$work/mock_kafka" "$BROKERS" <"$work/mock.in" >"$work/mock.out" 2>&1 &
    mock_pid=$!
    exec 7>"$work/mock.in"
    for _ in $(seq 100); do
        grep -q '^bootstrap ' "$work/mock.out" 2>/dev/null && break
        sleep 0.1
    done
    bootstrap=$(awk '/^bootstrap /{print $2; exit}' "$work/mock.out")
    [ -n "$bootstrap" ] || { echo "mock_kafka did not start" >&2; exit 1; }

    kafka_pids=("$mock_pid")
fi

# Routed topics, as the bridge itself lists them from the configuration.
python3 "$bench/make_config.py" config/bridge.yaml "$work/check.yaml" --port 1 --admin-port 2 \
    --brokers "$bootstrap"
mapfile -t topics < <(MONO_WEBHOOK_SECRET=$SECRET "$BRIDGE_BIN" --check-config --config "$work/check.yaml" |
    sed -n 's/.*-> //p; s/^dead_letter_topic: //p' | tr ',' '\n' | sed 's/ //g' | grep -v '^none$' | sort -u)
if [ "$KAFKA" = real ]; then
    /usr/bin/python3 - "$bootstrap" "$PARTITIONS" "${topics[@]}" <<'EOF'
import sys
from kafka.admin import KafkaAdminClient, NewTopic
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], api_version=(2, 5, 0))
admin.create_topics([NewTopic(t, int(sys.argv[2]), 3) for t in sys.argv[3:]], timeout_ms=30000)
admin.close()
EOF
    log "real Kafka cluster $bootstrap (pids ${kafka_pids[*]}), ${#topics[@]} topics of $PARTITIONS partitions, replication 3"
else
    mock_commands=0
    mock() { echo "$*" >&7; mock_commands=$((mock_commands + 1)); }
    for t in "${topics[@]}"; do
        mock topic "$t" "$PARTITIONS"
        for ((p = 0; p < PARTITIONS; ++p)); do
            if [ "$LEADERS" = spread ]; then mock leader "$t" "$p" $((p % BROKERS + 1)); else mock leader "$t" "$p" 1; fi
        done
    done
    if [ "$MOCK_RTT_MS" != 0 ]; then
        for ((b = 1; b <= BROKERS; ++b)); do mock rtt "$b" "$MOCK_RTT_MS"; done
    fi
    # every command answered before anything connects: a topic the bridge asks about first is
    # made by the mock with its default 4 partitions (the mock takes from a few ms to 10+ s for
    # the few hundred commands of the production shape)
    for _ in $(seq 1200); do
        [ "$(grep -c '^ok\|^error' "$work/mock.out")" -ge "$mock_commands" ] && break
        sleep 0.1
    done
    if grep -q '^error' "$work/mock.out"; then
        echo "mock_kafka refused a command: $(grep -m1 '^error' "$work/mock.out")" >&2
        exit 1
    fi
    if [ "$(grep -c '^ok' "$work/mock.out")" -lt "$mock_commands" ]; then
        echo "mock_kafka answered $(grep -c '^ok' "$work/mock.out") of $mock_commands commands in 120 s" >&2
        exit 1
    fi
    log "mock cluster $bootstrap (pid $mock_pid), ${#topics[@]} topics of $PARTITIONS partitions, leaders $LEADERS, rtt $MOCK_RTT_MS ms"
fi

partitions_of() {
    kcat -L -b "$bootstrap" -t "$1" 2>/dev/null | sed -n 's/.* with \([0-9]*\) partitions:$/\1/p' | head -n 1
}
# the shape is what the figures are about: a topic of another partition count is a failed run
n=$(partitions_of "$RECORD_TOPIC")
if [ "${n:-0}" != "$PARTITIONS" ]; then
    echo "$RECORD_TOPIC has ${n:-no} partitions, not $PARTITIONS" >&2
    exit 1
fi

records() {
    local args=() p
    for ((p = 0; p < PARTITIONS; ++p)); do args+=(-t "$RECORD_TOPIC:$p:-1"); done
    kcat -Q -b "$bootstrap" "${args[@]}" 2>/dev/null | awk '{s += $NF} END {print s + 0}'
}

# Waits until the end offsets stop moving (in-flight records of the run land), then prints them.
records_settled() {
    local a b i
    a=$(records)
    for i in $(seq 20); do
        sleep 0.3
        b=$(records)
        [ "$a" = "$b" ] && [ "$i" -ge 2 ] && break
        a=$b
    done
    echo "$a"
}

tree_pids() {
    local p=$1 c
    echo "$p"
    for c in $(pgrep -P "$p" 2>/dev/null); do tree_pids "$c"; done
}

# utime+stime (clock ticks) of a process tree
tree_cpu() {
    local p s=0 t
    for p in $(tree_pids "$1"); do
        t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
        s=$((s + ${t:-0}))
    done
    echo "$s"
}

kafka_cpu() {
    local p s=0
    for p in "${kafka_pids[@]}"; do s=$((s + $(tree_cpu "$p"))); done
    echo "$s"
}

# sum of VmHWM (kB) over a process tree
tree_hwm() {
    local p s=0 t
    for p in $(tree_pids "$1"); do
        t=$(awk '/^VmHWM:/{print $2}' "/proc/$p/status" 2>/dev/null) || t=0
        s=$((s + ${t:-0}))
    done
    echo "$s"
}

# "comm ticks" for each thread of a process (its name from /proc, utime+stime)
thread_ticks() {
    local t
    for t in /proc/"$1"/task/*; do
        sed 's/^[0-9]* (\(.*\)) /\1\t/' "$t/stat" 2>/dev/null | awk -F'\t' '{split($2, f, " "); print $1 "\t" f[12] + f[13]}'
    done
}

rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }

# busy ticks of the whole machine
machine_busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# CPU seconds (user+sys) of this shell's finished children, from the `times` builtin (run in
# this shell: a $(...) subshell would report its own children)
children_cpu() {
    times >"$work/times"
    tail -n 1 "$work/times" | awk '{ n = 0; for (i = 1; i <= 2; ++i) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] } printf "%.3f\n", n }'
}

probe() { # POST one webhook until a 2xx comes back
    local port=$1 i code
    for i in $(seq 300); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
            -H "mono-webhook-secret: $SECRET" --data-binary "@$BODY" \
            "http://127.0.0.1:$port$WEBHOOK_PATH" 2>/dev/null) || code=000
        case $code in 2*) return 0 ;; esac
        [ "$i" = 300 ] && return 1
        sleep 0.1
    done
}

server_pid=
server_port=
# start_server NAME [MAX_CONNECTIONS]
start_server() {
    local name=$1 maxconn=${2:-10000}
    server_port=$(free_port)
    local log_file=$out/server-$name.log
    case $name in
    bridge-durable | bridge-enqueue)
        local ack=broker admin
        [ "$name" = bridge-enqueue ] && ack=enqueue
        admin=$(free_port)
        python3 "$bench/make_config.py" config/bridge.yaml "$work/$name.yaml" --port "$server_port" \
            --admin-port "$admin" --brokers "$bootstrap" --ack "$ack" --threads "$BRIDGE_THREADS" \
            --max-connections "$maxconn" --librdkafka "$LIBRDKAFKA" --producers "$PRODUCERS"
        MONO_WEBHOOK_SECRET=$SECRET "$BRIDGE_BIN" --config "$work/$name.yaml" >>"$log_file" 2>&1 &
        ;;
    ceiling) "$work/bench_ceiling" "$server_port" "$ncpu" >>"$log_file" 2>&1 & ;;
    ceiling-1loop) "$work/bench_ceiling" "$server_port" 1 >>"$log_file" 2>&1 & ;;
    node-peer | node-peer-batch | node-peer-batch-w2)
        local batch=0 workers=1
        [ "$name" != node-peer ] && batch=1
        [ "$name" = node-peer-batch-w2 ] && workers=2
        (cd "$work/node-peer" && KAFKA_BROKERS=$bootstrap PORT=$server_port WEBHOOK_SECRET=$SECRET \
            BATCH=$batch WORKERS=$workers exec node server.js) >>"$log_file" 2>&1 &
        ;;
    *)
        echo "unknown server $name" >&2
        return 1
        ;;
    esac
    server_pid=$!
    pids+=("$server_pid")
    if ! probe "$server_port"; then
        echo "$name did not answer 2xx; its log:" >&2
        tail -n 20 "$log_file" >&2
        return 1
    fi
}

stop_server() {
    local i
    kill "$server_pid" 2>/dev/null || true
    for i in $(seq 100); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
        [ "$i" = 100 ] && kill -9 "$server_pid" 2>/dev/null
    done
    wait "$server_pid" 2>/dev/null || true
    local keep=() p
    for p in "${pids[@]}"; do [ "$p" != "$server_pid" ] && keep+=("$p"); done
    pids=("${keep[@]}")
}

wrk_run() { # wrk_run CONNS SECONDS OUTFILE TAG
    BENCH_BODY=$BODY BENCH_KEYS=$KEYS BENCH_SECRET=$SECRET BENCH_PATH=$WEBHOOK_PATH BENCH_TAG=$4 \
        wrk -t"$WRK_THREADS" -c"$1" -d"$2"s --latency -s "$bench/mono.lua" \
        "http://127.0.0.1:$server_port$WEBHOOK_PATH" >"$3" 2>&1
}

runs=$out/runs.tsv
printf 'server\tconns\trep\trps\tp50_ms\tp99_ms\tnon2xx\terrors\trequests\tok\tcpu_pct\thwm_kb\trecords\tmock_pct\twrk_pct\tother_pct\n' >"$runs"

# run_one SERVER CONNS REP: warm-up, measured run, one line of runs.tsv
run_one() {
    local name=$1 conns=$2 rep=$3 tag=$stamp-$1-$2-$3
    local f=$out/wrk-$name-c$conns-r$rep.txt
    wrk_run "$conns" "$WARMUP" "$out/warmup.txt" "$tag-w"
    sleep 0.5
    local kafka=0
    case $name in bridge-* | node-*) kafka=1 ;; esac
    local rec0=0 rec1=0
    [ "$kafka" = 1 ] && rec0=$(records_settled)
    local cpu0 mock0 busy0 wrk0 t0 cpu1 mock1 busy1 wrk1 t1
    cpu0=$(tree_cpu "$server_pid")
    thread_ticks "$server_pid" >"$work/threads0"
    mock0=$(kafka_cpu)
    busy0=$(machine_busy)
    children_cpu >"$work/c0"
    t0=$(date +%s.%N)
    wrk_run "$conns" "$DURATION" "$f" "$tag"
    t1=$(date +%s.%N)
    children_cpu >"$work/c1"
    cpu1=$(tree_cpu "$server_pid")
    thread_ticks "$server_pid" >"$work/threads1"
    mock1=$(kafka_cpu)
    busy1=$(machine_busy)
    wrk0=$(cat "$work/c0")
    wrk1=$(cat "$work/c1")
    [ "$kafka" = 1 ] && rec1=$(records_settled)
    if ! kill -0 "$server_pid" 2>/dev/null; then
        log "$name died during the run at $conns connections (rep $rep); the end of its log:"
        tail -n 5 "$out/server-$name.log" >&2
        printf '%s\t%s\t%s\t%s\n' "$name" "$conns" "$rep" "$(tail -n 1 "$out/server-$name.log")" >>"$out/crashes.tsv"
        return 1
    fi
    # CPU % per thread name over the run (threads of one name summed; their count after the name)
    awk -F'\t' -v hz="$hz" -v el="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')" '
        FNR == NR { before[$1] += $2; next }
        { after[$1] += $2; n[$1]++ }
        END { for (k in after) printf "%s\t%d\t%.0f\n", k, n[k], (after[k] - before[k]) / hz / el * 100 }' \
        "$work/threads0" "$work/threads1" | sort -t$'\t' -k3,3nr >"$out/threads-$name-c$conns-r$rep.tsv"
    local hwm w
    hwm=$(tree_hwm "$server_pid")
    w=$(python3 "$bench/report.py" wrk "$f")
    # shellcheck disable=SC2086 # w is "rps p50 p99 non2xx errors requests"
    set -- $w
    local ok=$(($6 - $4)) recs=-
    [ "$kafka" = 1 ] && recs=$((rec1 - rec0))
    awk -v s="$name" -v c="$conns" -v r="$rep" -v w="$w" -v ok="$ok" -v hwm="$hwm" -v recs="$recs" \
        -v cpu="$((cpu1 - cpu0))" -v mock="$((mock1 - mock0))" -v busy="$((busy1 - busy0))" \
        -v wc="$(awk -v a="$wrk0" -v b="$wrk1" 'BEGIN{print b - a}')" -v el="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')" \
        -v hz="$hz" 'BEGIN {
            split(w, x, "\t"); sp = cpu / hz / el * 100; mp = mock / hz / el * 100; wp = wc / el * 100
            op = busy / hz / el * 100 - sp - mp - wp
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%s\t%s\t%.0f\t%.0f\t%.0f\n",
                s, c, r, x[1], x[2], x[3], x[4], x[5], x[6], ok, sp, hwm, recs, mp, wp, op }' >>"$runs"
    log "    threads (name, count, CPU %): $(awk -F'\t' '$3 > 0 {printf "%s%s x%s %s%%", sep, $1, $2, $3; sep = ", "}' "$out/threads-$name-c$conns-r$rep.tsv")"
    tail -n 1 "$runs" | awk -F'\t' '{printf "    %-20s c=%-4s rep %s: %7s req/s  p50 %6s ms  p99 %7s ms  non-2xx %s  errors %s  cpu %s%%  hwm %d kB  2xx %s  records %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $11, $12, $10, $13}' >&2
}

selected=()
for s in $SERVERS; do
    case $s in node-*) [ "$have_peer" = 1 ] || continue ;; esac
    selected+=("$s")
done

if [ -n "${PROFILE_CMD:-}" ]; then
    # One bridge-durable, driven at the first concurrency while PROFILE_CMD watches it.
    start_server bridge-durable
    c=${CONNS%% *}
    wrk_run "$c" "$WARMUP" "$out/warmup.txt" "$stamp-pw"
    log "profiling: $PROFILE_CMD $server_pid ($DURATION s of wrk at $c connections)"
    # shellcheck disable=SC2086 # PROFILE_CMD is a command line
    $PROFILE_CMD "$server_pid" >"$out/profile.log" 2>&1 &
    prof=$!
    sleep 0.3
    wrk_run "$c" "$DURATION" "$out/wrk-profile.txt" "$stamp-p"
    kill -INT "$prof" 2>/dev/null || true
    wait "$prof" || true
    grep -E 'Requests/sec|50%|99%' "$out/wrk-profile.txt" >&2
    stop_server
    log "profile output in $out (profile.log; perf.data wherever PROFILE_CMD wrote it)"
    exit 0
fi

log "servers: ${selected[*]}; conns: $CONNS; $REPS reps of $DURATION s (+$WARMUP s warm-up); wrk -t$WRK_THREADS"
for ((rep = 1; rep <= REPS; ++rep)); do
    for s in "${selected[@]}"; do
        start_server "$s"
        for c in $CONNS; do
            if ! run_one "$s" "$c" "$rep"; then
                wait "$server_pid" 2>/dev/null || true
                start_server "$s" # a crash is reported, and the next run gets a fresh server
            fi
        done
        stop_server
    done
done

idle=$out/idle.tsv
printf 'server\tconns\trss_kb\n' >"$idle"
if [ -n "$IDLE_COUNTS" ]; then
    for n in $IDLE_COUNTS; do
        if [ "$(ulimit -n)" -le $((n + 100)) ]; then
            log "open-file limit $(ulimit -n) is too low for $n idle connections: skipped"
            continue
        fi
        start_server bridge-durable $((n + 1000))
        sleep 0.5
        printf 'bridge-durable\t0\t%s\n' "$(rss_kb "$server_pid")" >>"$idle"
        coproc IDLE { python3 "$bench/idle_conns.py" 127.0.0.1 "$server_port" "$n" "$BODY" "$SECRET"; }
        read -r ready okn <&"${IDLE[0]}"
        sleep 1
        printf 'bridge-durable\t%s\t%s\n' "$n" "$(rss_kb "$server_pid")" >>"$idle"
        log "bridge with $n idle keep-alive connections ($ready: $okn answered 2xx): VmRSS $(rss_kb "$server_pid") kB"
        echo quit >&"${IDLE[1]}"
        wait "$IDLE_PID" 2>/dev/null || true
        stop_server
    done
fi

{
    echo "Shape: $SHAPE: $PARTITIONS partitions, leaders $LEADERS, $([ "$KEYS" = 0 ] && echo "one record key" || echo "$KEYS keys"), $([ "$KAFKA" = real ] && echo "a real 3-node Kafka" || echo "mock brokers with ${MOCK_RTT_MS} ms of round trip")"
    echo "Machine: $(nproc) CPUs, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other CPU % in the table: what processes other than server, Kafka and wrk used during the runs)"
    echo "Settings: wrk -t$WRK_THREADS, $DURATION s runs after $WARMUP s warm-up, $REPS reps interleaved, bridge threads=$BRIDGE_THREADS, librdkafka overrides: ${LIBRDKAFKA:-none}, kafka.producers: ${PRODUCERS:-default}, body $(wc -c <"$BODY") bytes (account_updated)"
    echo
    python3 "$bench/report.py" table "$runs" "$idle"
    if [ -s "$out/crashes.tsv" ]; then
        echo
        echo "SERVER CRASHES (these runs are missing from the medians above):"
        echo
        sed 's/^/    /' "$out/crashes.tsv"
    fi
} | tee "$out/table.md"
log "done in $(($(date +%s) - started_at)) s; raw results in $out"
