#!/usr/bin/env bash
# Starts Debian's PostgreSQL cluster on this machine (loopback only) and makes sure the role the
# tests, the benches and scripts/cluster.sh use exists: nps / nps, allowed to create databases.
# Needs root (or the postgres user) and Debian's postgresql package: apt-get install postgresql.
set -euo pipefail
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "PostgreSQL is not installed: apt-get install postgresql (Debian's package)" >&2
  exit 1
fi
read -r version cluster < <(pg_lsclusters --no-header | awk 'NR==1 {print $1, $2}')
if [ -z "${version:-}" ]; then
  echo "no PostgreSQL cluster found (pg_lsclusters is empty); create one with pg_createcluster" >&2
  exit 1
fi
conf=/etc/postgresql/$version/$cluster/postgresql.conf
# Loopback only: nothing here listens on another address.
if ! grep -q "^listen_addresses = '127.0.0.1'" "$conf"; then
  echo "listen_addresses = '127.0.0.1'" >>"$conf"
fi
if ! pg_lsclusters --no-header | awk 'NR==1 {print $4}' | grep -q online; then
  pg_ctlcluster "$version" "$cluster" start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 1
done
(cd / && su postgres -c "PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 -d postgres") <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nps') THEN
    CREATE ROLE nps LOGIN CREATEDB PASSWORD 'nps';
  END IF;
END $$;
-- The tests drop their databases WITH (FORCE), which ends any session still on one (an autovacuum worker).
GRANT pg_signal_backend TO nps;
SQL
echo "PostgreSQL $version/$cluster is up on 127.0.0.1:5432 (role nps)"
