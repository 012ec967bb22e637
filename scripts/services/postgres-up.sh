#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for tests and benchmarks, bound to 127.0.0.1 only.
# Usage: scripts/services/postgres-up.sh DIR [PORT]   (default port 55432)
# Needs Debian's postgresql-15. Its database collates paths by ICU on purpose: the server must
# not depend on the database's default collation (it declares COLLATE "C" where order matters).
# Prints the connection URL. Stop it with postgres-down.sh DIR (by the PID in DIR/data).
set -euo pipefail
dir=${1:?usage: postgres-up.sh DIR [PORT]}
port=${2:-55432}
bin=/usr/lib/postgresql/15/bin
rm -rf "$dir"
mkdir -p "$dir"
as_postgres=()
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$dir"
  as_postgres=(runuser -u postgres --)
fi
"${as_postgres[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 \
  --locale=C.UTF-8 --locale-provider=icu --icu-locale=und >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log"; exit 1; }
"${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c idle_in_transaction_session_timeout=60000" >/dev/null \
  || { tail -20 "$dir/server.log"; exit 1; }
echo "postgres://postgres@127.0.0.1:$port/postgres"
