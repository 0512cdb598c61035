#!/bin/sh
# Entrypoint of localhost/mariadb:dev, a MariaDB stand-in for the official mysql:8.4 image.
# Honours the same environment as the official image:
#   MYSQL_ROOT_PASSWORD (or MYSQL_ALLOW_EMPTY_PASSWORD=yes), MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD,
#   MYSQL_ROOT_HOST (default '%'), and *.sql / *.sh files in /docker-entrypoint-initdb.d.
# On an empty datadir it initialises the server once; otherwise it just starts it.
# Works on a read-only root filesystem: it writes only to the datadir, /var/run/mysqld and /tmp.
set -eu

DATADIR=/var/lib/mysql
RUNDIR=/var/run/mysqld
SOCKET="$RUNDIR/mysqld.sock"
# Present while the first initialisation runs: a datadir still carrying it was never fully set up
# (container killed mid-init), so it is wiped and initialised again instead of being trusted.
INIT_MARKER="$DATADIR/.entrypoint-init-in-progress"

log() { echo "mariadb-entrypoint: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# `docker run image --some-option` style: options go to mariadbd.
case "${1:-}" in
  -*) set -- mariadbd "$@" ;;
  '') set -- mariadbd ;;
esac
# Anything other than the server (e.g. `mysqladmin ...`, `sh`) is run as given.
case "$1" in
  mariadbd | mysqld) ;;
  *) exec "$@" ;;
esac

# As root: own the writable mounts (a hostPath datadir starts out owned by root), then re-run this
# script as the mysql user. setpriv (util-linux) plays the role gosu plays in the official image.
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$DATADIR" "$RUNDIR"
  find "$DATADIR" "$RUNDIR" \! -user mysql -exec chown mysql:mysql {} +
  chmod 0755 "$RUNDIR"
  exec setpriv --reuid=mysql --regid=mysql --init-groups -- "$0" "$@"
fi

sql_escape() { # quote a value for use inside '...' in SQL
  printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g"
}

start_temp_server() {
  # No networking: nothing can connect (and readiness stays false) until initialisation is done.
  "$@" --skip-networking --socket="$SOCKET" &
  temp_pid=$!
  i=0
  until mariadb-admin --socket="$SOCKET" -uroot --connect-timeout=1 ping >/dev/null 2>&1; do
    kill -0 "$temp_pid" 2>/dev/null || die "temporary server exited during initialisation (see log above)"
    i=$((i + 1))
    [ "$i" -le 60 ] || die "temporary server did not answer on $SOCKET within 60s"
    sleep 1
  done
}

stop_temp_server() {
  kill -TERM "$temp_pid"
  wait "$temp_pid" || die "temporary server did not shut down cleanly"
}

initialise() {
  if [ -z "${MYSQL_ROOT_PASSWORD:-}" ] && [ "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" != yes ]; then
    die "database is uninitialised and MYSQL_ROOT_PASSWORD is not set (or set MYSQL_ALLOW_EMPTY_PASSWORD=yes)"
  fi
  if [ -n "${MYSQL_USER:-}" ] && [ -z "${MYSQL_PASSWORD:-}" ]; then
    die "MYSQL_USER=$MYSQL_USER is set but MYSQL_PASSWORD is empty"
  fi
  [ "${MYSQL_USER:-}" != root ] || die "MYSQL_USER must not be root (root is configured by MYSQL_ROOT_PASSWORD)"

  log "initialising database in $DATADIR"
  touch "$INIT_MARKER"
  # --force: skip its check that the hostname resolves (containers often lack /etc/hosts entries).
  install_log=$(mktemp /tmp/install-db.XXXXXX)
  if ! mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve --force >"$install_log" 2>&1; then
    cat "$install_log" >&2
    die "mariadb-install-db failed for datadir $DATADIR"
  fi
  rm -f "$install_log"

  start_temp_server "$@"
  root_pw=$(sql_escape "${MYSQL_ROOT_PASSWORD:-}")
  root_host=$(sql_escape "${MYSQL_ROOT_HOST:-%}")
  {
    # Like the official image: keep only root@localhost (plus the root@MYSQL_ROOT_HOST made below).
    # Anonymous accounts would also shadow 'user'@'%' for local connections.
    mariadb --socket="$SOCKET" -uroot -N -e \
      "SELECT CONCAT('DROP USER ', QUOTE(User), '@', QUOTE(Host), ';') FROM mysql.user
       WHERE User='' OR (User='root' AND Host<>'localhost')"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_pw';"
    if [ "$root_host" != localhost ]; then
      echo "CREATE USER 'root'@'$root_host' IDENTIFIED BY '$root_pw';"
      echo "GRANT ALL ON *.* TO 'root'@'$root_host' WITH GRANT OPTION;"
    fi
    if [ -n "${MYSQL_DATABASE:-}" ]; then
      echo "CREATE DATABASE IF NOT EXISTS \`$(printf '%s' "$MYSQL_DATABASE" | sed 's/`/``/g')\`;"
    fi
    if [ -n "${MYSQL_USER:-}" ]; then
      user=$(sql_escape "$MYSQL_USER")
      echo "CREATE USER '$user'@'%' IDENTIFIED BY '$(sql_escape "$MYSQL_PASSWORD")';"
      if [ -n "${MYSQL_DATABASE:-}" ]; then
        echo "GRANT ALL ON \`$(printf '%s' "$MYSQL_DATABASE" | sed 's/`/``/g')\`.* TO '$user'@'%';"
      fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --socket="$SOCKET" -uroot || die "creating root/user/database failed"

  # From here on root has its password: pass it via a private option file, not the command line.
  client_cnf=$(mktemp /tmp/entrypoint-client.XXXXXX)
  printf '[client]\nuser=root\npassword="%s"\nsocket=%s\n' \
    "$(printf '%s' "${MYSQL_ROOT_PASSWORD:-}" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')" "$SOCKET" >"$client_cnf"
  for f in /docker-entrypoint-initdb.d/*; do
    [ -f "$f" ] || continue
    case "$f" in
      *.sh) log "running $f"
        # shellcheck source=/dev/null
        . "$f" ;;
      *.sql) log "running $f"
        mariadb --defaults-extra-file="$client_cnf" ${MYSQL_DATABASE:+"$MYSQL_DATABASE"} <"$f" ||
          die "init file $f failed" ;;
      *) log "ignoring $f" ;;
    esac
  done
  rm -f "$client_cnf"

  stop_temp_server
  rm -f "$INIT_MARKER"
  log "initialisation done"
}

if [ -e "$INIT_MARKER" ]; then
  log "previous initialisation of $DATADIR did not finish; wiping it and starting over"
  find "$DATADIR" -mindepth 1 -delete
fi
if [ -d "$DATADIR/mysql" ]; then
  log "existing database found in $DATADIR; skipping initialisation"
else
  initialise "$@"
fi

log "starting $*"
# exec: mariadbd becomes this process, so it receives the container's SIGTERM and shuts down cleanly.
exec "$@"
