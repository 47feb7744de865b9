#!/usr/bin/env bash
# Lynex local Kafka broker: a real single-node Apache Kafka 3.9.1 (KRaft: broker + controller in one
# JVM, no ZooKeeper, no Docker), assembled from Maven Central jars (scripts/kafka/pom.xml).
#
# Usage: bash scripts/kafka.sh <command>
#   install          download the broker/tool jars via Maven (only if not already there)
#   start            install if needed, configure, format (first run), start, wait until it answers
#   stop             SIGTERM the broker, wait for a controlled shutdown, SIGKILL after a deadline
#   status           is it running, and does it answer? (exit 0 = answering, 3 = not running, 1 = not answering)
#   logs [tail opts] tail the broker log (e.g. `logs -f`, `logs -n 500`)
#   reset            stop + delete the data (a fresh cluster on next start); the jars are kept
#   cli CLASS [ARGS] run a Kafka command-line class on the broker's classpath, e.g.
#                    cli org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
#
# Environment:
#   LYNEX_HOME              local state (default: <repo>/.lynex); broker state in $LYNEX_HOME/kafka
#   KAFKA_PORT              client (PLAINTEXT) port, default 9092
#   KAFKA_CONTROLLER_PORT   KRaft controller port, default 9093
#   KAFKA_LIB_DIR           jar directory, shared between clones (default ~/.cache/lynex/kafka-3.9.1/lib)
#   KAFKA_START_TIMEOUT     seconds `start` waits for the broker to answer (default 90)
#   KAFKA_STOP_TIMEOUT      seconds `stop` waits before SIGKILL (default 30)
#   KAFKA_HEAP_OPTS         broker heap (default "-Xms512m -Xmx1g"); KAFKA_OPTS: extra broker JVM options
#   JAVA_HOME / MVN         which java / mvn to use
set -euo pipefail

KAFKA_VERSION=3.9.1

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd -P)"
POM="$SCRIPT_DIR/kafka/pom.xml"
LOG4J_CONFIG="$SCRIPT_DIR/kafka/log4j.properties"

LYNEX_HOME="${LYNEX_HOME:-$REPO_ROOT/.lynex}"
mkdir -p "$LYNEX_HOME"
LYNEX_HOME="$(cd "$LYNEX_HOME" && pwd -P)"   # absolute, whatever the caller's cwd
KAFKA_HOME="$LYNEX_HOME/kafka"
DATA_DIR="$KAFKA_HOME/data"
LOG_DIR="$KAFKA_HOME/logs"
SERVER_PROPERTIES="$KAFKA_HOME/server.properties"
CLUSTER_ID_FILE="$KAFKA_HOME/cluster.id"
PID_FILE="$KAFKA_HOME/kafka.pid"
SERVER_LOG="$LOG_DIR/server.log"
OUT_LOG="$LOG_DIR/kafka.out"

KAFKA_LIB_DIR="${KAFKA_LIB_DIR:-$HOME/.cache/lynex/kafka-$KAFKA_VERSION/lib}"
STAMP_NAME=".lynex-kafka-stamp"

HOST=127.0.0.1
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}"
KAFKA_OPTS="${KAFKA_OPTS:-}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
MVN="${MVN:-mvn}"
POLL_INTERVAL=0.25
# The size budget: equal to contracts/limits.py KAFKA_MESSAGE_MAX_BYTES (tests/deploy compares them).
KAFKA_MESSAGE_MAX_BYTES=8388608

say() { printf 'kafka: %s\n' "$*"; }
die() { printf 'kafka: error: %s\n' "$*" >&2; exit 1; }

now() { printf '%s' "$EPOCHREALTIME"; }
# seconds elapsed since $1 (an EPOCHREALTIME value), one decimal
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
# true while the deadline (an EPOCHREALTIME value) has not passed
before() { awk -v d="$1" -v n="$EPOCHREALTIME" 'BEGIN { exit !(n < d) }'; }
deadline_in() { awk -v s="$1" -v n="$EPOCHREALTIME" 'BEGIN { printf "%.6f", n + s }'; }

# ---------------------------------------------------------------------------------------------------
# install

stamp_value() {
    local pom_sum
    pom_sum="$(sha256sum "$POM" | cut -d' ' -f1)"
    printf 'kafka=%s pom-sha256=%s\n' "$KAFKA_VERSION" "$pom_sum"
}

jars_ready() {
    [[ -f "$KAFKA_LIB_DIR/$STAMP_NAME" ]] \
        && [[ "$(cat "$KAFKA_LIB_DIR/$STAMP_NAME")" == "$(stamp_value)" ]] \
        && [[ -f "$KAFKA_LIB_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]]
}

cmd_install() {
    jars_ready && return 0
    command -v "$MVN" >/dev/null || die "Maven ('$MVN') is needed to download the Kafka jars (first run only)"
    local parent tmp mvn_log t0
    parent="$(dirname "$KAFKA_LIB_DIR")"
    mkdir -p "$parent"
    # Several clones / CI jobs may share KAFKA_LIB_DIR: one installs, the others wait and reuse.
    exec 8>"$parent/.install.lock"
    flock 8
    if jars_ready; then exec 8>&-; return 0; fi
    t0="$(now)"
    say "downloading jars via Maven (first run only)… (Kafka $KAFKA_VERSION into $KAFKA_LIB_DIR)"
    tmp="$KAFKA_LIB_DIR.partial.$$"
    mvn_log="$parent/maven-install.log"
    rm -rf "$tmp"
    # Maven writes into a scratch directory that is renamed into place only when complete, so an
    # interrupted download never leaves a half-filled lib directory that looks finished.
    if ! "$MVN" -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
            -Dkafka.lib.dir="$tmp" >"$mvn_log" 2>&1; then
        cat "$mvn_log" >&2
        rm -rf "$tmp"
        die "Maven could not fetch the Kafka jars (log above, also in $mvn_log)"
    fi
    [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "Maven finished but $tmp has no kafka_2.13 jar"
    stamp_value >"$tmp/$STAMP_NAME"
    rm -rf "$KAFKA_LIB_DIR"
    mv "$tmp" "$KAFKA_LIB_DIR"
    exec 8>&-
    say "installed $(find "$KAFKA_LIB_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$KAFKA_LIB_DIR" | cut -f1)) in $(elapsed "$t0")s"
}

# ---------------------------------------------------------------------------------------------------
# probes

# Something accepts TCP connections on port $1?
port_open() {
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

# Does a Kafka broker answer on port $1, with itself in the cluster metadata? Sends a real
# Metadata request (v4: all topics, no auto-creation) over /dev/tcp and checks the response:
# correlation id 1 and at least one broker. A broker only answers this once its request processing is
# enabled and it is registered and unfenced, i.e. when clients can use it. Needs only bash + coreutils
# (no JVM start, no Python venv). Metadata v4 dates from Kafka 1.0; Kafka 4.0 dropped only v0-v3.
kafka_answers() {
    local out
    # size=20 | api_key=3 | api_version=4 | correlation_id=1 | client_id="lynex" | topics=null(-1) | allow_auto=false
    out="$(timeout 3 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "\x00\x00\x00\x14\x00\x03\x00\x04\x00\x00\x00\x01\x00\x05lynex\xff\xff\xff\xff\x00" >&3
        od -An -v -tu1 -N16 <&3' "$HOST" "$1" 2>/dev/null)" || return 1
    local -a b
    read -r -a b <<<"$(echo $out)"
    # b[0..3] response size, b[4..7] correlation id, b[8..11] throttle_time_ms, b[12..15] broker count
    ((${#b[@]} == 16)) || return 1
    ((b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 1)) || return 1
    (((b[12] << 24 | b[13] << 16 | b[14] << 8 | b[15]) >= 1))
}

# pid $1 exists and is not a zombie (a dead child this shell has not reaped still answers kill -0)
pid_running() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null \
        && [[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

read_pid() { [[ -f "$PID_FILE" ]] && cat "$PID_FILE" 2>/dev/null || true; }

# Is the broker started by this script (pid file) alive? Checks the command line too, so a recycled
# pid of some other process is never mistaken for (or killed as) the broker.
broker_alive() {
    local pid="${1:-$(read_pid)}"
    pid_running "$pid" \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $SERVER_PROPERTIES"
}

# Byte size of server.log when this run launched the broker: on failure only what this run wrote is
# shown, not the tail of an earlier run (the log is appended to across restarts).
LOG_MARK=0

print_log_tail() {
    local size
    size="$(stat -c %s "$SERVER_LOG" 2>/dev/null || echo 0)"
    if ((size > LOG_MARK)); then
        echo "----- last 80 lines of $SERVER_LOG -----" >&2
        tail -c "+$((LOG_MARK + 1))" "$SERVER_LOG" | tail -n 80 >&2
    elif ((size > 0 && size < LOG_MARK)); then   # rolled over meanwhile
        echo "----- last 80 lines of $SERVER_LOG -----" >&2
        tail -n 80 "$SERVER_LOG" >&2
    else
        echo "----- (the broker wrote nothing to $SERVER_LOG) -----" >&2
    fi
    if [[ -s "$OUT_LOG" ]]; then
        echo "----- last 30 lines of $OUT_LOG (broker stdout/stderr) -----" >&2
        tail -n 30 "$OUT_LOG" >&2
    fi
    echo "-----" >&2
}

# ---------------------------------------------------------------------------------------------------
# start

write_server_properties() {
    mkdir -p "$KAFKA_HOME" "$DATA_DIR" "$LOG_DIR"
    cat >"$SERVER_PROPERTIES.tmp" <<EOF
# Generated by scripts/kafka.sh on every start; edits are overwritten.
# Single-node KRaft cluster: this one process is broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA_DIR

# One broker: every replication factor and min ISR is 1.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
default.replication.factor=1
min.insync.replicas=1

# Developer convenience.
num.partitions=4
auto.create.topics.enable=true
delete.topic.enable=true
# Otherwise the first join of every consumer group waits 3 s.
group.initial.rebalance.delay.ms=0

# Log cleaner stays on: Faust table changelogs are compacted topics. A smaller dedupe buffer than the
# 128 MB default keeps the heap small.
log.cleaner.enable=true
log.cleaner.dedupe.buffer.size=33554432

# A 2-core laptop/CI box does not need the default thread counts.
num.network.threads=2
num.io.threads=4

# Lynex's size budget (contracts/limits.py KAFKA_MESSAGE_MAX_BYTES, 8 MiB): the broker takes any record
# Lynex writes (up to MAX_RECORD_BYTES, 6 MiB, plus key, headers and batch overhead), also in topics it
# auto-creates (faust's changelogs); a follower fetches what the leader took. tests/deploy checks it.
message.max.bytes=$KAFKA_MESSAGE_MAX_BYTES
replica.fetch.max.bytes=$KAFKA_MESSAGE_MAX_BYTES
EOF
    mv "$SERVER_PROPERTIES.tmp" "$SERVER_PROPERTIES"
}

# java for the command-line classes: small heap, WARN+ to stderr.
run_cli() {
    "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$LOG4J_CONFIG" -Dlynex.kafka.root.logger="WARN, stderr" \
        -cp "$KAFKA_LIB_DIR/*" "$@"
}

format_if_needed() {
    [[ -f "$DATA_DIR/meta.properties" ]] && return 0
    local cluster_id t0
    t0="$(now)"
    if [[ -s "$CLUSTER_ID_FILE" ]]; then
        cluster_id="$(cat "$CLUSTER_ID_FILE")"
    else
        cluster_id="$(run_cli kafka.tools.StorageTool random-uuid | tail -n 1)" \
            || die "StorageTool random-uuid failed"
        [[ -n "$cluster_id" ]] || die "StorageTool random-uuid printed no cluster id"
        printf '%s\n' "$cluster_id" >"$CLUSTER_ID_FILE"
    fi
    say "formatting $DATA_DIR (cluster id $cluster_id, first run only)"
    run_cli kafka.tools.StorageTool format -t "$cluster_id" -c "$SERVER_PROPERTIES" --ignore-formatted >/dev/null \
        || die "formatting $DATA_DIR failed"
    say "formatted in $(elapsed "$t0")s"
}

# Wait until the broker with pid $1 answers; $2 = start time for the elapsed figure.
wait_until_ready() {
    local pid="$1" t0="$2" deadline
    deadline="$(deadline_in "$KAFKA_START_TIMEOUT")"
    while before "$deadline"; do
        if ! pid_running "$pid"; then
            wait "$pid" 2>/dev/null || true   # reap it if it is our child
            print_log_tail
            rm -f "$PID_FILE"
            die "the broker exited during start-up (pid $pid): see the log above ('bash scripts/kafka.sh logs' for more; 'bash scripts/kafka.sh reset' for a fresh cluster)"
        fi
        # cheap TCP check first; the Metadata request only once the port is bound
        if port_open "$KAFKA_PORT" && kafka_answers "$KAFKA_PORT"; then
            say "ready on $HOST:$KAFKA_PORT after $(elapsed "$t0")s (pid $pid, logs: $SERVER_LOG)"
            return 0
        fi
        sleep "$POLL_INTERVAL"
    done
    print_log_tail
    die "the broker (pid $pid) did not answer on $HOST:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s (KAFKA_START_TIMEOUT); it is left running: 'bash scripts/kafka.sh stop' to stop it"
}

# A broker started before the size budget keeps the 1 MiB default until it restarts: Lynex's own topics
# carry their limit (ensure_topics), topics the broker auto-creates do not.
warn_if_stale() {
    grep -qx "message.max.bytes=$KAFKA_MESSAGE_MAX_BYTES" "$SERVER_PROPERTIES" 2>/dev/null && return 0
    say "warning: this broker was started with an older configuration (message.max.bytes is not $KAFKA_MESSAGE_MAX_BYTES); restart it to apply: bash scripts/kafka.sh stop && bash scripts/kafka.sh start"
}

cmd_start() {
    local t0 pid
    t0="$(now)"
    cmd_install

    pid="$(read_pid)"
    if broker_alive "$pid"; then
        if kafka_answers "$KAFKA_PORT"; then
            say "already running on $HOST:$KAFKA_PORT (pid $pid)"
            warn_if_stale
            return 0
        fi
        say "already starting (pid $pid); waiting for it to answer"
        wait_until_ready "$pid" "$t0"
        return 0
    fi
    rm -f "$PID_FILE"

    if kafka_answers "$KAFKA_PORT"; then
        say "a Kafka broker already answers on $HOST:$KAFKA_PORT (not started from $KAFKA_HOME); using it"
        return 0
    fi
    local port what
    for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        if port_open "$port"; then
            what="$(ss -Htlnp "sport = :$port" 2>/dev/null | head -n 3 || true)"
            die "port $HOST:$port is in use by something that is not this project's Kafka broker${what:+:
$what}
  stop that process, or choose other ports: KAFKA_PORT=19092 KAFKA_CONTROLLER_PORT=19093 bash scripts/kafka.sh start"
        fi
    done

    command -v "$JAVA" >/dev/null || die "java not found (Java 17 is needed; set JAVA_HOME)"
    write_server_properties
    format_if_needed

    : >"$OUT_LOG"
    LOG_MARK="$(stat -c %s "$SERVER_LOG" 2>/dev/null || echo 0)"
    say "starting Kafka $KAFKA_VERSION (KRaft, data: $DATA_DIR)"
    # setsid: its own session, so Ctrl-C in the calling terminal or the end of a CI step's process
    # group does not hit it; the inner bash records its own pid, which exec turns into the JVM's.
    # shellcheck disable=SC2086  # heap/extra options are deliberately word-split
    nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
        "$JAVA" $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
        -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
        -Dkafka.logs.dir="$LOG_DIR" -Dlog4j.configuration="file:$LOG4J_CONFIG" $KAFKA_OPTS \
        -cp "$KAFKA_LIB_DIR/*" kafka.Kafka "$SERVER_PROPERTIES" \
        >>"$OUT_LOG" 2>&1 </dev/null &
    local launcher=$!
    # the pid file appears as soon as the inner bash runs (milliseconds)
    local deadline
    deadline="$(deadline_in 10)"
    until [[ -s "$PID_FILE" ]]; do
        before "$deadline" || die "the broker process did not start (no pid file)"
        pid_running "$launcher" || [[ -s "$PID_FILE" ]] || { print_log_tail; die "the broker process did not start"; }
        sleep 0.05
    done
    pid="$(read_pid)"
    wait_until_ready "$pid" "$t0"
}

# ---------------------------------------------------------------------------------------------------
# stop / status / logs / reset

cmd_stop() {
    local pid deadline t0
    pid="$(read_pid)"
    if ! broker_alive "$pid"; then
        rm -f "$PID_FILE"
        say "not running"
        return 0
    fi
    t0="$(now)"
    say "stopping (pid $pid)…"
    kill -TERM "$pid" 2>/dev/null || true
    deadline="$(deadline_in "$KAFKA_STOP_TIMEOUT")"
    while pid_running "$pid" && before "$deadline"; do
        sleep "$POLL_INTERVAL"
    done
    if pid_running "$pid"; then
        say "no controlled shutdown after ${KAFKA_STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while pid_running "$pid"; do sleep 0.1; done
    fi
    rm -f "$PID_FILE"
    say "stopped in $(elapsed "$t0")s"
}

cmd_status() {
    local pid
    pid="$(read_pid)"
    if broker_alive "$pid"; then
        local rss
        rss="$(awk '/^VmRSS/ { printf "%.0f MB", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || true)"
        if kafka_answers "$KAFKA_PORT"; then
            say "running on $HOST:$KAFKA_PORT (pid $pid, RSS ${rss:-?}, data: $DATA_DIR)"
            return 0
        fi
        say "process running (pid $pid) but not answering on $HOST:$KAFKA_PORT (starting, or stuck: see 'logs')"
        return 1
    fi
    if kafka_answers "$KAFKA_PORT"; then
        say "not started from $KAFKA_HOME, but a Kafka broker answers on $HOST:$KAFKA_PORT"
        return 0
    fi
    say "not running"
    return 3
}

cmd_logs() {
    [[ -f "$SERVER_LOG" ]] || die "no broker log yet ($SERVER_LOG)"
    if (($# == 0)); then set -- -n 100; fi
    exec tail "$@" "$SERVER_LOG"
}

cmd_reset() {
    cmd_stop
    rm -rf "$DATA_DIR" "$LOG_DIR" "$CLUSTER_ID_FILE" "$SERVER_PROPERTIES" "$PID_FILE"
    say "data deleted ($DATA_DIR); jars kept in $KAFKA_LIB_DIR"
}

cmd_cli() {
    (($# >= 1)) || die "usage: kafka.sh cli CLASS [ARGS...]"
    cmd_install >&2
    run_cli "$@"
}

usage() {
    sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

main() {
    local cmd="${1:-}"
    (($# > 0)) && shift
    case "$cmd" in
        install) cmd_install ;;
        start) cmd_start ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        logs) cmd_logs "$@" ;;
        reset) cmd_reset ;;
        cli) cmd_cli "$@" ;;
        -h | --help | help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
