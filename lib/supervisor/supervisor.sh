#!/bin/sh
# Hot-reload supervisor: runs a command and restarts it when the watched tree changes.
#
#   supervisor.sh supervise -- CMD [ARG...]   run CMD, restart it on every change (the default strategy)
#   supervisor.sh baseline  -- CMD [ARG...]   record the tree's fingerprint, then exec CMD
#   supervisor.sh probe                       exit 1 if the tree differs from the recorded baseline
#                                             (liveness probe of the restart-container strategy)
#
# POSIX sh plus find, stat, sort, awk, grep, head, wc, tr, cat, mkdir, mv, sleep and setsid: works
# with busybox and GNU userlands.
# Configuration comes from the environment (synthesized by HotReloadDeployment):
#   HOT_RELOAD_WATCH      watched directories, separated by ':'                 (default: .)
#   HOT_RELOAD_INCLUDE    base-name globs of files that count, space-separated  (default: every file)
#   HOT_RELOAD_EXCLUDE    base-name globs of files/directories to ignore        (default: see below)
#   HOT_RELOAD_ON_CHANGE  lines "GLOB COMMAND": COMMAND runs (sh -c, in the first watched directory)
#                         before the restart when a changed file's base name matches GLOB, and
#                         once before the first start for every GLOB a file in the tree matches
#   HOT_RELOAD_INTERVAL   seconds between polls, at least                       (default: 0.1)
#   HOT_RELOAD_DEBOUNCE   seconds the tree must stay unchanged before a restart (default: 0.05)
#   HOT_RELOAD_GRACE      seconds between TERM and KILL when stopping the app   (default: 5)
#   HOT_RELOAD_MAX_INTERVAL  longest poll interval on large trees (see below)   (default: 1)
#   HOT_RELOAD_STATE_DIR  where fingerprints are kept; never inside a watched directory
#                                                                (default: ${TMPDIR:-/tmp}/hot-reload)
# The interval stretches so that polling uses at most 1/HOT_RELOAD_SCAN_SHARE of one core (default 50,
# i.e. 2 %; measured as CPU time, so a busy node does not slow detection down), but never beyond
# HOT_RELOAD_MAX_INTERVAL, so that changes on big trees are still noticed within about a second.
set -u

WATCH=${HOT_RELOAD_WATCH:-.}
INCLUDE=${HOT_RELOAD_INCLUDE:-}
EXCLUDE=${HOT_RELOAD_EXCLUDE-.git .hg .svn __pycache__ node_modules .venv .mypy_cache .pytest_cache *.pyc *.swp *.swx *~ .#*}
ON_CHANGE=${HOT_RELOAD_ON_CHANGE:-}
INTERVAL=${HOT_RELOAD_INTERVAL:-0.1}
DEBOUNCE=${HOT_RELOAD_DEBOUNCE:-0.05}
GRACE=${HOT_RELOAD_GRACE:-5}
MAX_INTERVAL=${HOT_RELOAD_MAX_INTERVAL:-1}
SCAN_SHARE=${HOT_RELOAD_SCAN_SHARE:-50}
STATE=${HOT_RELOAD_STATE_DIR:-${TMPDIR:-/tmp}/hot-reload}

log() { printf 'hot-reload: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

# now_cs: sets NOW to centiseconds since boot, without forking (polls must stay cheap).
now_cs() { read -r up _ < /proc/uptime; up=${up%.*}${up#*.}; NOW=${up#"${up%%[!0]*}"}; }
# cpu_ticks: sets TICKS to the CPU time (1/100 s) this shell and its reaped children have used:
# utime, stime, cutime and cstime of /proc/$$/stat (fields 14-17), read without forking.
cpu_ticks() { read -r stat < /proc/$$/stat; set -- ${stat##*) }; TICKS=$(( ${12} + ${13} + ${14} + ${15} )); }
# secs CS: "1.23s"
secs() { printf '%d.%02ds' $(($1 / 100)) $(($1 % 100)); }

# --- configuration checks -------------------------------------------------
case $INTERVAL$DEBOUNCE$GRACE$MAX_INTERVAL in *[!0-9.]*) die "HOT_RELOAD_INTERVAL/DEBOUNCE/GRACE/MAX_INTERVAL must be plain numbers of seconds, got '$INTERVAL' '$DEBOUNCE' '$GRACE' '$MAX_INTERVAL'";; esac
case $SCAN_SHARE in ''|*[!0-9]*|0) die "HOT_RELOAD_SCAN_SHARE must be a positive integer, got '$SCAN_SHARE'";; esac
# Durations as centiseconds, computed once, so polls need no awk.
cs_of() { awk -v s="$1" 'BEGIN { printf "%d", s * 100 + 0.5 }'; }
INTERVAL_CS=$(cs_of "$INTERVAL"); [ "$INTERVAL_CS" -ge 1 ] || INTERVAL_CS=1
GRACE_CS=$(cs_of "$GRACE")
MAX_SLEEP_CS=$(cs_of "$MAX_INTERVAL"); [ "$MAX_SLEEP_CS" -ge "$INTERVAL_CS" ] || MAX_SLEEP_CS=$INTERVAL_CS
mkdir -p "$STATE" || die "cannot create state directory $STATE (set HOT_RELOAD_STATE_DIR to a writable directory outside the watched tree)"
STATE=$(cd "$STATE" && pwd -P)
old_ifs=$IFS; IFS=:
for dir in $WATCH; do
  if [ -d "$dir" ]; then
    real=$(cd "$dir" && pwd -P)
    case $STATE/ in "$real"/*) die "state directory $STATE lies inside watched directory $dir: the supervisor never writes into the watched tree; set HOT_RELOAD_STATE_DIR elsewhere";; esac
  fi
done
IFS=$old_ifs

# --- fingerprint ----------------------------------------------------------
# One line per file: "size mtime ctime<TAB>path". Any edit, create, delete or rename changes the
# listing; file contents are never read. No inode numbers: some shared-folder drivers (vboxsf)
# hand out new ones when a file drops out of the inode cache, which would look like an edit.
# A poll is one exec'd `find`: no extra shell, no sort, no temporary file, because forks are
# most of an idle supervisor's CPU. So find's arguments are kept one per line (paths and globs
# cannot contain newlines) and split on newlines, with globbing off.
NL='
'
set -f  # globs in INCLUDE/EXCLUDE are find patterns, not for the shell
alternatives() { out=; for g in $1; do out=$out${out:+$NL-o$NL}-name$NL$g; done; printf '%s' "$out"; }
prune=$(alternatives "$EXCLUDE")
only=$(alternatives "$INCLUDE")
FIND_ARGS=
old_ifs=$IFS; IFS=:
for dir in $WATCH; do FIND_ARGS=$FIND_ARGS$dir$NL; done
IFS=$old_ifs
set +f
[ -n "$prune" ] && FIND_ARGS=$FIND_ARGS"($NL$prune$NL)$NL-prune$NL-o$NL"
FIND_ARGS=$FIND_ARGS-type${NL}f$NL
[ -n "$only" ] && FIND_ARGS=$FIND_ARGS"($NL$only$NL)$NL"
if find /dev/null -maxdepth 0 -printf '' >/dev/null 2>&1; then
  FIND_ARGS=$FIND_ARGS-printf$NL'%s %T@ %C@\t%p\n'          # GNU find
else
  FIND_ARGS=$FIND_ARGS-exec${NL}stat$NL-c$NL"%s %y %z$(printf '\t')%n"$NL{}$NL+   # busybox
fi

# scan: LISTING = the listing of every watched directory, in find's (stable) order.
scan() { LISTING=$(IFS=$NL; set -f; exec find $FIND_ARGS 2>/dev/null); }

# same_files A B: the listings hold the same lines, maybe in another order.
same_files() { [ "$(printf '%s\n' "$1" | LC_ALL=C sort)" = "$(printf '%s\n' "$2" | LC_ALL=C sort)" ]; }

# save FILE TEXT: write TEXT to FILE atomically (a concurrent probe never reads half of it).
save() { printf '%s\n' "$2" > "$1.tmp" && mv "$1.tmp" "$1"; }

# changed_paths OLD NEW: the paths added, modified or deleted between two listings.
changed_paths() {
  save "$STATE/old.lst" "$1"
  save "$STATE/new.lst" "$2"
  awk -F '\t' 'NR == FNR { old[$0] = 1; path[$2] = 1; next }
               { now[$2] = 1 } !($0 in old) { print $2 }
               END { for (p in path) if (!(p in now)) print p }' "$STATE/old.lst" "$STATE/new.lst" | LC_ALL=C sort -u
}

# --- probe / baseline modes (ReloadStrategy.RESTART_CONTAINER) ------------
mode=${1:-supervise}; [ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
case $mode in
  probe)
    [ -f "$STATE/baseline.lst" ] || exit 0   # container still starting
    scan
    baseline=$(cat "$STATE/baseline.lst")
    same_files "$baseline" "$LISTING" && exit 0
    log "change detected, failing liveness so the kubelet restarts the container: $(changed_paths "$baseline" "$LISTING" | head -n 5 | tr '\n' ' ')"
    exit 1;;
  baseline)
    [ $# -gt 0 ] || die "no command given: usage: supervisor.sh baseline -- CMD [ARG...]"
    rm -f "$STATE/baseline.lst"   # a previous container's baseline must not be compared against
    scan
    save "$STATE/baseline.lst" "$LISTING"
    log "baseline recorded ($(wc -l < "$STATE/baseline.lst" | tr -d ' ') files); exec $*"
    exec "$@";;
  supervise) [ $# -gt 0 ] || die "no command given: usage: supervisor.sh supervise -- CMD [ARG...]";;
  *) die "unknown mode '$mode': use supervise, baseline or probe";;
esac

# --- the app --------------------------------------------------------------
app_pid=
command -v setsid >/dev/null 2>&1 || log "warning: setsid not found; only the main process is signalled on restart"

start_app() {
  # Its own session and process group, so that stopping it reaches every worker it forked.
  if command -v setsid >/dev/null 2>&1; then setsid "$@" & else "$@" & fi
  app_pid=$!
}

# group_alive: true while any process of the app's group is alive.
group_alive() { kill -0 -"$app_pid" 2>/dev/null || kill -0 "$app_pid" 2>/dev/null; }

stop_app() {
  [ -n "$app_pid" ] || return 0
  kill -TERM -"$app_pid" 2>/dev/null || kill -TERM "$app_pid" 2>/dev/null
  now_cs; deadline=$(( NOW + GRACE_CS ))
  while group_alive && now_cs && [ "$NOW" -lt "$deadline" ]; do sleep 0.05; done
  if group_alive; then
    log "app (pid $app_pid) ignored TERM for ${GRACE}s: sending KILL to its process group"
    kill -KILL -"$app_pid" 2>/dev/null || kill -KILL "$app_pid" 2>/dev/null
  fi
  wait "$app_pid" 2>/dev/null
  app_pid=
}

on_signal() {
  log "received $1: stopping the app and exiting"
  [ -n "${sleeper:-}" ] && kill "$sleeper" 2>/dev/null
  stop_app
  exit 0
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT
trap 'on_signal HUP' HUP

# run_on_change FILE: run each configured command whose glob matches a changed base name.
# Returns non-zero if one failed (the old app then keeps running).
run_on_change() {
  [ -n "$ON_CHANGE" ] || return 0
  first_dir=${WATCH%%:*}
  failed=0
  printf '%s\n' "$ON_CHANGE" > "$STATE/on-change"
  while read -r glob cmd; do
    [ -n "$glob" ] || continue
    matched=
    while IFS= read -r path; do
      # shellcheck disable=SC2254 # $glob is a pattern on purpose
      case ${path##*/} in $glob) matched=$path; break;; esac
    done < "$1"
    [ -n "$matched" ] || continue
    now_cs; cmd_start=$NOW
    (cd "$first_dir" && sh -c "$cmd") </dev/null >&2
    rc=$?
    now_cs
    if [ "$rc" -eq 0 ]; then
      log "on-change ok: '$cmd' for $matched ($(secs $(( NOW - cmd_start ))))"
    else
      log "on-change FAILED (exit $rc): '$cmd' for $matched; keeping the running app until the next change"
      failed=1
    fi
  done < "$STATE/on-change"
  return "$failed"
}

# --- main loop ------------------------------------------------------------
first=${WATCH%%:*}
while [ ! -d "$first" ]; do
  [ -n "${waited:-}" ] || log "watched directory $first does not exist yet: waiting for it to appear"
  waited=1
  sleep 1
done

scan; CURRENT=$LISTING
log "watching $WATCH ($(printf '%s' "$CURRENT" | grep -c "$(printf '\t')") files, every ${INTERVAL}s); starting: $*"
# Triggers run once before the first start too: what they produce (e.g. dependencies installed
# into an emptyDir) is gone whenever the pod is new. A failure is logged; the app starts anyway.
if [ -n "$ON_CHANGE" ]; then
  printf '%s\n' "$CURRENT" | awk -F '\t' '{ print $2 }' > "$STATE/changed"
  run_on_change "$STATE/changed" || true
  scan; CURRENT=$LISTING
fi
start_app "$@"
sleep_cs=$INTERVAL_CS
cost_x100=0; cpu_ticks; last_ticks=$TICKS

while :; do
  # In the background, so that TERM from the kubelet interrupts the wait at once.
  sleep "$((sleep_cs / 100)).$((sleep_cs % 100 / 10))$((sleep_cs % 10))" & sleeper=$!
  wait "$sleeper"; sleeper=
  if [ -n "$app_pid" ] && ! kill -0 "$app_pid" 2>/dev/null; then
    wait "$app_pid" 2>/dev/null; rc=$?
    kill -TERM -"$app_pid" 2>/dev/null   # workers the app left behind
    log "app exited with status $rc: waiting for the next change to restart it"
    app_pid=
    cpu_ticks; last_ticks=$TICKS   # the app's own CPU, reaped just now, is not the poll's
  fi

  scan
  # CPU budget: the average cost of a poll (smoothed, in 1/100 ticks) times SCAN_SHARE is the period.
  # Ticks are 1/100 s, so cost_x100 * SCAN_SHARE / 100 is the period in centiseconds.
  cpu_ticks; cost=$(( TICKS - last_ticks )); last_ticks=$TICKS
  [ "$cost" -gt 20 ] && cost=20   # a reaped orphan's CPU must not stall detection
  cost_x100=$(( (cost_x100 * 3 + cost * 100) / 4 ))
  now_cs
  sleep_cs=$(( cost_x100 * SCAN_SHARE / 100 ))
  [ "$sleep_cs" -gt "$MAX_SLEEP_CS" ] && sleep_cs=$MAX_SLEEP_CS
  [ "$sleep_cs" -lt "$INTERVAL_CS" ] && sleep_cs=$INTERVAL_CS
  [ "$LISTING" = "$CURRENT" ] && continue
  if same_files "$LISTING" "$CURRENT"; then CURRENT=$LISTING; continue; fi  # only reordered

  # Debounce: wait until the tree holds still (editors and `git checkout` write in bursts),
  # but never longer than 2 s, so that a constant writer cannot starve the restart.
  settle_start=$NOW
  while :; do
    sleep "$DEBOUNCE"
    previous=$LISTING
    scan
    now_cs
    if [ "$LISTING" = "$previous" ] || [ $(( NOW - settle_start )) -ge 200 ]; then break; fi
  done

  restart_start=$NOW
  changed_paths "$CURRENT" "$LISTING" > "$STATE/changed"
  CURRENT=$LISTING
  count=$(wc -l < "$STATE/changed" | tr -d ' ')
  log "change: $count file(s): $(head -n 5 "$STATE/changed" | tr '\n' ' ')$( [ "$count" -gt 5 ] && echo '...')"
  run_on_change "$STATE/changed" || continue
  # What the triggers wrote into the tree (generated code, lock files) is not a new change.
  if [ -n "$ON_CHANGE" ]; then scan; CURRENT=$LISTING; fi
  stop_app
  start_app "$@"
  now_cs
  log "restarted (pid $app_pid) in $(secs $(( NOW - restart_start )))"
  cpu_ticks; last_ticks=$TICKS   # not the poll's cost: the old app (reaped) and the triggers
done
