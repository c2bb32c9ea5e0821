#!/usr/bin/env bash
# A three-node nps-dialer cluster on PostgreSQL on this machine, behind HAProxy, dialing the
# sandbox (docs/deployment.md). Everything listens on 127.0.0.1 only; Ctrl-C stops it all.
#
#   scripts/cluster.sh [nodes]        # default 3; the load balancer on :8080, nodes on :8081…
#
# Needs Debian's postgresql and haproxy (apt-get install postgresql haproxy) and `npm ci` (which
# builds dist/). State: the PostgreSQL database nps_cluster and data/cluster/.
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-3}
front=${CLUSTER_PORT:-8080}
dir=data/cluster
mkdir -p "$dir"

command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || { echo "haproxy is not installed: apt-get install haproxy" >&2; exit 1; }
haproxy_bin=$(command -v haproxy || echo /usr/sbin/haproxy)
bash scripts/postgres-local.sh
admin=postgres://nps:nps@127.0.0.1:5432/postgres
if ! psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = 'nps_cluster'" | grep -q 1; then
  psql "$admin" -qc 'CREATE DATABASE nps_cluster'
fi
export DATABASE_URL=postgres://nps:nps@127.0.0.1:5432/nps_cluster
export PUBLIC_BASE_URL=http://127.0.0.1:$front

pids=()
stop() {
  trap - INT TERM EXIT
  echo "stopping: the nodes drain (SIGTERM), then HAProxy and the sandbox"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop INT TERM EXIT

# The sandbox writes its credentials and VONAGE_API_HOST into data/cluster/.env for the nodes.
node dist/src/cli/main.js sandbox --port 8090 --write-env "$dir/.env" >"$dir/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do grep -q VONAGE_API_HOST "$dir/.env" 2>/dev/null && break; sleep 0.2; done
set -a
# shellcheck disable=SC1091
. "$dir/.env"
set +a

servers=""
for i in $(seq 1 "$nodes"); do
  port=$((front + i))
  servers+="    server node-$i 127.0.0.1:$port check"$'\n'
  NODE_NAME=node-$i PORT=$port node dist/src/cli/main.js serve >"$dir/node-$i.log" 2>&1 &
  pids+=($!)
  echo "node-$i: pid $!, http://127.0.0.1:$port (log $dir/node-$i.log)"
done
sed -e "s/{{FRONT_PORT}}/$front/" deploy/haproxy.cfg.template | awk -v servers="$servers" '{ if ($0 == "{{SERVERS}}") printf "%s", servers; else print }' >"$dir/haproxy.cfg"
"$haproxy_bin" -f "$dir/haproxy.cfg" -db >"$dir/haproxy.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$front/readyz" >/dev/null 2>&1 && break; sleep 0.3; done
echo "cluster up: the load balancer at http://127.0.0.1:$front (console /console, API /api/v1, readiness /readyz)"
echo "who dials: curl -s http://127.0.0.1:$front/readyz   (any node answers; .dialer names the elected node)"
echo "try: DATABASE_URL=$DATABASE_URL node dist/src/cli/main.js lists import contacts.csv --name wave --country PL"
echo "     kill -9 the dialing node's pid and watch another take over within ${DIALER_LEASE_SECONDS:-15} s"
wait
