#!/bin/sh
# Hot-reload supervisor: runs a command and reloads it when the watched tree changes.
#
#   supervisor.sh supervise -- CMD [ARG...]   run CMD, reload it on every change (the default strategy)
#   supervisor.sh baseline  -- CMD [ARG...]   record the tree's fingerprint, then exec CMD
#   supervisor.sh probe                       exit 1 if the tree differs from the recorded baseline
#                                             (liveness probe of the restart-container strategy)
#
# POSIX sh plus find, stat, md5sum, sort, awk, sed, grep (-z), head, tail, cut, wc, tr, cat, cmp, cp,
# mv, ln, mkdir, date, touch, sleep and setsid: works with busybox and GNU userlands. It never
# writes into the watched tree.
# Configuration comes from the environment (rendered by lib/supervisor/supervisor-config.ts):
#   HOT_RELOAD_WATCH      watched directories, separated by ':'                 (default: .)
#   HOT_RELOAD_INCLUDE    base-name globs of files that count, space-separated  (default: every file)
#   HOT_RELOAD_EXCLUDE    base-name globs of files/directories to ignore        (default: see below)
#   HOT_RELOAD_ON_CHANGE  lines "GLOB COMMAND": COMMAND runs (sh -c, in the first watched directory)
#                         before the reload when a changed file's base name matches GLOB, and
#                         once before the first start for every GLOB a file in the tree matches
#   HOT_RELOAD_CHECK      shell command run before the running app is touched, with the changed
#                         files as "$@" (and their list in the file $HOT_RELOAD_CHANGED); if it
#                         fails, the running app keeps serving. Also run (without files) before
#                         the first start. E.g. a syntax check, or a build into a new file.
#   HOT_RELOAD_ACTION     restart (default): stop the app's process group, start it again;
#                         signal:SIG: send SIG to the app's main process (an in-place graceful
#                         reload, e.g. signal:HUP for gunicorn); a restart when it is not running
#                         or has no handler for SIG (yet)
#   HOT_RELOAD_INTERVAL   seconds between polls, at least                       (default: 0.05)
#   HOT_RELOAD_DEBOUNCE   seconds the tree must stay unchanged before a reload  (default: 0.05)
#   HOT_RELOAD_GRACE      seconds between TERM and KILL when stopping the app   (default: 5)
#   HOT_RELOAD_MAX_INTERVAL  longest poll interval on large trees (see below)   (default: 1)
#   HOT_RELOAD_STATE_DIR  where stamps and listings are kept; never inside a watched directory
#                                                                (default: ${TMPDIR:-/tmp}/hot-reload)
# The interval stretches so that polling uses at most 1/HOT_RELOAD_SCAN_SHARE of one core (default 50,
# i.e. 2 %; measured as CPU time, so a busy node does not slow detection down), but never beyond
# HOT_RELOAD_MAX_INTERVAL, so that changes on big trees are still noticed within about a second.
# For HOT_RELOAD_ACTIVE_WINDOW seconds after a change (default 60: someone is editing), polling may
# use up to 1/HOT_RELOAD_ACTIVE_SCAN_SHARE of a core (default 10, i.e. 10 %), so the next save is
# noticed sooner; an idle tree costs the 2 % again.
#
# Change detection (docs/supervisor.md): a poll is one `find` that prints only the entries changed
# since a stamp file (mtime, or ctime: `touch -r` and rsync); a directory's mtime moves on every
# create, delete and rename in it, so an idle poll prints nothing and lists nothing. The stamp is
# at least 2 s older than the previous poll, so coarse (1 s) timestamps and small clock skews lose
# nothing; on a filesystem with 1-second timestamps, files modified that recently are also hashed
# (md5sum, up to 1 MiB), so two same-size edits within one second are told apart. Only a changed
# directory costs a full listing. A change whose timestamps are already HOT_RELOAD_DEBOUNCE old is
# not waited for again.
set -u

WATCH=${HOT_RELOAD_WATCH:-.}
INCLUDE=${HOT_RELOAD_INCLUDE:-}
EXCLUDE=${HOT_RELOAD_EXCLUDE-.git .hg .svn __pycache__ node_modules .venv .mypy_cache .pytest_cache *.pyc *.swp *.swx *~ .#*}
ON_CHANGE=${HOT_RELOAD_ON_CHANGE:-}
CHECK=${HOT_RELOAD_CHECK:-}
ACTION=${HOT_RELOAD_ACTION:-restart}
INTERVAL=${HOT_RELOAD_INTERVAL:-0.05}
DEBOUNCE=${HOT_RELOAD_DEBOUNCE:-0.05}
GRACE=${HOT_RELOAD_GRACE:-5}
MAX_INTERVAL=${HOT_RELOAD_MAX_INTERVAL:-1}
SCAN_SHARE=${HOT_RELOAD_SCAN_SHARE:-50}
ACTIVE_SHARE=${HOT_RELOAD_ACTIVE_SCAN_SHARE:-10}
ACTIVE_WINDOW=${HOT_RELOAD_ACTIVE_WINDOW:-60}
STATE=${HOT_RELOAD_STATE_DIR:-${TMPDIR:-/tmp}/hot-reload}
NL='
'
TAB=$(printf '\t')

log() { printf 'hot-reload: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

# now_cs: sets NOW to centiseconds since boot, without forking (polls must stay cheap).
now_cs() { read -r up _ < /proc/uptime; up=${up%.*}${up#*.}; NOW=${up#"${up%%[!0]*}"}; NOW=${NOW:-0}; }
# cpu_ticks: sets TICKS to the CPU time (1/100 s) this shell and its reaped children have used:
# utime, stime, cutime and cstime of /proc/$$/stat (fields 14-17), read without forking.
cpu_ticks() { read -r stat < /proc/$$/stat; set -- ${stat##*) }; TICKS=$(( ${12} + ${13} + ${14} + ${15} )); }
# secs CS: "1.23s"
secs() { printf '%d.%02ds' $(($1 / 100)) $(($1 % 100)); }

# --- configuration checks -------------------------------------------------
case $INTERVAL$DEBOUNCE$GRACE$MAX_INTERVAL in *[!0-9.]*) die "HOT_RELOAD_INTERVAL/DEBOUNCE/GRACE/MAX_INTERVAL must be plain numbers of seconds, got '$INTERVAL' '$DEBOUNCE' '$GRACE' '$MAX_INTERVAL'";; esac
for share in "SCAN_SHARE=$SCAN_SHARE" "ACTIVE_SCAN_SHARE=$ACTIVE_SHARE" "ACTIVE_WINDOW=$ACTIVE_WINDOW"; do
  case ${share#*=} in ''|*[!0-9]*|0) die "HOT_RELOAD_${share%%=*} must be a positive integer, got '${share#*=}'";; esac
done
case $ACTION in
  restart) SIGNAL=;;
  signal:[A-Z]*) SIGNAL=${ACTION#signal:};;
  *) die "HOT_RELOAD_ACTION must be 'restart' or 'signal:NAME' (e.g. signal:HUP), got '$ACTION'";;
esac
SIGNAL=${SIGNAL#SIG} SIGNAL_NO=
if [ -n "$SIGNAL" ]; then   # its number, to read the app's handlers in /proc (handles_signal)
  n=0; while [ "$n" -lt 31 ] && [ -z "$SIGNAL_NO" ]; do n=$((n + 1)); [ "$(kill -l "$n")" = "$SIGNAL" ] && SIGNAL_NO=$n; done
  [ -n "$SIGNAL_NO" ] || die "HOT_RELOAD_ACTION=$ACTION names no signal this shell knows (kill -l lists them); e.g. signal:HUP"
fi
# Durations as centiseconds, computed once, so polls need no awk.
cs_of() { awk -v s="$1" 'BEGIN { printf "%d", s * 100 + 0.5 }'; }
INTERVAL_CS=$(cs_of "$INTERVAL"); [ "$INTERVAL_CS" -ge 1 ] || INTERVAL_CS=1
DEBOUNCE_CS=$(cs_of "$DEBOUNCE")
GRACE_CS=$(cs_of "$GRACE")
MAX_SLEEP_CS=$(cs_of "$MAX_INTERVAL"); [ "$MAX_SLEEP_CS" -ge "$INTERVAL_CS" ] || MAX_SLEEP_CS=$INTERVAL_CS
mkdir -p "$STATE" || die "cannot create state directory $STATE (set HOT_RELOAD_STATE_DIR to a writable directory outside the watched tree)"
STATE=$(cd "$STATE" && pwd -P)
old_ifs=$IFS; IFS=:
for dir in $WATCH; do
  if [ -d "$dir" ]; then
    real=$(cd "$dir" 2>/dev/null && pwd -P) || die "cannot enter watched directory $dir as uid $(id -u): make it searchable (chmod a+rx) for the app's user, or run as its owner"
    case $STATE/ in "$real"/*) die "state directory $STATE lies inside watched directory $dir: the supervisor never writes into the watched tree; set HOT_RELOAD_STATE_DIR elsewhere";; esac
  fi
done
IFS=$old_ifs

# --- find expressions -----------------------------------------------------
# Arguments are kept one per line (paths and globs with newlines are not supported in the
# configuration) and split on newlines with globbing off, so a poll is one exec'd `find`.
set -f  # globs in INCLUDE/EXCLUDE are find patterns, not for the shell
alternatives() { out=; for g in $1; do out=$out${out:+$NL-o$NL}-name$NL$g; done; printf '%s' "$out"; }
prune=$(alternatives "$EXCLUDE")
only=$(alternatives "$INCLUDE")
# -H: a watched directory given as a symlink is followed (symlinks inside the tree are not).
PRE=-H$NL
old_ifs=$IFS; IFS=:
for dir in $WATCH; do PRE=$PRE$dir$NL; done
IFS=$old_ifs
ROOTS=$PRE
set +f
FILES=-type${NL}f$NL
[ -n "$only" ] && FILES=$FILES"($NL$only$NL)$NL"
if find /dev/null -maxdepth 0 -printf '' >/dev/null 2>&1; then   # GNU find
  PRINT=-printf$NL"%y %s %T@ %C@$TAB%p\\n"$NL
  META_RE="^[a-z] [0-9]+ [0-9.]+ [0-9.]+$TAB"
  CTIME_NEWER=-cnewer   # + the stamp
  # GNU find moves name tests before all others; an action in between keeps the order, so that
  # the exclude globs are matched against directories and changed files only, not every file
  # (13 globs x 10k files were half the cost of an idle poll).
  BARRIER=-fprint$NL/dev/null$NL
else                                                              # busybox find: stat prints
  PRINT=-exec${NL}stat$NL-c$NL"%f %s %y %z$TAB%n"$NL{}$NL+$NL
  META_RE="^[0-9a-f]+ [0-9]+ [0-9-]+ [0-9:.]+ [-+0-9]+ [0-9-]+ [0-9:.]+ [-+0-9]+$TAB"
  CTIME_NEWER=          # no -cnewer: ctime changes of the last minute instead (-cmin -1)
  BARRIER=
fi
NOT_EXCLUDED=
if [ -n "$prune" ]; then
  PRE=$PRE-type${NL}d$NL$BARRIER"($NL$prune$NL)$NL-prune$NL-o$NL"   # excluded directories
  NOT_EXCLUDED="!$NL($NL$prune$NL)$NL"                               # excluded files
fi
HASH_RE='^.?[0-9a-f]+  '
LIST_ARGS=$PRE$FILES$NOT_EXCLUDED$PRINT
# cand_args STAMP: entries changed since STAMP; recently modified small files also hashed.
cand_args() {
  if [ -n "$CTIME_NEWER" ]; then ct=$CTIME_NEWER$NL$1; else ct=-cmin$NL-1; fi
  # (busybox find runs no `-exec {} +` inside parentheses: hence the test twice, unbracketed.)
  since="($NL-newer$NL$1$NL-o$NL$ct$NL)$NL"
  CAND_ARGS=$PRE$since-type${NL}d$NL$PRINT-o$NL$since$BARRIER$FILES$NOT_EXCLUDED$PRINT
  [ -n "$HASHING" ] && CAND_ARGS=$CAND_ARGS-newer$NL$1$NL-size$NL-1024k$NL-exec${NL}md5sum$NL{}$NL+
}
# check_granularity: HASHING stays on unless every watched directory's ctime has a sub-second part
# (GNU find): such a filesystem tells two same-size edits within one second apart by their mtimes,
# and hashing recently modified files on every poll would only cost time.
HASHING=1
check_granularity() {
  HASHING=1
  [ -n "$CTIME_NEWER" ] || return 0
  ctimes=$( (IFS=$NL; set -f; exec find $ROOTS -maxdepth 0 -printf '%C@\n') 2>/dev/null) || return 0
  for c in $ctimes; do case $c in *.0000000000|*[!0-9.]*) return 0;; esac; done
  [ -n "$ctimes" ] && HASHING=
}

# run_find OUT ERR ARGS: find's output into OUT. In the background and waited for, so that TERM
# interrupts even a long scan at once.
run_find() {
  (IFS=$NL; set -f; exec find $3) > "$1" 2> "$2" & scan_pid=$!
  wait "$scan_pid"; scan_pid=
}

# Listings are files (never shell variables: a 200k-file tree must not cost the shell 100+ MB).
# A record is a meta line "TYPE SIZE MTIME CTIME<TAB>PATH" or a hash line "MD5  PATH"; a line
# that is neither continues the previous record (a file name with a newline).
AWK_RECORDS='
function esc(s) { gsub(/\n/, "\\n", s); gsub(/\t/, "\\t", s); return s }
function path_of(r) { return (r ~ META) ? substr(r, index(r, "\t") + 1) : substr(r, index(r, "  ") + 2) }
function is_dir(r,   f) { split(r, f, " "); return r ~ META && (f[1] == "d" || f[1] ~ /^4[0-9a-f][0-9a-f][0-9a-f]$/) }
function flush() { if (have) record(rec, recfile); have = 0 }
$0 ~ META || $0 ~ HASH { flush(); rec = $0; recfile = (FILENAME == ARGV[1]) ? 1 : 2; have = 1; next }
have { rec = rec "\n" $0 }
END { flush(); done() }
'
# full_diff OLD NEW: escaped paths added, modified or deleted between two full listings. Both are
# turned into sorted "path<TAB>meta" lines and merged in one pass, so memory stays flat however big
# the tree (GNU sort spills to the state directory beyond 16 MB).
full_diff() {
  sorted_records "$1" > "$STATE/old.sorted"
  sorted_records "$2" > "$STATE/new.sorted"
  LC_ALL=C awk -v A="$STATE/old.sorted" -v B="$STATE/new.sorted" '
    function next_a() { ha = (getline la < A) > 0 }
    function next_b() { hb = (getline lb < B) > 0 }
    function key(l) { return substr(l, 1, index(l, "\t") - 1) }
    BEGIN {
      next_a(); next_b()
      while (ha || hb) {
        if (ha && (!hb || la < lb)) { print key(la); next_a() }
        else if (hb && (!ha || lb < la)) { print key(lb); next_b() }
        else { next_a(); next_b() }
      }
    }' | LC_ALL=C sort -u
  rm -f "$STATE/old.sorted" "$STATE/new.sorted"
}
sorted_records() {
  awk -v META="$META_RE" -v HASH="$HASH_RE" "$AWK_RECORDS"'
function record(r, n) { print esc(path_of(r)) "\t" substr(r, 1, index(r, "\t") - 1) }
function done() { }' "$1" | LC_ALL=C sort -S 16M -T "$STATE"
}
# cand_diff OLD NEW: records of NEW not in OLD, as "D<TAB>dir" or "F<TAB>file" (escaped).
cand_diff() {
  awk -v META="$META_RE" -v HASH="$HASH_RE" "$AWK_RECORDS"'
function record(r, n) { if (n == 1) old[r] = 1; else if (!(r in old)) print (is_dir(r) ? "D" : "F") "\t" esc(path_of(r)) }
function done() { }' "$1" "$2"
}
# patch_full CAND FULL: FULL with the meta lines of CAND'"'"'s files replacing theirs.
patch_full() {
  awk -v META="$META_RE" -v HASH="$HASH_RE" "$AWK_RECORDS"'
function record(r, n,   p) {
  if (n == 1) { if (r ~ META && !is_dir(r)) new[path_of(r)] = r; return }
  p = path_of(r); if (p in new) { print new[p]; delete new[p] } else print r }
function done(   p) { }' "$1" "$2" > "$2.tmp" && mv "$2.tmp" "$2"
}
count_files() { awk -v M="$META_RE" '$0 ~ M { n++ } END { print n + 0 }' "$1"; }

# warn_unreadable ERR: name what find could not read, once per distinct set.
warn_unreadable() {
  [ -s "$1" ] || return 0
  if [ -f "$STATE/warned" ] && cmp -s "$1" "$STATE/warned"; then return 0; fi
  cp "$1" "$STATE/warned"
  log "warning: $(wc -l < "$1" | tr -d ' ') entr(y/ies) cannot be read, changes there are not seen: $(head -n 5 "$1" | tr '\n' '|' | sed 's/|$//; s/|/ | /g')"
}

list_tree() { run_find "$1" "$STATE/list.err" "$LIST_ARGS"; }

# --- probe / baseline modes (ReloadStrategy.RESTART_CONTAINER) ------------
mode=${1:-supervise}; [ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
case $mode in
  probe)
    [ -f "$STATE/baseline.lst" ] || exit 0   # container still starting
    scan_pid=
    run_find "$STATE/probe.$$" /dev/null "$LIST_ARGS"
    changed=$(full_diff "$STATE/baseline.lst" "$STATE/probe.$$" | head -n 5 | tr '\n' ' ')
    rm -f "$STATE/probe.$$"
    [ -z "$changed" ] && exit 0
    log "change detected, failing liveness so the kubelet restarts the container: $changed"
    exit 1;;
  baseline)
    [ $# -gt 0 ] || die "no command given: usage: supervisor.sh baseline -- CMD [ARG...]"
    rm -f "$STATE/baseline.lst"   # a previous container's baseline must not be compared against
    scan_pid=
    run_find "$STATE/baseline.tmp" /dev/null "$LIST_ARGS"
    mv "$STATE/baseline.tmp" "$STATE/baseline.lst"
    log "baseline recorded ($(count_files "$STATE/baseline.lst") files); exec $*"
    exec "$@";;
  supervise) [ $# -gt 0 ] || die "no command given: usage: supervisor.sh supervise -- CMD [ARG...]";;
  *) die "unknown mode '$mode': use supervise, baseline or probe";;
esac

# --- the app --------------------------------------------------------------
app_pid= app_mark= scan_pid= sleeper= helper= run_no=0
HAVE_SETSID=; command -v setsid >/dev/null 2>&1 && HAVE_SETSID=1
[ -n "$HAVE_SETSID" ] || log "warning: setsid not found; only the main process is signalled on restart"

start_app() {
  # Its own session and process group, so that stopping it reaches every worker it forked; and a
  # mark in its environment, inherited by whatever leaves that group (a daemon calling setsid).
  # It starts in APP_DIR, entered by path again, so a switched symlink takes effect.
  run_no=$((run_no + 1)); app_mark="HOT_RELOAD_RUN=$$.$run_no."
  if [ -n "$HAVE_SETSID" ]; then (cd "$APP_DIR" 2>/dev/null; HOT_RELOAD_RUN=$$.$run_no. exec setsid "$@") &
  else (cd "$APP_DIR" 2>/dev/null; HOT_RELOAD_RUN=$$.$run_no. exec "$@") & fi
  app_pid=$!
}

# handles_signal PID: false when PID has no handler for SIGNAL (SigCgt in /proc/PID/status): it is
# still starting, or never installs one (a shell around the server). The signal would kill it, or
# be ignored, instead of reloading it. True when /proc cannot tell.
handles_signal() {
  cgt=
  while read -r key val; do [ "$key" = SigCgt: ] && cgt=$val && break; done 2>/dev/null < "/proc/$1/status"
  [ -n "$cgt" ] || return 0
  cgt=${cgt#"${cgt%????????}"}   # signals 1-32: the low 32 bits
  [ $(( 0x$cgt >> (SIGNAL_NO - 1) & 1 )) = 1 ]
}

# strays MARK: processes of that run outside its process group (found by the mark in their
# environment), and, when the supervisor is PID 1, every orphan re-parented to it.
strays() {
  out=
  for f in $(grep -l -z -x -F -e "$1" /proc/[0-9]*/environ 2>/dev/null); do   # -z: NUL-separated entries
    p=${f#/proc/}; p=${p%/environ}
    { read -r st < "/proc/$p/stat"; } 2>/dev/null || continue
    set -- ${st##*) }
    [ "$3" = "${app_pid:-x}" ] || out="$out $p"
  done
  if [ "$$" = 1 ]; then
    for f in /proc/[0-9]*/stat; do
      { read -r st < "$f"; } 2>/dev/null || continue
      p=${st%% *}; set -- ${st##*) }
      [ "$2" = 1 ] && [ "$1" != Z ] && [ "$p" != "${app_pid:-x}" ] && [ "$p" != "${helper:-x}" ] \
        && [ "$p" != "${scan_pid:-x}" ] && [ "$p" != "${sleeper:-x}" ] || continue
      case " $out " in *" $p "*) ;; *) out="$out $p";; esac
    done
  fi
  STRAYS=${out# }
}

names_of() { for p in $1; do printf '%s(%s) ' "$p" "$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | cut -c1-40)"; done; }

# alive PIDS: true while the app's group or any of PIDS lives.
alive() {
  [ -n "$app_pid" ] && { kill -0 -"$app_pid" 2>/dev/null || kill -0 "$app_pid" 2>/dev/null; } && return 0
  for p in $1; do kill -0 "$p" 2>/dev/null && return 0; done
  return 1
}

stop_app() {
  STRAYS=
  [ -n "$app_mark" ] && strays "$app_mark"
  [ -n "$app_pid" ] || [ -n "$STRAYS" ] || return 0
  terminate "$STRAYS"
  [ -n "$app_pid" ] && wait "$app_pid" 2>/dev/null
  app_pid=
  # Children of the app that had left its group are orphans only now (PID 1 sees them as such).
  if [ "$$" = 1 ] && [ -n "$app_mark" ]; then strays "$app_mark"; [ -n "$STRAYS" ] && terminate "$STRAYS"; fi
}

# terminate STRAYS: TERM the app's group (while app_pid is set) and STRAYS; KILL after the grace period.
terminate() {
  left=$1
  [ -n "$left" ] && log "stopping $(echo $left | wc -w | tr -d ' ') process(es) that left the app's process group$( [ "$$" = 1 ] && echo ' (the supervisor is PID 1 and reaps every orphan)'): $(names_of "$left")"
  if [ -n "$app_pid" ]; then kill -TERM -"$app_pid" 2>/dev/null || kill -TERM "$app_pid" 2>/dev/null; fi
  [ -n "$left" ] && kill -TERM $left 2>/dev/null
  now_cs; deadline=$(( NOW + GRACE_CS ))
  # Short steps first: most apps exit within a few milliseconds of TERM.
  step=0.01 n=0
  while alive "$left" && now_cs && [ "$NOW" -lt "$deadline" ]; do
    sleep "$step"; n=$((n + 1)); [ "$n" -eq 10 ] && step=0.05
  done
  if alive "$left"; then
    log "app (pid ${app_pid:-?}) ignored TERM for ${GRACE}s: sending KILL to its process group"
    [ -n "$app_pid" ] && { kill -KILL -"$app_pid" 2>/dev/null || kill -KILL "$app_pid" 2>/dev/null; }
    [ -n "$left" ] && kill -KILL $left 2>/dev/null
  fi
}

on_signal() {
  log "received $1: stopping the app and exiting"
  for p in $sleeper $scan_pid; do kill "$p" 2>/dev/null; done
  [ -n "$helper" ] && { kill -TERM -"$helper" 2>/dev/null || kill -TERM "$helper" 2>/dev/null; }
  stop_app
  exit 0
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT
trap 'on_signal HUP' HUP

# run_helper DIR CMD ARG...: run a trigger or check command (sh -c) in its own process group,
# output into $STATE/helper.out, waited for so that TERM interrupts it (and stops its group).
run_helper() {
  hdir=$1; shift
  if [ -n "$HAVE_SETSID" ]; then (cd "$hdir" && exec setsid sh -c "$@") </dev/null > "$STATE/helper.out" 2>&1 &
  else (cd "$hdir" && exec sh -c "$@") </dev/null > "$STATE/helper.out" 2>&1 & fi
  helper=$!
  wait "$helper"; rc=$?
  helper=
  return "$rc"
}
# one_line FILE: a command's output as one log-friendly line: its non-empty lines joined, the first
# and last 3 of them when there are more (compilers name file:line first, a summary comes last).
one_line() {
  awk 'NF { l[++n] = $0 } END {
    for (i = 1; i <= n; i++)
      if (n <= 6 || i <= 3 || i > n - 3) printf "%s%s", (i > 1 ? " | " : ""), l[i]; else if (i == 4) printf " | ..."
  }' "$1" | tr '\t' ' ' | cut -c1-600
}

# run_on_change CHANGED: run each configured command whose glob matches a changed base name.
# Returns non-zero if one failed (the running app is then left as it is). Sets RAN_GLOBS.
run_on_change() {
  RAN_GLOBS=
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
    RAN_GLOBS="$RAN_GLOBS $glob"
    now_cs; cmd_start=$NOW
    run_helper "$first_dir" "$cmd"; rc=$?
    cat "$STATE/helper.out" >&2
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

# matches_trigger CHANGED: true if a changed base name matches any onChange glob.
matches_trigger() {
  printf '%s\n' "$ON_CHANGE" | {
    while read -r glob _; do
      [ -n "$glob" ] || continue
      while IFS= read -r path; do
        case ${path##*/} in $glob) exit 0;; esac
      done < "$1"
    done
    exit 1
  }
}

# run_check CHANGED: HOT_RELOAD_CHECK with the changed files (up to 1000 as arguments).
run_check() {
  [ -n "$CHECK" ] || return 0
  list=$1
  set --
  if [ -n "$list" ] && [ "$(wc -l < "$list")" -le 1000 ]; then
    while IFS= read -r p; do [ -e "$p" ] && set -- "$@" "$p"; done < "$list"
  fi
  HOT_RELOAD_CHANGED=${list:-/dev/null}; export HOT_RELOAD_CHANGED
  run_helper "$APP_DIR" "$CHECK" check "$@"
}

# --- change detection -----------------------------------------------------
# A ring of stamp files written (never in the tree) every half second or so; a poll compares
# against the newest one written at least 2 s before the previous poll began (until there is
# one, against a stamp dated 3 s before the start).
stamp_next=0 stamp_last=-1000 prev_poll=0
new_stamp() {
  printf '%s' "$NOW" > "$STATE/stamp.$stamp_next"
  eval "stamp_at_$stamp_next=$NOW"
  stamp_next=$(( (stamp_next + 1) % 8 )); stamp_last=$NOW
}
pick_stamp() {
  STAMP=$BASE_STAMP best=-1 i=0
  while [ $i -lt 8 ]; do
    eval "c=\${stamp_at_$i:--1}"
    if [ "$c" -ge 0 ] && [ "$c" -le "$1" ] && [ "$c" -gt "$best" ]; then best=$c; STAMP=$STATE/stamp.$i; fi
    i=$((i + 1))
  done
}

# poll OUT: one find into OUT (candidates since STAMP, or a full listing while no stamp is old
# enough yet). Sets POLL_MODE to cand or full.
poll() {
  if [ -n "$STAMP" ]; then
    cand_args "$STAMP"; POLL_MODE=cand
    run_find "$1" "$STATE/poll.err" "$CAND_ARGS"
  else
    POLL_MODE=full
    list_tree "$1"
  fi
}
# differs OUT: the poll's output differs from the baseline of its mode.
differs() {
  if [ "$POLL_MODE" = cand ]; then
    [ -s "$1" ] || [ -s "$STATE/cand.lst" ] || return 1
    ! cmp -s "$1" "$STATE/cand.lst"
  else
    ! cmp -s "$1" "$STATE/full.lst"
  fi
}
# quiet_for OUT: QUIET_CS = centiseconds since the newest change (mtime or ctime) among the entries
# of the poll output OUT that its baseline does not hold; -1 when unknown (busybox find prints no
# fractional epoch times, only a hash changed, or a clock that is not GNU date's).
EPOCH_NS=; [ -n "$CTIME_NEWER" ] && case $(date +%s%N 2>/dev/null) in *[!0-9]*|'') ;; *) EPOCH_NS=1;; esac
quiet_for() {
  QUIET_CS=-1
  [ -n "$EPOCH_NS" ] || return 0
  if [ "$POLL_MODE" = cand ]; then base=$STATE/cand.lst; else base=$STATE/full.lst; fi
  [ -f "$base" ] || base=/dev/null
  QUIET_CS=$(awk -v META="$META_RE" -v HASH="$HASH_RE" -v now="$(date +%s%N)" "$AWK_RECORDS"'
function record(r, n,   f) {
  if (n == 1) { old[r] = 1; return }
  if ((r in old) || r !~ META) return
  split(r, f, "[ \t]"); if (f[3] + 0 > newest) newest = f[3] + 0; if (f[4] + 0 > newest) newest = f[4] + 0 }
function done(   age) {
  if (!newest) { print -1; return }
  age = int((substr(now, 1, length(now) - 7) / 100 - newest) * 100)   # now in ns, as centiseconds
  print (age < 0 ? 0 : age) }' "$base" "$1")
  case $QUIET_CS in ''|*[!0-9-]*) QUIET_CS=-1;; esac
}
# collect OUT: the changed files (escaped paths, sorted) from the settled poll output OUT, and
# the baselines moved forward. Sets DIRS_CHANGED when a full listing was needed.
collect() {
  DIRS_CHANGED=
  apply_patch
  if [ "$POLL_MODE" = cand ]; then
    cand_diff "$STATE/cand.lst" "$1" > "$STATE/cand.diff"
    mv "$1" "$STATE/cand.lst"
    if grep -q "^D" "$STATE/cand.diff"; then DIRS_CHANGED=1; fi
    sed -n "s/^F$TAB//p" "$STATE/cand.diff" > "$STATE/changed.files"
  else
    : > "$STATE/changed.files"; DIRS_CHANGED=1
    [ -f "$1" ] && mv "$1" "$STATE/full.new"
  fi
  if [ -n "$DIRS_CHANGED" ]; then
    [ "$POLL_MODE" = cand ] && list_tree "$STATE/full.new"
    full_diff "$STATE/full.lst" "$STATE/full.new" >> "$STATE/changed.files"
    mv "$STATE/full.new" "$STATE/full.lst"
    warn_unreadable "$STATE/list.err"
  elif [ -s "$STATE/changed.files" ]; then
    cp "$STATE/cand.lst" "$STATE/patch.lst"; PATCH_PENDING=1   # applied after the reload
  fi
  LC_ALL=C sort -u "$STATE/changed.files" > "$STATE/changed"
}

# link_watched: a symlink in the state directory to what each watched directory resolves to now.
link_watched() {
  i=0 old_ifs=$IFS; IFS=:
  for d in $WATCH; do i=$((i + 1)); ln -sfn "$(cd "$d" 2>/dev/null && pwd -P)" "$STATE/watch.$i"; done
  IFS=$old_ifs
}
# apply_patch: the full listing brought up to date with the file changes last collected.
PATCH_PENDING=
apply_patch() { [ -z "$PATCH_PENDING" ] || patch_full "$STATE/patch.lst" "$STATE/full.lst"; PATCH_PENDING=; }

# watched_present: every watched directory exists (a deleted tree is not reloaded into); REPLACED
# names one that is now another directory (a symlink switched, a directory moved over it).
watched_present() {
  i=0 REPLACED= old_ifs=$IFS; IFS=:
  for d in $WATCH; do
    i=$((i + 1))
    [ -d "$d" ] || { IFS=$old_ifs; MISSING=$d; return 1; }
    [ "$d" -ef "$STATE/watch.$i" ] || REPLACED=$d
  done
  IFS=$old_ifs
}

# --- main loop ------------------------------------------------------------
# APP_DIR: the working directory, by its path under a watched directory when it lies in one (the
# watched path may be a symlink that is switched later), else as it is.
APP_DIR=$(pwd -P)
old_ifs=$IFS; IFS=:
for dir in $WATCH; do
  real=$(cd "$dir" 2>/dev/null && pwd -P) || continue
  case $APP_DIR/ in "$real"/*) APP_DIR=$dir${APP_DIR#"$real"}; break;; esac
done
IFS=$old_ifs
first=${WATCH%%:*}
while [ ! -d "$first" ]; do
  [ -n "${waited:-}" ] || log "watched directory $first does not exist yet: waiting for it to appear"
  waited=1
  sleep 1
done

now_cs; new_stamp
check_granularity
BASE_STAMP=$STATE/stamp.base
touch -d "@$(( $(date +%s) - 3 ))" "$BASE_STAMP" 2>/dev/null || BASE_STAMP=   # else: full listings at first
link_watched
rm -f "$STATE/cand.lst"
list_tree "$STATE/full.lst"
if [ -n "$BASE_STAMP" ]; then cand_args "$BASE_STAMP"; run_find "$STATE/cand.lst" "$STATE/poll.err" "$CAND_ARGS"; fi
warn_unreadable "$STATE/list.err"
log "watching $WATCH ($(count_files "$STATE/full.lst") files, every ${INTERVAL}s, reload by $ACTION${CHECK:+ after a check}${HASHING:+, hashing recent edits: 1-second timestamps or busybox find}); starting: $*"
# Triggers run once before the first start too: what they produce (e.g. dependencies installed
# into an emptyDir) is gone whenever the pod is new. A failure is logged; the app starts anyway.
if [ -n "$ON_CHANGE" ]; then
  awk -v M="$META_RE" '$0 ~ M { print substr($0, index($0, "\t") + 1) }' "$STATE/full.lst" > "$STATE/changed"
  run_on_change "$STATE/changed" || true
  list_tree "$STATE/full.lst"
fi
if run_check ""; then start_app "$@"
else log "check FAILED (exit $rc): $(one_line "$STATE/helper.out"); not starting until the next change"; fi
sleep_cs=$INTERVAL_CS
cost_x100=0; cpu_ticks; last_ticks=$TICKS
ACTIVE_WINDOW_CS=$((ACTIVE_WINDOW * 100)); now_cs; last_change=$((NOW - ACTIVE_WINDOW_CS))   # idle at start
gone=

while :; do
  # In the background, so that TERM from the kubelet interrupts the wait at once.
  sleep "$((sleep_cs / 100)).$((sleep_cs % 100 / 10))$((sleep_cs % 10))" & sleeper=$!
  wait "$sleeper"; sleeper=
  if [ -n "$app_pid" ] && ! kill -0 "$app_pid" 2>/dev/null; then
    wait "$app_pid" 2>/dev/null; rc=$?
    kill -TERM -"$app_pid" 2>/dev/null   # workers the app left behind
    strays "$app_mark"
    extra=; [ -n "$STRAYS" ] && extra="; still running from it: $(names_of "$STRAYS")(stopped at the next reload)"
    log "app exited with status $rc: waiting for the next change to restart it$extra"
    app_pid=
    cpu_ticks; last_ticks=$TICKS   # the app's own CPU, reaped just now, is not the poll's
  fi

  now_cs; poll_start=$NOW
  [ $(( NOW - stamp_last )) -ge 50 ] && new_stamp
  if ! watched_present; then
    [ -n "$gone" ] || log "watched directory $MISSING is gone: the app is left as it is until it comes back"
    gone=1; sleep_cs=$MAX_SLEEP_CS; continue
  fi
  if [ -n "$REPLACED" ] || [ -n "$gone" ]; then
    [ -n "$REPLACED" ] && log "watched directory $REPLACED is now another directory: comparing the whole tree"
    link_watched; check_granularity; gone=1   # a full comparison, and a restart: the app's working directory is stale
  fi
  pick_stamp $(( prev_poll - 200 ))
  prev_poll=$poll_start
  if [ -n "$gone" ]; then STAMP=; rm -f "$STATE/cand.lst"; fi   # the tree is back: a full listing
  if [ -n "$STAMP" ] && [ ! -f "$STATE/cand.lst" ]; then
    # First poll with a stamp: its candidates become the baseline, and this once the full
    # listing is compared too, so nothing changed since the last full listing is lost.
    cand_args "$STAMP"; run_find "$STATE/cand.lst" "$STATE/poll.err" "$CAND_ARGS"; STAMP=
  fi
  poll "$STATE/poll.out"
  # CPU budget: the average cost of a poll (smoothed, in 1/100 ticks) times the share is the period.
  # Ticks are 1/100 s, so cost_x100 * share / 100 is the period in centiseconds.
  share=$SCAN_SHARE; [ $(( poll_start - last_change )) -lt "$ACTIVE_WINDOW_CS" ] && share=$ACTIVE_SHARE
  cpu_ticks; cost=$(( TICKS - last_ticks )); last_ticks=$TICKS
  [ "$cost" -gt 20 ] && cost=20   # a reaped orphan's CPU must not stall detection
  cost_x100=$(( (cost_x100 * 3 + cost * 100) / 4 ))
  sleep_cs=$(( cost_x100 * share / 100 ))
  [ "$sleep_cs" -gt "$MAX_SLEEP_CS" ] && sleep_cs=$MAX_SLEEP_CS
  [ "$sleep_cs" -lt "$INTERVAL_CS" ] && sleep_cs=$INTERVAL_CS
  differs "$STATE/poll.out" || { gone=; continue; }

  # Debounce: wait until the tree holds still (editors and `git checkout` write in bursts),
  # but never longer than 2 s, so that a constant writer cannot starve the reload. When the
  # timestamps of what changed already say it is DEBOUNCE old, there is nothing to wait for.
  now_cs; settle_start=$NOW
  while :; do
    quiet_for "$STATE/poll.out"
    [ "$QUIET_CS" -ge "$DEBOUNCE_CS" ] && break
    wait_cs=$(( DEBOUNCE_CS - (QUIET_CS > 0 ? QUIET_CS : 0) ))
    sleep "$((wait_cs / 100)).$((wait_cs % 100 / 10))$((wait_cs % 10))"
    mv "$STATE/poll.out" "$STATE/poll.prev"
    poll "$STATE/poll.out"
    now_cs
    if cmp -s "$STATE/poll.out" "$STATE/poll.prev" || [ $(( NOW - settle_start )) -ge 200 ]; then break; fi
  done
  collect "$STATE/poll.out"
  force_restart=; [ -n "$gone" ] && force_restart=1; gone=
  now_cs; reload_start=$NOW
  count=$(wc -l < "$STATE/changed" | tr -d ' ')
  if [ "$count" -eq 0 ]; then cpu_ticks; last_ticks=$TICKS; continue; fi   # only excluded files, or reordered
  last_change=$reload_start; sleep_cs=$INTERVAL_CS   # the next poll at the active rate already
  log "change: $count file(s): $(head -n 5 "$STATE/changed" | tr '\n' ' ')$( [ "$count" -gt 5 ] && echo '...')"
  phases="settle $(secs $(( reload_start - settle_start )))"

  # Triggers; files they match that change while they run (a second save) get their turn too,
  # for up to 3 rounds. Other files changed meanwhile are picked up by the reload itself.
  cp "$STATE/changed" "$STATE/reload.changed"
  round=0 trig_ok=1
  while [ -n "$ON_CHANGE" ] && [ "$round" -lt 3 ]; do
    round=$((round + 1))
    run_on_change "$STATE/changed" || { trig_ok=; break; }
    [ -n "$RAN_GLOBS" ] || break
    poll "$STATE/poll.out"
    differs "$STATE/poll.out" || break
    collect "$STATE/poll.out"
    cat "$STATE/changed" >> "$STATE/reload.changed"
    matches_trigger "$STATE/changed" || break
    log "change while on-change commands ran: $(head -n 5 "$STATE/changed" | tr '\n' ' ')"
  done
  [ -n "$trig_ok" ] || { cpu_ticks; last_ticks=$TICKS; continue; }
  now_cs; [ -n "$ON_CHANGE" ] && phases="$phases, on-change $(secs $(( NOW - reload_start )))"

  now_cs; check_start=$NOW
  # Files a failed check named stay checked until a check passes (a fix may come in another file).
  [ -f "$STATE/check.pending" ] && cat "$STATE/check.pending" >> "$STATE/reload.changed"
  LC_ALL=C sort -u "$STATE/reload.changed" -o "$STATE/reload.changed"
  if ! run_check "$STATE/reload.changed"; then
    cp "$STATE/reload.changed" "$STATE/check.pending"
    now_cs
    log "check FAILED (exit $rc) in $(secs $(( NOW - check_start ))): $(one_line "$STATE/helper.out"); keeping the running app${app_pid:+ (pid $app_pid)} until the next change"
    cpu_ticks; last_ticks=$TICKS; continue
  fi
  rm -f "$STATE/check.pending"
  now_cs; [ -n "$CHECK" ] && phases="$phases, check $(secs $(( NOW - check_start )))"
  act_start=$NOW signalled= why=
  if [ -n "$SIGNAL" ] && [ -n "$app_pid" ] && [ -z "$force_restart" ]; then
    if ! handles_signal "$app_pid"; then
      why="; pid $app_pid has no $SIGNAL handler (still starting, or never installs one), so not signalled"
    elif kill -"$SIGNAL" "$app_pid" 2>/dev/null; then signalled=1; fi
  fi
  if [ -n "$signalled" ]; then
    now_cs
    log "reloaded ($SIGNAL to pid $app_pid) in $(secs $(( NOW - reload_start ))) [$phases, signal $(secs $(( NOW - act_start )))]"
  else
    stop_app
    now_cs; stop_end=$NOW
    start_app "$@"
    now_cs
    log "restarted (pid $app_pid) in $(secs $(( NOW - reload_start ))) [$phases, stop $(secs $(( stop_end - act_start ))), start $(secs $(( NOW - stop_end )))]$why"
  fi
  apply_patch
  cpu_ticks; last_ticks=$TICKS   # not the poll's cost: the old app (reaped), triggers and checks
done
