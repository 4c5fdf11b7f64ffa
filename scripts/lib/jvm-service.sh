# Sourced by scripts/kafka.sh and scripts/registry.sh: the parts of running one JVM
# service of our own that do not depend on which service it is. Each caller sets
# `me` (its name in messages, e.g. kafka.sh) first.

die() { echo "$me: $*" >&2; exit 1; }

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# require_java PRODUCT ALTERNATIVES: Java 17+ on the PATH, or a clear reason.
require_java() {
  local product=$1 alternatives=$2 major
  command -v java >/dev/null 2>&1 || die "java not found: $product needs Java 17+; $alternatives"
  major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
  [ "${major:-0}" -ge 17 ] || die "java is version ${major:-unknown}; $product needs Java 17+; $alternatives"
}

# SIGTERM, 20 s to end, then SIGKILL: returns once PID is gone, dies if it is not.
end_pid() {
  local pid=$1
  alive "$pid" || return 0
  kill -TERM "$pid"
  for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.2; done
  if alive "$pid"; then
    echo "$me: pid $pid did not stop in 20s, killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 25); do alive "$pid" || break; sleep 0.2; done
  fi
  alive "$pid" && die "pid $pid is still running"
  return 0
}

# stop_service NOUN: end the pid the caller's state names (after its load_state: PID, DIR,
# $state), remove its temp dir and the state.
stop_service() {
  local noun=$1
  if [ -z "$PID" ]; then
    echo "$me: no $noun of ours is running" >&2
    return 0
  fi
  end_pid "$PID"
  [ -n "$DIR" ] && rm -rf "$DIR"
  rm -f "$state"
  echo "$me: stopped $noun pid $PID" >&2
}

# A crash, not a stop: SIGKILL and wait until PID is gone.
crash_pid() {
  local pid=$1
  alive "$pid" || return 0
  kill -KILL "$pid"
  for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
  alive "$pid" && die "pid $pid survived SIGKILL"
  return 0
}

# Seconds since T0 (a `date +%s.%N`), one decimal, for the "ready in" line.
since() { printf '%.1f' "$(echo "$(date +%s.%N) - $1" | bc)"; }
