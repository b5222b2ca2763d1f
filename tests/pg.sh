# shellcheck shell=bash
# A real PostgreSQL for tests and CI scripts. Source it, then:
#
#   pg_start DIR   initdb into DIR (created if missing; a temporary directory),
#                  start a server on a free loopback port with a unix socket in
#                  DIR and password (scram) authentication over TCP for the user
#                  "greenlight" on the database "greenlight"; export PG_PORT,
#                  PG_PASSWORD and PG_URL. Starting an already running DIR only
#                  exports the variables again.
#   pg_stop DIR [MODE]
#                  stop it (pg_ctl -m fast, or MODE: immediate to simulate a
#                  crash) and wait; a DIR with nothing running is fine.
#   pg_watch DIR PID
#                  in the background, stop the server and remove DIR once the
#                  process PID has gone: a test runner killed by a timeout
#                  cannot run its teardown, and must not leave a server behind.
#
# The server runs as the "postgres" system user (initdb refuses root), which
# owns DIR. Settings are for speed, not durability: fsync and friends are off.
# Seeding is greenlight's job (greenlight seed), not this file's.

# The newest installed server, unless PG_BIN says otherwise (or pg_config knows).
_pg_default_bin() {
	local d best=
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && best=$d
	done
	[ -n "$best" ] || best=$(pg_config --bindir 2>/dev/null)
	printf '%s\n' "$best"
}
PG_BIN=${PG_BIN:-$(_pg_default_bin)}

# Run a command as the server's user (as ourselves when not root).
_pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u "$_PG_USER" -- "$@")
	else
		(cd / && "$@")
	fi
}

_pg_user() {
	if [ "$(id -u)" -ne 0 ]; then
		_PG_USER=$(id -un)
		return 0
	fi
	_PG_USER=${PG_USER:-postgres}
	if ! id -u "$_PG_USER" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin "$_PG_USER" || return 1
	fi
}

_pg_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

_pg_export() {
	local dir=$1
	PG_PORT=$(cat "$dir/port") || return 1
	PG_PASSWORD=$(cat "$dir/password") || return 1
	PG_URL="postgresql://greenlight:$PG_PASSWORD@127.0.0.1:$PG_PORT/greenlight"
	export PG_PORT PG_PASSWORD PG_URL
}

_pg_running() {
	[ -f "$1/data/postmaster.pid" ] && _pg_as "$PG_BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

_pg_init() {
	local dir=$1
	local password
	password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n') || return 1
	[ ${#password} -eq 32 ] || return 1
	(umask 077 && printf '%s\n' "$password" >"$dir/password") || return 1
	_pg_as "$PG_BIN/initdb" -D "$dir/data" -U postgres --encoding=UTF8 --locale=C \
		--auth-local=trust --auth-host=scram-sha-256 --no-sync \
		>"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		return 1
	}
	cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 20
logging_collector = off
EOF
}

# Start on a free port; another process may take the port between the probe
# and the bind, so try a few. A restart tries its old port first, so that
# PG_URL does not change.
_pg_launch() {
	local dir=$1 port try
	for try in 0 1 2 3 4 5; do
		if [ "$try" -eq 0 ]; then
			[ -s "$dir/port" ] || continue
			port=$(cat "$dir/port")
		else
			port=$(_pg_free_port) || return 1
		fi
		if _pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-p $port" start >/dev/null 2>&1; then
			echo "$port" >"$dir/port"
			return 0
		fi
	done
	echo "pg_start: the server did not start; $dir/server.log says:" >&2
	tail -n 20 "$dir/server.log" >&2
	return 1
}

_pg_create_role() {
	local dir=$1 port password
	port=$(cat "$dir/port")
	password=$(cat "$dir/password")
	_pg_as "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres \
		-d postgres >/dev/null <<EOF
CREATE ROLE greenlight LOGIN PASSWORD '$password';
CREATE DATABASE greenlight OWNER greenlight;
EOF
	_pg_as "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres \
		-d greenlight -c 'ALTER SCHEMA public OWNER TO greenlight' >/dev/null
}

pg_start() {
	local dir=${1:?usage: pg_start DIR}
	[ -x "$PG_BIN/initdb" ] || {
		echo "pg_start: no PostgreSQL server binaries (PG_BIN=$PG_BIN)" >&2
		return 1
	}
	_pg_user || return 1
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd) || return 1
	if _pg_running "$dir"; then
		_pg_export "$dir"
		return
	fi
	if [ "$(id -u)" -eq 0 ]; then
		chown "$_PG_USER" "$dir" || return 1
	fi
	chmod 700 "$dir" || return 1
	local fresh=0
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		_pg_init "$dir" || return 1
		fresh=1
	fi
	_pg_launch "$dir" || return 1
	if [ "$fresh" -eq 1 ]; then
		_pg_create_role "$dir" || {
			pg_stop "$dir"
			return 1
		}
	fi
	_pg_export "$dir"
}

pg_stop() {
	local dir=${1:?usage: pg_stop DIR [fast|immediate]} mode=${2:-fast}
	[ -d "$dir/data" ] || return 0
	_pg_user || return 1
	if _pg_running "$dir"; then
		_pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -w -t 60 -m "$mode" stop >/dev/null || return 1
	fi
	return 0
}

pg_watch() {
	local dir=${1:?usage: pg_watch DIR PID} pid=${2:?usage: pg_watch DIR PID}
	# every descriptor closed: whoever reads the caller's output must not wait for us
	(
		trap '' HUP
		while kill -0 "$pid" 2>/dev/null; do
			sleep 1
		done
		pg_stop "$dir" immediate
		rm -rf "$dir"
	) </dev/null >/dev/null 2>&1 &
	disown $! 2>/dev/null || true
}
