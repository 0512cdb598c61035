#!/usr/bin/env bash
# Smoke-tests the images built by e2e/images/build.sh in a real containerd + runc:
#   pause        starts and keeps running, stops on SIGTERM
#   coredns      /coredns -version prints the pinned version
#   python-mysql flask/pymysql/gunicorn import; uid 10001, cwd /code, supervisor tools on PATH
#   node-app     node >= 18 as uid 10001 in /code, with the cluster module and the supervisor's tools
#   mariadb      read-only root FS + tmpfs /var/run/mysqld and /tmp + root-owned datadir: initialises,
#                answers `mysqladmin ping -h 127.0.0.1`, the app user reaches its database, SIGTERM stops it
#                cleanly, a restart on the same datadir keeps the data and skips initialisation.
# Also checks that `ctr -n k8s.io images ls` lists all five images with the archives' digests.
# Uses the running containerd (--address, $CONTAINERD_ADDRESS, /run/hot-reload-e2e/containerd.sock,
# /run/containerd/containerd.sock), else starts a private one for the test and stops it afterwards.
# Test containers run in their own containerd namespace, so the kubelet's k8s.io namespace stays untouched.
# Usage: e2e/images/test.sh [--address SOCKET | --private-containerd]
set -euo pipefail

IMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${HOT_RELOAD_CACHE:-$HOME/.cache/k8s-hot-reload}"
CACHE="$CACHE_ROOT/images"
NS=hot-reload-images-test
PRIVATE_RUN=/run/hot-reload-images-test

address="" private=false
case "${1:-}" in
  --address) address="${2:?--address needs a socket}" ;;
  --private-containerd) private=true ;;
  '') ;;
  *) echo "usage: $0 [--address SOCKET | --private-containerd]" >&2; exit 2 ;;
esac

passed=0 failed=0
ok() { echo "PASS: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { # check DESCRIPTION CMD... : pass if CMD succeeds
  local d="$1"; shift
  if "$@"; then ok "$d"; else bad "$d"; fi
}

tmp=$(mktemp -d /tmp/images-test.XXXXXX)
private_pid=""
cleanup() {
  set +e
  if [[ -n "${sock:-}" ]]; then
    for c in $(timeout 20 ctr --address "$sock" -n "$NS" tasks ls -q 2>/dev/null); do
      timeout 20 ctr --address "$sock" -n "$NS" tasks kill -s KILL "$c" >/dev/null 2>&1
    done
    sleep 1
    for c in $(timeout 20 ctr --address "$sock" -n "$NS" containers ls -q 2>/dev/null); do
      timeout 20 ctr --address "$sock" -n "$NS" tasks rm -f "$c" >/dev/null 2>&1
      timeout 20 ctr --address "$sock" -n "$NS" containers rm "$c" >/dev/null 2>&1
    done
  fi
  if [[ -n "$private_pid" ]]; then
    kill "$private_pid" 2>/dev/null
    for _ in $(seq 1 20); do kill -0 "$private_pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$private_pid" 2>/dev/null
    # containerd leaves its shims' mounts/state under its state dir; remove what is not mounted.
    rm -rf --one-file-system "$PRIVATE_RUN" 2>/dev/null
  fi
  rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

# ---------- containerd ----------
if [[ -z "$address" ]] && ! $private; then
  for c in "${CONTAINERD_ADDRESS:-}" /run/hot-reload-e2e/containerd.sock /run/containerd/containerd.sock; do
    if [[ -n "$c" && -S "$c" ]] && timeout 10 ctr --address "$c" version >/dev/null 2>&1; then address="$c"; break; fi
  done
fi
if [[ -z "$address" ]]; then
  # No containerd running: start a private one (own root, state and socket), stopped by the EXIT trap.
  for b in containerd ctr runc; do
    command -v "$b" >/dev/null || { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends containerd runc >/dev/null; } ||
      { echo "test.sh: containerd/runc missing and apt-get install failed" >&2; exit 1; }
  done
  # Its root is temporary (removed with $tmp): keeping ~1 GiB of unpacked images is not worth the ~30 s.
  mkdir -p "$PRIVATE_RUN" "$tmp/containerd-root"
  address="$PRIVATE_RUN/containerd.sock"
  cat >"$tmp/containerd.toml" <<EOF
version = 2
root = "$tmp/containerd-root"
state = "$PRIVATE_RUN/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$address"
EOF
  containerd --config "$tmp/containerd.toml" >"$tmp/containerd.log" 2>&1 &
  private_pid=$!
  for i in $(seq 1 60); do timeout 5 ctr --address "$address" version >/dev/null 2>&1 && break; sleep 0.5; done
  timeout 5 ctr --address "$address" version >/dev/null 2>&1 ||
    { echo "test.sh: private containerd did not start:"; tail -20 "$tmp/containerd.log"; exit 1; }
  echo "test.sh: started a private containerd at $address (pid $private_pid)"
else
  echo "test.sh: using containerd at $address"
fi
sock="$address"
ctr_() { timeout "${CTR_TIMEOUT:-120}" ctr --address "$sock" "$@"; }

# Build (no-op when warm) and import into k8s.io, then import into the test namespace too.
bash "$IMAGES_DIR/build.sh" --address "$sock"
declare -A REF=([pause]=registry.k8s.io/pause:3.10 [coredns]=localhost/coredns:dev
  [python-mysql]=localhost/python-mysql:dev [mariadb]=localhost/mariadb:dev [node-app]=localhost/node-app:dev)
k8s_list=$(ctr_ -n k8s.io images ls)
for img in pause coredns python-mysql mariadb node-app; do
  want=$(tar -xOf "$CACHE/$img/image.tar" index.json | jq -r '.manifests[0].digest')
  have=$(awk -v r="${REF[$img]}" '$1==r{print $3}' <<<"$k8s_list")
  check "k8s.io namespace holds ${REF[$img]} with digest $want" test "$have" == "$want"
  ctr_ -n "$NS" images import --platform linux/amd64 "$CACHE/$img/image.tar" >/dev/null
done

# ---------- pause ----------
task_state() { ctr_ -n "$NS" tasks ls | awk -v n="$1" '$1==n{print $3}'; }
wait_state() { # wait_state NAME STATE SECONDS
  local i
  for ((i = 0; i < $3 * 2; i++)); do
    [[ "$(task_state "$1")" == "$2" ]] && return 0
    sleep 0.5
  done
  return 1
}
rm_container() { ctr_ -n "$NS" tasks rm -f "$1" >/dev/null 2>&1 || true; ctr_ -n "$NS" containers rm "$1" >/dev/null 2>&1 || true; }
ctr_ -n "$NS" run -d "${REF[pause]}" t-pause >/dev/null
check "pause: task is running" wait_state t-pause RUNNING 10
sleep 1
check "pause: still running after 1s" test "$(task_state t-pause)" == RUNNING
ctr_ -n "$NS" tasks kill -s TERM t-pause || true
check "pause: exits on SIGTERM" wait_state t-pause STOPPED 10
rm_container t-pause

# ---------- coredns ----------
out=$(ctr_ -n "$NS" run --rm "${REF[coredns]}" t-coredns /coredns -version 2>&1 || true)
echo "coredns -version: $out"
check "coredns: -version reports CoreDNS-1.12" grep -q 'CoreDNS-1\.12' <<<"$out"

# ---------- python-mysql ----------
out=$(ctr_ -n "$NS" run --rm "${REF[python-mysql]}" t-py python -c \
  'import flask, pymysql, gunicorn, os; print("imports-ok", os.getuid(), os.getcwd())' 2>&1 || true)
echo "python: $out"
check "python-mysql: flask/pymysql/gunicorn import as uid 10001 in /code" grep -qx 'imports-ok 10001 /code' <<<"$out"
out=$(ctr_ -n "$NS" run --rm "${REF[python-mysql]}" t-py2 sh -c \
  'for t in gunicorn find stat cksum awk sleep kill; do command -v $t >/dev/null || echo missing $t; done; echo tools-done' 2>&1 || true)
check "python-mysql: sh has gunicorn find stat cksum awk sleep kill ($out)" test "$out" == tools-done

out=$(ctr_ -n "$NS" run --rm "${REF[python-mysql]}" t-py3 sh -c 'touch /code/x 2>&1; id -un' 2>&1 || true)
check "python-mysql: user app cannot write the root-owned /code ($out)" grep -q 'Permission denied' <<<"$out"
# ---------- node-app ----------
# What node-reload.cjs (the node preset's runtime) needs: cluster workers on a shared listening socket.
out=$(ctr_ -n "$NS" run --rm "${REF[node-app]}" t-node node -e '
const c = require("cluster"); require("http"); require("module").runMain;
console.log("node-ok", process.getuid(), process.cwd(), process.versions.node.split(".")[0], typeof c.setupPrimary)' 2>&1 || true)
echo "node: $out"
check "node-app: node >= 18 runs as uid 10001 in /code with cluster.setupPrimary" \
  grep -qE '^node-ok 10001 /code (1[89]|[2-9][0-9]) function$' <<<"$out"
out=$(ctr_ -n "$NS" run --rm "${REF[node-app]}" t-node2 sh -c \
  'for t in node find stat cksum awk sleep kill; do command -v $t >/dev/null || echo missing $t; done; echo tools-done' 2>&1 || true)
check "node-app: sh has node find stat cksum awk sleep kill ($out)" test "$out" == tools-done

# ---------- mariadb ----------
data="$tmp/mysql-data" # root-owned like the hostPath on a fresh node
mkdir -m 0755 "$data"
mariadb_run() { # mariadb_run NAME : read-only root, tmpfs /var/run/mysqld and /tmp, bind datadir
  ctr_ -n "$NS" run -d --read-only \
    --env MYSQL_ROOT_PASSWORD="r00t'pw" --env MYSQL_USER=app --env MYSQL_PASSWORD='app pw"x' \
    --env MYSQL_DATABASE=hotreload \
    --mount type=bind,src="$data",dst=/var/lib/mysql,options=rbind:rw \
    --mount type=tmpfs,src=tmpfs,dst=/var/run/mysqld,options=nosuid:nodev:mode=1777 \
    --mount type=tmpfs,src=tmpfs,dst=/tmp,options=nosuid:nodev:mode=1777 \
    --log-uri "file://$tmp/$1.log" \
    "${REF[mariadb]}" "$1" >/dev/null
}
wait_ping() { # wait_ping NAME : bounded wait for the readiness command of the chart
  local i
  for i in $(seq 1 90); do
    [[ "$(task_state "$1")" == RUNNING ]] || { echo "$1 is not running (exited?)"; return 1; }
    ctr_ -n "$NS" tasks exec --exec-id "ping$i" "$1" mysqladmin ping -h 127.0.0.1 >/dev/null 2>&1 && return 0
    sleep 1
  done
  return 1
}
sql_app() { # sql_app NAME SQL : as the app user over TCP, like the python-mysql pod
  ctr_ -n "$NS" tasks exec --exec-id "sql$RANDOM" "$1" mariadb -h 127.0.0.1 -P 3306 -uapp -p'app pw"x' hotreload -N -e "$2"
}
stop_task() { # stop_task NAME : SIGTERM, then bounded wait for STOPPED
  ctr_ -n "$NS" tasks kill -s TERM "$1" || return 1
  wait_state "$1" STOPPED 60
}

mariadb_run t-db1
check "mariadb: initialises and answers mysqladmin ping -h 127.0.0.1" wait_ping t-db1
check "mariadb: app user creates a table in its database over TCP" \
  sql_app t-db1 'CREATE TABLE t (v INT); INSERT INTO t VALUES (42);'
root_sql() { ctr_ -n "$NS" tasks exec --exec-id rootq t-db1 mariadb -h 127.0.0.1 -uroot "-pr00t'pw" -N -e 'SELECT 1' >/dev/null; }
check "mariadb: root password (with a quote) works over TCP" root_sql
out=$(ctr_ -n "$NS" tasks exec --exec-id deny t-db1 mariadb -h 127.0.0.1 -uapp '-papp pw"x' mysql -e 'SELECT 1' 2>&1 || true)
check "mariadb: app user is denied other databases ($out)" grep -q 'Access denied for user' <<<"$out"
pid1=$(ctr_ -n "$NS" tasks exec --exec-id who t-db1 sh -c 'echo "$(cat /proc/1/comm) $(stat -c %u /proc/1) $(id -u mysql)"' || true)
check "mariadb: PID 1 is mariadbd running as the mysql user (comm uid mysql-uid: $pid1)" \
  awk '$1=="mariadbd" && $2==$3 && $2!=0 {ok=1} END{exit !ok}' <<<"$pid1"
mysql_uid=$(awk '{print $3}' <<<"$pid1")
check "mariadb: root-owned datadir was chowned to mysql (uid ${mysql_uid:-?})" \
  test -n "$mysql_uid" -a "$(stat -c %u "$data" 2>/dev/null)" == "$mysql_uid" -a "$(stat -c %u "$data/hotreload" 2>/dev/null)" == "$mysql_uid"
check "mariadb: SIGTERM stops it within 60s" stop_task t-db1
check "mariadb: clean shutdown logged" grep -q 'Shutdown complete' "$tmp/t-db1.log"
rm_container t-db1

mariadb_run t-db2
check "mariadb: restarts on the existing datadir" wait_ping t-db2
check "mariadb: data survived the restart" test "$(sql_app t-db2 'SELECT v FROM t' 2>&1)" == 42
check "mariadb: restart skipped initialisation" grep -q 'existing database found' "$tmp/t-db2.log"

# A datadir whose first initialisation was interrupted (marker file left behind) is initialised again.
data="$tmp/mysql-data-interrupted"
mkdir -p "$data/mysql"
touch "$data/.entrypoint-init-in-progress" "$data/mysql/half-written"
mariadb_run t-db3
check "mariadb: interrupted initialisation is redone" wait_ping t-db3
check "mariadb: ...and the app user works afterwards" test "$(sql_app t-db3 'SELECT 7' 2>&1)" == 7
check "mariadb: ...and the marker is gone" test ! -e "$data/.entrypoint-init-in-progress"
stop_task t-db3 || true
rm_container t-db3
data="$tmp/mysql-data"

# ---------- python-mysql against mariadb ----------
# The app image's own CMD (gunicorn from the venv, app from /code), configured like the chart's pod,
# read-only root FS + tmpfs /tmp, sharing t-db2's network namespace so 127.0.0.1:3306 is MariaDB.
db_pid=$(ctr_ -n "$NS" tasks ls | awk '$1=="t-db2"{print $2}')
ctr_ -n "$NS" run -d --read-only --mount type=tmpfs,src=tmpfs,dst=/tmp,options=nosuid:nodev:mode=1777 \
  --with-ns "network:/proc/$db_pid/ns/net" \
  --env MYSQL_USERNAME=app --env MYSQL_PASSWORD='app pw"x' --env MYSQL_INSTANCE_NAME=hotreload \
  --env MYSQL_TCP_ADDR=127.0.0.1 --env MYSQL_TCP_PORT=3306 \
  --log-uri "file://$tmp/t-app.log" "${REF[python-mysql]}" t-app >/dev/null
http_get() { # http_get PATH : prints "STATUS BODY" (from inside the app container)
  ctr_ -n "$NS" tasks exec --exec-id "http$RANDOM" t-app python -c '
import sys, urllib.request as u, urllib.error as e
try:
    r = u.urlopen("http://127.0.0.1:3000" + sys.argv[1], timeout=5); print(r.status, r.read().decode().strip())
except e.HTTPError as x:
    print(x.code, x.read().decode().strip())' "$1"
}
out=""
for _ in $(seq 1 30); do
  out=$(http_get /healthz 2>/dev/null) && break
  sleep 1
done
check "python-mysql: default CMD (gunicorn) answers GET /healthz with 200 ($out)" grep -q '^200 ' <<<"$out"
out=$(http_get /readyz 2>&1 || true)
check "python-mysql: GET /readyz is 200 against the mariadb image ($out)" grep -q '^200 ' <<<"$out"
check "python-mysql: the app created its table in MariaDB" test "$(sql_app t-db2 "SHOW TABLES LIKE 'scores'" 2>&1)" == scores
ctr_ -n "$NS" tasks kill -s TERM t-app || true
check "python-mysql: gunicorn stops on SIGTERM" wait_state t-app STOPPED 30
rm_container t-app

stop_task t-db2 || true
rm_container t-db2

if ((failed)); then
  for f in "$tmp"/t-*.log; do [[ -f $f ]] && { echo "--- $f"; tail -n 30 "$f"; }; done
fi
echo "$passed passed, $failed failed"
((failed == 0))
