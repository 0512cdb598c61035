# shellcheck shell=bash
# Process and wait helpers for up.sh/down.sh (sourced).

log() { echo "[cluster $(date -u +%H:%M:%S)] $*"; }

# fail COMPONENT MESSAGE: name the component, show the tail of its log, exit non-zero.
fail() {
  local comp=$1; shift
  echo "cluster: FAILED at component '$comp': $*" >&2
  if [[ -s "$LOGS/$comp.log" ]]; then
    # Only this run's part of the log (start_proc marks each start), at most 40 lines.
    echo "---- last lines of $LOGS/$comp.log ----" >&2
    awk '/^==== start /{n=0; delete buf} {buf[++n]=$0} END{for(i=(n>40?n-39:1);i<=n;i++) print buf[i]}' "$LOGS/$comp.log" >&2
    echo "---- end of $comp log ----" >&2
  fi
  exit 1
}

in_ns() { nsenter --net="$NETNS_PATH" -- "$@"; }

pid_of() { cat "$PID_DIR/$1.pid" 2>/dev/null || true; }

# is_running NAME BINARY: true when the recorded pid is alive and is still that binary.
is_running() {
  local pid; pid=$(pid_of "$1")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$2" ]]
}

# config_hash ARGS...: hash of the arguments and of the content of any file they name (--flag=FILE
# or FILE), so a changed config file counts as a changed command line.
config_hash() {
  local a v
  for a in "$@"; do
    echo "$a"; v=${a#*=}
    if [[ -f $v ]]; then cat "$v"; fi
  done | sha256sum | cut -d' ' -f1
}

# start_proc NAME BINARY ARGS...: start BINARY detached inside the node namespace, logging to
# $LOGS/NAME.log. Idempotent: a running instance with the same command line and config files is
# kept; one started with different ones is restarted.
start_proc() {
  local name=$1 bin=$2; shift 2
  local hash; hash=$(config_hash "$bin" "$@")
  if is_running "$name" "$bin"; then
    if [[ "$(cat "$PID_DIR/$name.hash" 2>/dev/null)" == "$hash" ]]; then
      log "$name already running (pid $(pid_of "$name"))"; return 0
    fi
    log "$name: configuration changed, restarting"; stop_proc "$name"
  fi
  [[ -x $bin ]] || fail "$name" "binary $bin missing (run e2e/cluster/build.sh)"
  mkdir -p "$PID_DIR" "$LOGS"
  echo "==== start $(date -u +%FT%TZ): $bin $*" >> "$LOGS/$name.log"
  # setsid: own session so the component outlives this script; nsenter execs in place, so $! is
  # the component's own pid.
  setsid nsenter --net="$NETNS_PATH" -- "$bin" "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PID_DIR/$name.pid"
  echo "$hash" > "$PID_DIR/$name.hash"
  log "started $name (pid $!)"
}

# wait_until COMPONENT BINARY TIMEOUT_S WHAT CMD...: poll CMD each second until it succeeds; fail
# naming COMPONENT if the process dies or TIMEOUT_S passes. BINARY "" skips the liveness check.
wait_until() {
  local comp=$1 bin=$2 timeout=$3 what=$4; shift 4
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $bin ]] && ! is_running "$comp" "$bin"; then fail "$comp" "process exited while waiting for: $what"; fi
    (( $(date +%s) < deadline )) || fail "$comp" "timed out after ${timeout}s waiting for: $what"
    sleep 1
  done
}

# stop_proc NAME: TERM the recorded pid, KILL after 15 s.
stop_proc() {
  local name=$1 pid i
  pid=$(pid_of "$name")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { log "$name did not stop on TERM, killing"; kill -KILL "$pid" 2>/dev/null || true; }
    log "stopped $name (pid $pid)"
  fi
  rm -f "$PID_DIR/$name.pid"
}
