#!/usr/bin/env bash
# Load test of the website and API with wrk (Debian's `wrk`), loopback only, bounded in time.
#
#   benchmarks/web_load.sh                 # ingest the ~75k corpus into a temp dir, serve, measure
#   DURATION=10 CONNECTIONS=32 WORKERS=2 benchmarks/web_load.sh
#   PAPERWIRE_DATA_DIR=/path/with/db benchmarks/web_load.sh   # reuse an already loaded database
#
# Measures, in one run against one server: /healthz (the baseline: the framework and the socket,
# no database, no template), the feed page (/), a paper page and the search API. Prints requests/s,
# p50 / p99 latency and errors (socket errors and non-2xx answers) per endpoint.
# Target (issue 5): feed page >= 500 requests/s, p99 <= 100 ms, zero errors.
#
# Pages are served from a per-process page cache that the database's data version invalidates
# (see paperwire.web.pages), so the feed page costs about what /healthz costs; a miss renders it
# in ~5 ms. WORKERS defaults to 1: with uvicorn 0.54, `--workers 2` listens on a socket without
# TCP_NODELAY and small answers wait ~40 ms for delayed ACKs (see the note in the web issue report).
set -euo pipefail
cd "$(dirname "$0")/.."
export PAPERWIRE_HARVEST_SOURCES=""  # measure serving only: no harvest (and its indexing) during the run

DURATION=${DURATION:-10}        # seconds per endpoint
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}           # wrk threads (the server gets the other core)
WORKERS=${WORKERS:-1}           # paperwire serve --workers (see the note on workers > 1 below)
CORPUS=${CORPUS:-${PAPERWIRE_SHARED_DATA:-../shared/data}/arxiv/arxiv_cs_2025_2026.jsonl.gz}
PY=${PY:-.venv/bin/python}
PAPERWIRE=${PAPERWIRE:-.venv/bin/paperwire}

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

workdir=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$workdir"
}
trap cleanup EXIT

if [ -z "${PAPERWIRE_DATA_DIR:-}" ]; then
  export PAPERWIRE_DATA_DIR="$workdir/data"
  unset PAPERWIRE_DATABASE_URL
  [ -f "$CORPUS" ] || { echo "corpus not found: $CORPUS" >&2; exit 2; }
  echo "ingesting $CORPUS into $PAPERWIRE_DATA_DIR ..."
  start=$(date +%s)
  "$PAPERWIRE" init >/dev/null
  "$PAPERWIRE" ingest "$CORPUS" --no-embed --json >"$workdir/ingest.json"
  echo "  done in $(( $(date +%s) - start )) s"
fi

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PAPERWIRE" serve --host 127.0.0.1 --port "$port" --workers "$WORKERS" >"$workdir/serve.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 150); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$workdir/serve.log" >&2; exit 2; }
  sleep 0.2
done
curl -fsS "$base/healthz" >/dev/null || { echo "server did not start" >&2; cat "$workdir/serve.log" >&2; exit 2; }

# a paper of the newest day (the one the feed shows first)
paper=$("$PY" - <<'PYEOF'
from paperwire.services import feed
from paperwire.services.feed import default_period
from paperwire.services.ingest import open_store
from paperwire.settings import load_settings
store = open_store(load_settings())
print(feed.feed(store, default_period(store), sort="upvotes", limit=1).papers[0].id)
PYEOF
)
papers_stats=$("$PY" -c 'from paperwire.services.ingest import open_store; from paperwire.settings import load_settings; print(open_store(load_settings()).stats()["papers"])')

cat >"$workdir/report.lua" <<'LUAEOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %.1f %.2f %.2f %.2f %d %d\n", summary.requests,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect + e.read + e.write + e.timeout, e.status))
end
LUAEOF

endpoints=(
  "baseline /healthz|/healthz"
  "feed page /|/"
  "paper page|/papers/$paper"
  "search API|/api/papers/search?q=language+models&limit=20"
  "search API, rare|/api/papers/search?q=graph+neural+network&limit=20"
)

echo
echo "paperwire web load: $papers_stats papers, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s per endpoint, serve --workers $WORKERS, $(nproc) cores"
printf '%-18s %-52s %10s %9s %9s %9s %8s %8s\n' endpoint url "req/s" "p50 ms" "p99 ms" "max ms" errors non-2xx
for entry in "${endpoints[@]}"; do
  name=${entry%%|*}; path=${entry#*|}
  for _ in 1 2 3 4 5; do curl -fsS -o /dev/null "$base$path" || true; done  # warm up
  line=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s -s "$workdir/report.lua" "$base$path" | grep '^RESULT')
  read -r _ requests rps p50 p99 max errors status <<<"$line"
  printf '%-18s %-52s %10s %9s %9s %9s %8s %8s\n' "$name" "${path:0:52}" "$rps" "$p50" "$p99" "$max" "$errors" "$status"
done
