#!/usr/bin/env bash
# Apicurio Registry with throwaway (H2) storage on 127.0.0.1, built from Maven Central
# jars and run with Java 17+: a real schema registry for the tests, no Docker needed.
# Clients talk to its Confluent-compatible API (ccompat v7), as they would to
# Confluent's Schema Registry.
#
#   scripts/registry.sh start    build (first time), start, wait for /subjects; print the URL
#   scripts/registry.sh stop     end exactly the registry we started, remove its temp dir
#   scripts/registry.sh status   print the URL, or exit 1 when none of ours answers
#   scripts/registry.sh url      print only the URL of ours (for scripts), exit 1 when none runs
#   scripts/registry.sh kill     SIGKILL the registry JVM (a crash, for fault tests): its
#                                database and URL are kept for `restart`
#   scripts/registry.sh restart  start the killed registry again on the same port and
#                                database (ids and subjects as before), wait for /subjects
#
# Each `start` begins with an empty registry: its H2 database lives in a fresh temp dir
# that `stop` removes.
#
# The built application is cached OUTSIDE the repo, keyed by the Apicurio version and a
# hash of scripts/registry/, so a fresh clone reuses it: $SLUICE_REGISTRY_HOME (default
# ~/.cache/sluice/registry)/app-<version>-<hash>/. The first build takes minutes.
# The running registry's URL, pid and temp dir live in $SLUICE_REGISTRY_STATE (default
# <repo>/.cache/registry, git-ignored)/registry.env, so tests and `stop` find it.
#
# Environment read by `start` (all optional):
#   SLUICE_REGISTRY_PORT           HTTP port; taken if free, else any free one
#                                  (0: any free one). Default 8081.
#   SLUICE_REGISTRY_READY_TIMEOUT  seconds to wait for /subjects. Default 120.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=$repo/scripts/registry
home=${SLUICE_REGISTRY_HOME:-$HOME/.cache/sluice/registry}
state_dir=${SLUICE_REGISTRY_STATE:-$repo/.cache/registry}
state=$state_dir/registry.env
version=$(sed -n 's:.*<apicurio.version>\(.*\)</apicurio.version>.*:\1:p' "$src/pom.xml")
# A change to the pom or the shim under scripts/registry/ must not reuse an old build.
key=$(cd "$src" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
app=$home/app-$version-$key
ready_timeout=${SLUICE_REGISTRY_READY_TIMEOUT:-120}
api=/apis/ccompat/v7

alternatives="alternatives: 'docker compose up -d registry', or set SCHEMA_REGISTRY_URL to a registry you run"

me=registry.sh
# shellcheck source=lib/jvm-service.sh
. "$repo/scripts/lib/jvm-service.sh"

require_tools() {
  require_java "Apicurio Registry $version" "$alternatives"
  if [ ! -f "$app/.complete" ]; then
    command -v mvn >/dev/null 2>&1 || die "mvn not found: it builds Apicurio Registry $version from Maven Central; $alternatives"
  fi
}

build() {
  [ -f "$app/.complete" ] && return 0
  mkdir -p "$home"
  # Two starts at once (two checkouts, two test runs) must not build into one folder.
  (
    flock 9
    [ -f "$app/.complete" ] && exit 0
    local work=$app.build t0
    t0=$SECONDS
    echo "registry.sh: building Apicurio Registry $version from Maven Central into $app (first time only, takes minutes)" >&2
    rm -rf "$work" "$app"
    mkdir -p "$work"
    cp -R "$src/." "$work/"
    if ! mvn -B -f "$work/pom.xml" package -DskipTests >"$work/mvn.log" 2>&1; then
      tail -n 60 "$work/mvn.log" >&2
      die "mvn could not build io.apicurio:apicurio-registry-app:$version (log above, whole log in $work/mvn.log); $alternatives"
    fi
    mkdir -p "$app"
    mv "$work"/target/*-runner.jar "$app/registry.jar"
    mv "$work/target/lib" "$app/lib"
    rm -rf "$work"
    touch "$app/.complete"
    echo "registry.sh: built in $((SECONDS - t0))s" >&2
  ) 9>"$home/build.lock"
}

answers() { node "$repo/scripts/registry-probe.mjs" ready "$1$api/subjects" "$2"; }

load_state() {
  URL='' PID='' DIR=''
  # shellcheck disable=SC1090
  [ -f "$state" ] && . "$state"
  return 0
}

cmd_start() {
  mkdir -p "$state_dir"
  load_state
  if alive "$PID" && answers "$URL" 5 2>/dev/null; then
    echo "registry.sh: reusing registry pid $PID at $URL" >&2
    echo "$URL$api"
    return 0
  fi
  [ -n "$DIR" ] && rm -rf "$DIR"
  rm -f "$state"
  require_tools

  local t0 port
  t0=$(date +%s.%N)
  build
  port=$(node "$repo/scripts/kafka-probe.mjs" free-port "${SLUICE_REGISTRY_PORT:-8081}")
  launch "http://127.0.0.1:$port" "$(mktemp -d "${TMPDIR:-/tmp}/sluice-registry.XXXXXX")" "$t0"
}

# Starts the JVM on DIR (the H2 database lives there, so a `restart` finds what was
# registered before), records it, waits for /subjects. A registry that does not come
# up is stopped and its dir removed only on a fresh start: a restart keeps the dir.
launch() {
  local url=$1 dir=$2 t0=$3 keep_dir=${4:-}
  # setsid: the registry must outlive the shell that started it (npm test, CI steps).
  # H2 in a file, WRITE_DELAY=0: every committed registration survives a SIGKILL.
  # BACKWARD compatibility for every subject, Confluent's default (Apicurio's is none).
  # A small connection pool: one local H2 needs no 20 connections opened at boot.
  setsid bash -c 'exec "$@"' _ java -Xms64m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Djava.io.tmpdir="$dir" -Dvertx.cacheDirBase="$dir/vertx" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="${url##*:}" \
    -Dquarkus.datasource.jdbc.url="jdbc:h2:file:$dir/registry;WRITE_DELAY=0" \
    -Dquarkus.datasource.jdbc.initial-size=2 -Dquarkus.datasource.jdbc.min-size=2 \
    -Dregistry.rules.global.compatibility=BACKWARD \
    -jar "$app/registry.jar" >>"$dir/registry.log" 2>&1 </dev/null &
  local pid=$!
  printf 'URL=%s\nPID=%s\nDIR=%s\n' "$url" "$pid" "$dir" >"$state"

  if ! answers "$url" "$ready_timeout"; then
    tail -n 40 "$dir/registry.log" >&2 || true
    if [ -n "$keep_dir" ]; then
      kill -KILL "$pid" 2>/dev/null || true
    else
      cmd_stop >/dev/null 2>&1 || true
    fi
    die "registry did not answer $api/subjects within ${ready_timeout}s (log above)"
  fi
  echo "registry.sh: Apicurio Registry $version ready at $url$api (pid $pid) in $(since "$t0")s" >&2
  echo "$url$api"
}

# A crash, not a stop: clients see connections refused until `restart`.
cmd_kill() {
  load_state
  [ -n "$PID" ] || die "no registry of ours to kill"
  crash_pid "$PID"
  echo "registry.sh: killed registry pid $PID (dir $DIR kept for restart)" >&2
}

cmd_restart() {
  load_state
  [ -n "$DIR" ] && [ -d "$DIR" ] || die "no registry of ours to restart (start one first)"
  if alive "$PID"; then
    echo "registry.sh: registry pid $PID is still running at $URL" >&2
    echo "$URL$api"
    return 0
  fi
  require_tools
  build
  launch "$URL" "$DIR" "$(date +%s.%N)" keep
}

cmd_stop() {
  load_state
  stop_service registry
}

cmd_status() {
  load_state
  if alive "$PID" && answers "$URL" 5 2>/dev/null; then
    echo "registry.sh: registry pid $PID at $URL$api (dir $DIR)" >&2
    echo "$URL$api"
  else
    echo "registry.sh: no registry of ours is running" >&2
    return 1
  fi
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) load_state; alive "$PID" || exit 1; echo "$URL$api" ;;
  kill) cmd_kill ;;
  restart) cmd_restart ;;
  *) echo "usage: scripts/registry.sh start|stop|status|url|kill|restart" >&2; exit 2 ;;
esac
