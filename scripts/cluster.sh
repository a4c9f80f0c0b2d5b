#!/usr/bin/env bash
# Starts, checks and stops the clusters the cluster tests (tests/cluster.rs) run against,
# under one temporary directory and on loopback ports of their own (never the shared
# 3306 and 5432 servers):
#   - a 3-node MariaDB Galera cluster (SQL on 13306, 13307, 13308), ready when
#     wsrep_cluster_size is 3 on every node, with HAProxy in front of it on 13300
#     (`balance first`: every connection goes to the first node that is Synced and ready,
#     asked every 250 ms by an external check: wsrep_local_state = 4, wsrep_ready = ON);
#   - a PostgreSQL primary (15432) with a streaming hot standby (15433, pg_basebackup);
#   - PgBouncer (16432) in pool_mode = transaction in front of that primary.
#
#   scripts/cluster.sh install   apt-get install what is missing (Debian packages)
#   scripts/cluster.sh start     start all of it (idempotent: a running part is kept)
#   scripts/cluster.sh status    what runs; exit 1 when something is down
#   scripts/cluster.sh stop      stop exactly what `start` started, remove its directory
#   scripts/cluster.sh env       the URLs the tests read, as `export` lines
#   scripts/cluster.sh stop-node N / start-node N   one Galera node down / back
#
# CLUSTER_DIR (default /tmp/sqlx-session-store-cluster) holds data, configs, logs, pids.
set -euo pipefail

DIR=${CLUSTER_DIR:-/tmp/sqlx-session-store-cluster}
GALERA_PORTS=(13306 13307 13308)
HAPROXY_PORT=13300
PG_PRIMARY_PORT=15432
PG_STANDBY_PORT=15433
PGBOUNCER_PORT=16432
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)

log() { echo "cluster: $*" >&2; }

as_user() { # user, command...
  local user=$1
  shift
  runuser -u "$user" -- "$@"
}

wait_for() { # seconds, description, command...
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq 1 $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  log "timed out after ${seconds}s waiting for $what"
  return 1
}

install() {
  # What each part needs, by file, so that a server installed some other way counts.
  local missing=()
  [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
  [ -f /usr/lib/galera/libgalera_smm.so ] || missing+=(galera-4)
  command -v rsync >/dev/null || missing+=(rsync)
  command -v lsof >/dev/null || missing+=(lsof)
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/pg_basebackup" ] || missing+=(postgresql)
  command -v pgbouncer >/dev/null || missing+=(pgbouncer)
  command -v haproxy >/dev/null || missing+=(haproxy)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    # Packages only: no distro service started by their install scripts (a fresh
    # postgresql or mariadb-server would otherwise start on the shared ports).
    local policy=/usr/sbin/policy-rc.d had_policy=0
    [ -e "$policy" ] && had_policy=1
    [ $had_policy = 1 ] || printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ $had_policy = 1 ] || rm -f "$policy"
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  fi
}

# ---------------------------------------------------------------- Galera

galera_sql() { # node (1-3), sql
  mariadb --connect-timeout=2 --protocol=socket -S "$DIR/galera/n$1/mysqld.sock" -uroot -N -B -e "$2"
}

galera_size() { # node
  [ "$(galera_sql "$1" "SHOW STATUS LIKE 'wsrep_cluster_size'" 2>/dev/null | cut -f2)" = 3 ]
}

galera_synced() { # node
  [ "$(galera_sql "$1" "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2)" = Synced ]
}

galera_config() { # node
  local n=$1 base=$((14560 + 10 * $1)) d="$DIR/galera/n$1"
  cat >"$d/my.cnf" <<EOF
[mysqld]
user=mysql
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
port=${GALERA_PORTS[$((n - 1))]}
bind-address=127.0.0.1
skip-name-resolve
innodb_buffer_pool_size=64M
innodb_log_file_size=48M
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=/usr/lib/galera/libgalera_smm.so
wsrep_cluster_name=sqlx_session_store
wsrep_cluster_address=gcomm://127.0.0.1:14577,127.0.0.1:14587,127.0.0.1:14597
wsrep_node_name=n$n
wsrep_node_address=127.0.0.1:$((base + 7))
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$((base + 7));ist.recv_addr=127.0.0.1:$((base + 8));gcache.size=32M"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$((base + 9))
EOF
}

galera_running() { # node
  local pid="$DIR/galera/n$1/mysqld.pid"
  [ -f "$pid" ] && kill -0 "$(cat "$pid")" 2>/dev/null
}

galera_start_node() { # node, extra args...
  local n=$1
  shift
  local d="$DIR/galera/n$n"
  galera_running "$n" && return 0
  mkdir -p "$d/data"
  galera_config "$n"
  chown -R mysql:mysql "$d"
  log "galera node $n starting"
  # Detached, with no descriptor of ours (a caller reading our output gets its EOF).
  setsid /usr/sbin/mariadbd --defaults-file="$d/my.cnf" "$@" </dev/null >>"$d/stdout.log" 2>&1 &
  wait_for 120 "galera node $n to accept connections" galera_sql "$n" "SELECT 1"
}

galera_start() {
  local d1="$DIR/galera/n1"
  if [ ! -d "$d1/data/mysql" ]; then
    mkdir -p "$d1/data" "$DIR/galera/n2/data" "$DIR/galera/n3/data"
    chown -R mysql:mysql "$DIR/galera"
    mariadb-install-db --user=mysql --datadir="$d1/data" --auth-root-authentication-method=normal \
      --skip-test-db >"$d1/install.log" 2>&1
    galera_start_node 1 --wsrep-new-cluster
    galera_sql 1 "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; \
      GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; \
      CREATE DATABASE IF NOT EXISTS test"
  else
    # Restarting a stopped cluster: the first node founds it again.
    galera_running 1 || galera_start_node 1 --wsrep-new-cluster
  fi
  galera_start_node 2
  galera_start_node 3
  for n in 1 2 3; do
    wait_for 120 "galera node $n to see 3 nodes" galera_size "$n"
    wait_for 120 "galera node $n to be synced" galera_synced "$n"
  done
  log "galera: wsrep_cluster_size=3 on ports ${GALERA_PORTS[*]}"
}

# ---------------------------------------------------------------- HAProxy

haproxy_start() {
  local d="$DIR/haproxy"
  mkdir -p "$d"
  [ -f "$d/haproxy.pid" ] && kill -0 "$(cat "$d/haproxy.pid")" 2>/dev/null && return 0
  # A node is served only while it is Synced (wsrep_local_state 4) and ready for clients
  # (wsrep_ready ON): an open port is not enough, since a node that has left the cluster
  # still accepts connections and answers every statement with error 1047. One failed
  # check marks it down and shuts its sessions; two good ones bring it back.
  cat >"$d/galera-check.sh" <<'CHECK'
#!/bin/sh
# HAProxy external check: $3 is the server's address, $4 its port.
status=$(mariadb -h "$3" -P "$4" -u root --connect-timeout=1 -N -B -e \
  "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state', 'wsrep_ready')" \
  2>/dev/null) || exit 1
printf '%s\n' "$status" | grep -qx 'wsrep_local_state[[:space:]]4' || exit 1
printf '%s\n' "$status" | grep -qx 'wsrep_ready[[:space:]]ON'
CHECK
  chmod +x "$d/galera-check.sh"
  cat >"$d/haproxy.cfg" <<EOF
global
  maxconn 512
  external-check
  insecure-fork-wanted
defaults
  mode tcp
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  timeout check 2s
  # A connection refused by a node that just went away is tried on the next one.
  option redispatch
  retries 3
listen galera
  bind 127.0.0.1:$HAPROXY_PORT
  balance first
  option external-check
  external-check path "/usr/bin:/bin"
  external-check command $d/galera-check.sh
  default-server inter 250ms fall 1 rise 2 on-marked-down shutdown-sessions
  server n1 127.0.0.1:${GALERA_PORTS[0]} check
  server n2 127.0.0.1:${GALERA_PORTS[1]} check
  server n3 127.0.0.1:${GALERA_PORTS[2]} check
EOF
  haproxy -D -f "$d/haproxy.cfg" -p "$d/haproxy.pid"
  wait_for 20 "haproxy" bash -c "exec 3<>/dev/tcp/127.0.0.1/$HAPROXY_PORT"
  log "haproxy: 127.0.0.1:$HAPROXY_PORT -> galera (balance first)"
}

# ---------------------------------------------------------------- PostgreSQL

pg_ready() { # port
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1"
}

pg_start() {
  local p="$DIR/pg/primary" s="$DIR/pg/standby"
  mkdir -p "$DIR/pg"
  chown postgres:postgres "$DIR/pg"
  if [ ! -f "$p/PG_VERSION" ]; then
    as_user postgres "$PG_BIN/initdb" -D "$p" -U postgres --auth=trust >"$DIR/pg/initdb.log" 2>&1
    cat >>"$p/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PRIMARY_PORT
unix_socket_directories = '$DIR/pg'
wal_level = replica
max_wal_senders = 5
hot_standby = on
EOF
    echo "host replication all 127.0.0.1/32 trust" >>"$p/pg_hba.conf"
  fi
  if ! pg_ready "$PG_PRIMARY_PORT"; then
    as_user postgres "$PG_BIN/pg_ctl" -D "$p" -l "$DIR/pg/primary.log" -w start >/dev/null
  fi
  as_user postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -qtA -c \
    "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 ||
    as_user postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres test
  if [ ! -f "$s/PG_VERSION" ]; then
    as_user postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres \
      -D "$s" -R -X stream >"$DIR/pg/basebackup.log" 2>&1
    sed -i "s/^port = $PG_PRIMARY_PORT/port = $PG_STANDBY_PORT/" "$s/postgresql.conf"
  fi
  if ! pg_ready "$PG_STANDBY_PORT"; then
    as_user postgres "$PG_BIN/pg_ctl" -D "$s" -l "$DIR/pg/standby.log" -w start >/dev/null
  fi
  log "postgres: primary 127.0.0.1:$PG_PRIMARY_PORT, hot standby 127.0.0.1:$PG_STANDBY_PORT"
}

pgbouncer_start() {
  local d="$DIR/pgbouncer"
  mkdir -p "$d"
  chown postgres:postgres "$d"
  [ -f "$d/pgbouncer.pid" ] && kill -0 "$(cat "$d/pgbouncer.pid")" 2>/dev/null && return 0
  cat >"$d/pgbouncer.ini" <<EOF
[databases]
test = host=127.0.0.1 port=$PG_PRIMARY_PORT dbname=test
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $d/userlist.txt
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
logfile = $d/pgbouncer.log
pidfile = $d/pgbouncer.pid
ignore_startup_parameters = extra_float_digits,options
EOF
  echo '"postgres" ""' >"$d/userlist.txt"
  chown postgres:postgres "$d"/*
  as_user postgres pgbouncer -d "$d/pgbouncer.ini"
  wait_for 20 "pgbouncer" bash -c "exec 3<>/dev/tcp/127.0.0.1/$PGBOUNCER_PORT"
  log "pgbouncer: 127.0.0.1:$PGBOUNCER_PORT (pool_mode = transaction) -> primary"
}

# ---------------------------------------------------------------- commands

start() {
  install
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  galera_start
  haproxy_start
  pg_start
  pgbouncer_start
}

stop_pid() { # pid file
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -9 "$pid" 2>/dev/null || true
}

stop() {
  [ -d "$DIR" ] || return 0
  stop_pid "$DIR/pgbouncer/pgbouncer.pid"
  stop_pid "$DIR/haproxy/haproxy.pid"
  for s in standby primary; do
    if [ -f "$DIR/pg/$s/postmaster.pid" ]; then
      as_user postgres "$PG_BIN/pg_ctl" -D "$DIR/pg/$s" -m fast -w stop >/dev/null 2>&1 || true
    fi
  done
  for n in 3 2 1; do stop_pid "$DIR/galera/n$n/mysqld.pid"; done
  for s in standby primary; do
    if [ -f "$DIR/pg/$s/postmaster.pid" ] && kill -0 "$(head -1 "$DIR/pg/$s/postmaster.pid")" 2>/dev/null; then
      log "postgres $s did not stop; $DIR kept"
      return 1
    fi
  done
  rm -rf "$DIR"
  log "stopped; $DIR removed"
}

status() {
  local ok=0
  for n in 1 2 3; do
    if galera_size "$n"; then echo "galera n$n: up, cluster size 3"; else echo "galera n$n: DOWN"; ok=1; fi
  done
  if bash -c "exec 3<>/dev/tcp/127.0.0.1/$HAPROXY_PORT" 2>/dev/null; then echo "haproxy: up"; else echo "haproxy: DOWN"; ok=1; fi
  for port in $PG_PRIMARY_PORT $PG_STANDBY_PORT; do
    if pg_ready "$port"; then echo "postgres $port: up"; else echo "postgres $port: DOWN"; ok=1; fi
  done
  if bash -c "exec 3<>/dev/tcp/127.0.0.1/$PGBOUNCER_PORT" 2>/dev/null; then echo "pgbouncer: up"; else echo "pgbouncer: DOWN"; ok=1; fi
  return $ok
}

env_lines() {
  cat <<EOF
export CLUSTER_DIR=$DIR
export GALERA_URLS=mysql://root@127.0.0.1:${GALERA_PORTS[0]}/test,mysql://root@127.0.0.1:${GALERA_PORTS[1]}/test,mysql://root@127.0.0.1:${GALERA_PORTS[2]}/test
export GALERA_HAPROXY_URL=mysql://root@127.0.0.1:$HAPROXY_PORT/test
export PG_PRIMARY_URL=postgres://postgres@127.0.0.1:$PG_PRIMARY_PORT/test
export PG_STANDBY_URL=postgres://postgres@127.0.0.1:$PG_STANDBY_PORT/test
export PGBOUNCER_URL=postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/test
EOF
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) env_lines ;;
  # For the failover test: one Galera node down, then back (it rejoins by IST).
  stop-node) stop_pid "$DIR/galera/n${2:?node}/mysqld.pid" ;;
  start-node)
    galera_start_node "${2:?node}"
    wait_for 120 "galera node $2 to be synced" galera_synced "$2"
    ;;
  *)
    echo "usage: $0 install|start|status|stop|env|stop-node N|start-node N" >&2
    exit 2
    ;;
esac
