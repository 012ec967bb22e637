#!/usr/bin/env bash
# Stops the cluster postgres-up.sh started in DIR (pg_ctl signals the PID in its postmaster.pid)
# and removes DIR.
set -uo pipefail
dir=${1:?usage: postgres-down.sh DIR}
bin=/usr/lib/postgresql/15/bin
if [ -f "$dir/data/postmaster.pid" ]; then
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  else "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
fi
rm -rf "$dir"
