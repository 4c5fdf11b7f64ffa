#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft, broker+controller in one JVM) on 127.0.0.1,
# fetched from Maven Central and run with Java 17+. No Docker needed.
#
#   scripts/kafka.sh start    fetch (first time), format, start, wait for metadata
#   scripts/kafka.sh stop     end exactly the broker we started, remove its temp dir
#   scripts/kafka.sh status   print the bootstrap address, or exit 1 when none runs
#   scripts/kafka.sh brokers  print only the bootstrap address (for scripts)
#   scripts/kafka.sh java MAIN [ARGS...]  run a class from the broker's jars
#                             (e.g. org.apache.kafka.tools.ProducerPerformance)
#   scripts/kafka.sh kill     SIGKILL the broker JVM (a crash, for fault tests): its
#                             log dir and address are kept for `restart`
#   scripts/kafka.sh restart  start the killed (or stopped by kill) broker again on
#                             the same port and log dir, and wait for metadata
#
# State lives in $SLUICE_KAFKA_HOME (default: <repo>/.cache/kafka, git-ignored):
# lib-<version>/ holds the jars, broker.env the running broker's address, pid
# and temp dir (and EXTRA_BROKERS, below), so tests and `stop` find it.
#
# Environment read by `start` (all optional):
#   SLUICE_KAFKA_PORT            PLAINTEXT port; taken if free, else any free one
#                                (0: any free one). Default 9092.
#   SLUICE_KAFKA_READY_TIMEOUT   seconds to wait for metadata. Default 120.
#   SLUICE_KAFKA_EXTRA_LISTENER  NAME or NAME:PROTOCOL (e.g. SASL_SSL): one more
#                                listener on 127.0.0.1, on SLUICE_KAFKA_EXTRA_PORT
#                                (default 0: any free port). It is added to
#                                listeners, advertised.listeners and
#                                listener.security.protocol.map (PROTOCOL defaults
#                                to NAME); broker.env gets EXTRA_BROKERS=host:port.
#                                PLAINTEXT stays the inter-broker listener and the
#                                one the readiness probe and `status` use.
#   SLUICE_KAFKA_EXTRA_CONFIG    a file whose lines are appended to the generated
#                                server.properties (a key given again there wins):
#                                the extra listener's TLS keystore, SASL
#                                mechanisms and JAAS settings, for instance.
#   SLUICE_KAFKA_FORMAT_ARGS     more arguments for `kafka-storage format`, quoted
#                                as in a shell (parsed by xargs, never evaluated),
#                                e.g. --add-scram 'SCRAM-SHA-256=[name=alice,password=alice-secret]'
# Unset, the broker is the plain single-listener one described above.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
home=${SLUICE_KAFKA_HOME:-$repo/.cache/kafka}
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$repo/scripts/kafka/pom.xml")
lib=$home/lib-$version
state=$home/broker.env
probe=(node "$repo/scripts/kafka-probe.mjs")
ready_timeout=${SLUICE_KAFKA_READY_TIMEOUT:-120}

alternatives="alternatives: 'docker compose up -d kafka', or set KAFKA_BROKERS=host:port to use a broker you run"

me=kafka.sh
# shellcheck source=lib/jvm-service.sh
. "$repo/scripts/lib/jvm-service.sh"

require_tools() {
  require_java "Kafka $version" "$alternatives"
  if [ ! -f "$lib/.complete" ]; then
    command -v mvn >/dev/null 2>&1 || die "mvn not found: it fetches Kafka $version from Maven Central; $alternatives"
  fi
}

fetch() {
  [ -f "$lib/.complete" ] && return 0
  echo "kafka.sh: fetching Apache Kafka $version and its dependencies from Maven Central into $lib" >&2
  rm -rf "$lib.partial"
  mkdir -p "$home"
  if ! mvn -q -B -f "$repo/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$lib.partial" >"$home/mvn.log" 2>&1; then
    cat "$home/mvn.log" >&2
    die "mvn could not fetch org.apache.kafka:kafka_2.13:$version (log above); $alternatives"
  fi
  touch "$lib.partial/.complete"
  rm -rf "$lib"
  mv "$lib.partial" "$lib"
}

run_java() {
  local main=$1; shift
  java -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$repo/scripts/kafka/log4j2.properties" \
    -cp "$lib/*" "$main" "$@"
}

load_state() {
  BROKERS='' PID='' DIR='' EXTRA_BROKERS=''
  # shellcheck disable=SC1090
  [ -f "$state" ] && . "$state"
  return 0
}

cmd_start() {
  mkdir -p "$home"
  load_state
  if alive "$PID" && "${probe[@]}" ready "$BROKERS" 5 2>/dev/null; then
    echo "kafka.sh: reusing broker pid $PID at $BROKERS" >&2
    echo "$BROKERS"
    return 0
  fi
  [ -n "$DIR" ] && rm -rf "$DIR"
  rm -f "$state"
  EXTRA_BROKERS=''
  require_tools

  local t0 port cport dir cluster
  local extra=${SLUICE_KAFKA_EXTRA_LISTENER:-} extra_config=${SLUICE_KAFKA_EXTRA_CONFIG:-}
  local listeners advertised protocols xname xprotocol xport
  local -a format_args=()
  if [ -n "$extra" ]; then
    xname=${extra%%:*} xprotocol=${extra#*:}
    [[ "$xname" =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] || die "SLUICE_KAFKA_EXTRA_LISTENER wants NAME or NAME:PROTOCOL, got '$extra'"
    case "$xname" in PLAINTEXT | CONTROLLER) die "SLUICE_KAFKA_EXTRA_LISTENER: $xname is taken by the broker's own listeners" ;; esac
  fi
  [ -z "$extra_config" ] || [ -r "$extra_config" ] || die "SLUICE_KAFKA_EXTRA_CONFIG: cannot read $extra_config"
  t0=$(date +%s.%N)
  fetch
  port=$("${probe[@]}" free-port "${SLUICE_KAFKA_PORT:-9092}")
  cport=$("${probe[@]}" free-port)
  listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
  advertised="PLAINTEXT://127.0.0.1:$port"
  protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
  if [ -n "$extra" ]; then
    xport=$("${probe[@]}" free-port "${SLUICE_KAFKA_EXTRA_PORT:-0}")
    [ "$xport" != "$port" ] && [ "$xport" != "$cport" ] || xport=$("${probe[@]}" free-port)
    listeners+=",$xname://127.0.0.1:$xport"
    advertised+=",$xname://127.0.0.1:$xport"
    protocols+=",$xname:$xprotocol"
    EXTRA_BROKERS=127.0.0.1:$xport
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-kafka.XXXXXX")
  if [ -n "${SLUICE_KAFKA_FORMAT_ARGS:-}" ]; then
    printf '%s' "$SLUICE_KAFKA_FORMAT_ARGS" | xargs -r printf '%s\0' >"$dir/format.args" \
      || { rm -rf "$dir"; die "SLUICE_KAFKA_FORMAT_ARGS: cannot split (unbalanced quotes?)"; }
    mapfile -d '' -t format_args <"$dir/format.args"
    rm -f "$dir/format.args"
  fi
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
listener.security.protocol.map=$protocols
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=24
log.segment.bytes=67108864
EOF
  if [ -n "$extra_config" ]; then
    { echo "# from SLUICE_KAFKA_EXTRA_CONFIG=$extra_config"; cat "$extra_config"; echo; } >>"$dir/server.properties"
  fi
  cluster=$(run_java kafka.tools.StorageTool random-uuid)
  run_java kafka.tools.StorageTool format --standalone -t "$cluster" -c "$dir/server.properties" ${format_args[@]+"${format_args[@]}"} >"$dir/format.log" 2>&1 \
    || { cat "$dir/format.log" >&2; rm -rf "$dir"; die "formatting KRaft storage failed"; }

  launch "127.0.0.1:$port" "$dir" "$t0"
}

# Starts the JVM on an already formatted dir, records it, waits for metadata.
# A broker that does not come up is stopped and its dir removed only on a
# fresh start: a restart keeps the log dir, which is what it came to reuse.
launch() {
  local brokers=$1 dir=$2 t0=$3 keep_dir=${4:-}
  # setsid: the broker must outlive the shell that started it (npm test, CI steps).
  setsid bash -c 'exec "$@"' _ java -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$repo/scripts/kafka/log4j2.properties" \
    -cp "$lib/*" kafka.Kafka "$dir/server.properties" >>"$dir/kafka.log" 2>&1 </dev/null &
  local pid=$!
  printf 'BROKERS=%s\nPID=%s\nDIR=%s\n' "$brokers" "$pid" "$dir" >"$state"
  [ -z "${EXTRA_BROKERS:-}" ] || printf 'EXTRA_BROKERS=%s\n' "$EXTRA_BROKERS" >>"$state"

  if ! "${probe[@]}" ready "$brokers" "$ready_timeout"; then
    tail -n 40 "$dir/kafka.log" >&2 || true
    if [ -n "$keep_dir" ]; then
      kill -KILL "$pid" 2>/dev/null || true
    else
      cmd_stop >/dev/null 2>&1 || true
    fi
    die "broker did not become ready within ${ready_timeout}s (log above)"
  fi
  echo "kafka.sh: Apache Kafka $version ready at $brokers (pid $pid) in $(since "$t0")s" >&2
  [ -z "${EXTRA_BROKERS:-}" ] || echo "kafka.sh: extra listener at $EXTRA_BROKERS" >&2
  echo "$brokers"
}

# A crash, not a stop: no controlled shutdown, so clients see connections drop
# and the broker recovers its logs on restart.
cmd_kill() {
  load_state
  [ -n "$PID" ] || die "no broker of ours to kill"
  crash_pid "$PID"
  echo "kafka.sh: killed broker pid $PID (log dir $DIR kept for restart)" >&2
}

cmd_restart() {
  load_state
  [ -n "$DIR" ] && [ -f "$DIR/server.properties" ] || die "no broker of ours to restart (start one first)"
  if alive "$PID"; then
    echo "kafka.sh: broker pid $PID is still running at $BROKERS" >&2
    echo "$BROKERS"
    return 0
  fi
  require_tools
  fetch
  launch "$BROKERS" "$DIR" "$(date +%s.%N)" keep
}

cmd_stop() {
  load_state
  stop_service broker
}

cmd_status() {
  load_state
  if alive "$PID" && "${probe[@]}" ready "$BROKERS" 5 2>/dev/null; then
    echo "kafka.sh: broker pid $PID at $BROKERS (dir $DIR)" >&2
    echo "$BROKERS"
  else
    echo "kafka.sh: no broker of ours is running" >&2
    return 1
  fi
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  brokers) load_state; alive "$PID" || exit 1; echo "$BROKERS" ;;
  kill) cmd_kill ;;
  restart) cmd_restart ;;
  java) shift; require_tools; fetch; run_java "$@" ;;
  *) echo "usage: scripts/kafka.sh start|stop|status|brokers|kill|restart|java MAIN [ARGS...]" >&2; exit 2 ;;
esac
