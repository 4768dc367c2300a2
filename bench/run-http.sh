#!/usr/bin/env bash
# Whole-path HTTP benchmark, on loopback, in one run: the sample model called directly, through a
# plain reverse proxy (nginx, when installed) and through Gatehouse (gateway + agent, pipeline
# `limits` + `auth`). Prints req/s and latency per target and the ratios to the direct call.
#
#   bench/run-http.sh
#   bench/run-http.sh --hold   start everything, check it answers, print how to call it, and wait for
#                              Ctrl-C (to profile or try requests by hand); nothing is measured
#
# Settings (environment, defaults in brackets):
#   BENCH_THREADS [2] BENCH_CONNECTIONS [32] BENCH_DURATION [15s] BENCH_WARMUP [10s] BENCH_ROUNDS [2]
#   BENCH_IDLE_DURATION [8s]       the one-connection run that shows the latency each hop adds
#   BENCH_STREAM_SAMPLES [40] BENCH_STREAM_DELAY_MS [10]   the streaming time-to-first-byte run
#   BENCH_MODEL_JAVA_OPTS [-Dsun.net.httpserver.nodelay=true]  see bench/README.md: without it the
#     sample model's JDK HttpServer leaves Nagle on and a non-streamed answer can wait ~40 ms for a
#     delayed ACK, which would hide everything else in the direct row
#   BENCH_MODEL_PORT [18000] BENCH_GATEWAY_PORT [18080] BENCH_ADMIN_PORT [18081]
#   BENCH_AGENT_PORT [17443] BENCH_ISSUER_PORT [18090] BENCH_PROXY_PORT [18088]
#   (the defaults do not clash with a running `./gatehouse demo`)
#   GATEHOUSE_JAVA_OPTS []  JVM options of the agent and the gateway, as for the ./gatehouse launcher
#
# Needs java 17+, curl, wrk (Debian: apt-get install -y wrk) and, for the proxy row, nginx
# (Debian: apt-get install -y nginx-light); without nginx the proxy row is skipped.
# Logs and wrk's raw output: bench/target/run-http/. Every process it starts is stopped on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/target/run-http"

THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
DURATION="${BENCH_DURATION:-15s}"
WARMUP="${BENCH_WARMUP:-10s}"
ROUNDS="${BENCH_ROUNDS:-2}"
IDLE_DURATION="${BENCH_IDLE_DURATION:-8s}"
STREAM_SAMPLES="${BENCH_STREAM_SAMPLES:-40}"
STREAM_DELAY_MS="${BENCH_STREAM_DELAY_MS:-10}"
MODEL_JAVA_OPTS="${BENCH_MODEL_JAVA_OPTS--Dsun.net.httpserver.nodelay=true}"
MODEL_PORT="${BENCH_MODEL_PORT:-18000}"
GATEWAY_PORT="${BENCH_GATEWAY_PORT:-18080}"
ADMIN_PORT="${BENCH_ADMIN_PORT:-18081}"
AGENT_PORT="${BENCH_AGENT_PORT:-17443}"
ISSUER_PORT="${BENCH_ISSUER_PORT:-18090}"
PROXY_PORT="${BENCH_PROXY_PORT:-18088}"

BODY='{"model":"demo-small","messages":[{"role":"user","content":"hello"}]}'
STREAM_BODY='{"model":"demo-small","stream":true,"messages":[{"role":"user","content":"stream these words one by one"}]}'

say() { printf '%s\n' "$*"; }
die() { printf 'run-http: %s\n' "$*" >&2; exit 1; }

# --- tools --------------------------------------------------------------------------------------
command -v java >/dev/null || die "java (17+) is needed"
command -v curl >/dev/null || die "curl is needed (Debian: apt-get install -y curl)"
command -v wrk >/dev/null || die "wrk is needed: apt-get install -y wrk (Debian/Ubuntu), then run again"
NGINX="$(command -v nginx || true)"
[ -x "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
[ -n "$NGINX" ] || say "run-http: nginx not found: the plain-proxy row is skipped (apt-get install -y nginx-light to add it)"

GATEWAY_JAR="$ROOT/routes/target/gatehouse-gateway.jar"
BENCH_JAR="$ROOT/bench/target/benchmarks.jar"
if [ ! -f "$GATEWAY_JAR" ] || [ ! -d "$ROOT/routes/target/lib" ] || [ ! -f "$BENCH_JAR" ]; then
  command -v mvn >/dev/null || die "Maven (mvn) is needed to build the gateway and bench jars"
  say "run-http: building the gateway and bench jars"
  (cd "$ROOT" && mvn -B -ntp -q -Dmaven.test.skip=true -pl routes,bench -am package) >&2
fi

for port in "$MODEL_PORT" "$GATEWAY_PORT" "$ADMIN_PORT" "$AGENT_PORT" "$ISSUER_PORT" "$PROXY_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port on 127.0.0.1 is taken; free it or choose others with the BENCH_*_PORT variables"
  fi
done

# --- processes, stopped on any exit ---------------------------------------------------------------
WORK="$(mktemp -d /tmp/gatehouse-bench.XXXXXX)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK" "$OUT/token" "$OUT/model-key"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$OUT" && mkdir -p "$OUT"
# A copy of the runtime: a build running in this tree meanwhile must not swap jars under running JVMs.
RT="$WORK/runtime"
mkdir -p "$RT" && cp -r "$GATEWAY_JAR" "$ROOT/routes/target/lib" "$BENCH_JAR" "$RT/"
CP="$RT/gatehouse-gateway.jar:$RT/lib/*"
# A fresh key for this run only; it goes to the model and the agent through their environment.
MODEL_KEY="sk-bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"

wait_port() { # name port pid
  local i
  for i in $(seq 1 300); do
    kill -0 "$3" 2>/dev/null || die "$1 exited; see $OUT/$1.log"
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  die "$1 did not listen on port $2 within 60 s; see $OUT/$1.log"
}

say "== starting on loopback: model :$MODEL_PORT, issuer :$ISSUER_PORT, agent :$AGENT_PORT, gateway :$GATEWAY_PORT (admin :$ADMIN_PORT)${NGINX:+, nginx :$PROXY_PORT}"
# shellcheck disable=SC2086
SAMPLE_MODEL_API_KEY="$MODEL_KEY" java $MODEL_JAVA_OPTS -cp "$CP" io.gatehouse.samplemodel.SampleModelMain \
  --host 127.0.0.1 --port "$MODEL_PORT" --token-delay-ms 0 >"$OUT/model.log" 2>&1 &
PIDS+=($!); MODEL_PID=$!

java -Xmx64m -cp "$RT/benchmarks.jar" io.gatehouse.bench.LocalIssuer --port "$ISSUER_PORT" \
  --token-file "$WORK/token" >"$OUT/issuer.log" 2>&1 &
PIDS+=($!); ISSUER_PID=$!

mkdir -p "$WORK/config/endpoints" "$WORK/data"
cat >"$WORK/config/agent.yaml" <<EOF
listen:
  host: 127.0.0.1
  port: $AGENT_PORT
dataDirectory: $WORK/data
services:
  bench-model:
    url: http://127.0.0.1:$MODEL_PORT
    credential:
      header: Authorization
      scheme: Bearer
      secret: env:BENCH_MODEL_KEY
    connectTimeout: 5s
    responseTimeout: 60s
EOF
# The auth step's config has two generations: the issuer in the step itself, or (identity-provider
# rework) the issuers in gateway.yaml's `identity:` and the step naming them. The built processors
# jar tells which one this gateway reads (zip entry names are stored uncompressed).
ISSUER_URL="http://127.0.0.1:$ISSUER_PORT"
if grep -aq 'io/gatehouse/processors/auth/IdentityProviders.class' "$RT"/lib/gatehouse-processors-*.jar; then
  AUTH_FORM="gateway.yaml identity: provider + step 'auth: {providers: [bench]}'"
  IDENTITY_SECTION="identity:
  providers:
    bench:
      issuer: $ISSUER_URL
      audiences: [gatehouse]
      jwksUri: $ISSUER_URL/jwks.json"
  AUTH_STEP="  - auth:
      providers: [bench]"
else
  AUTH_FORM="step 'auth: {jwksUrl, issuer, audiences}'"
  IDENTITY_SECTION=""
  AUTH_STEP="  - auth:
      jwksUrl: $ISSUER_URL/jwks.json
      issuer: $ISSUER_URL
      audiences: [gatehouse]"
fi
cat >"$WORK/config/gateway.yaml" <<EOF
listeners:
  http:
    host: 127.0.0.1
    port: $GATEWAY_PORT
admin:
  host: 127.0.0.1
  port: $ADMIN_PORT
agents:
  local:
    address: 127.0.0.1:$AGENT_PORT
dataDirectory: $WORK/data
$IDENTITY_SECTION
EOF
cat >"$WORK/config/endpoints/openai.yaml" <<EOF
id: openai
listener: http
path: /v1
protocol: openai
target:
  agent: local
  service: bench-model
pipeline:
  - limits:
      maxBodyBytes: 1MiB
      maxHeaderBytes: 16KiB
      requestTimeout: 120s
$AUTH_STEP
EOF

wait_port model "$MODEL_PORT" "$MODEL_PID"
# The agent first: it creates the dev mTLS certificates under dataDirectory that the gateway then uses.
# Started as `./gatehouse agent|serve` would, minus the launcher's rebuild check.
# shellcheck disable=SC2086
BENCH_MODEL_KEY="$MODEL_KEY" java ${GATEHOUSE_JAVA_OPTS:-} -cp "$CP" io.gatehouse.gateway.cli.GatehouseCommand agent \
  --config "$WORK/config/agent.yaml" >"$OUT/agent.log" 2>&1 &
PIDS+=($!); AGENT_PID=$!
wait_port agent "$AGENT_PORT" "$AGENT_PID"
# shellcheck disable=SC2086
java ${GATEHOUSE_JAVA_OPTS:-} -cp "$CP" io.gatehouse.gateway.cli.GatehouseCommand serve --config "$WORK/config" >"$OUT/gateway.log" 2>&1 &
PIDS+=($!); GATEWAY_PID=$!
wait_port gateway "$GATEWAY_PORT" "$GATEWAY_PID"
wait_port issuer "$ISSUER_PORT" "$ISSUER_PID"
for _ in $(seq 1 100); do [ -s "$WORK/token" ] && break; sleep 0.1; done
TOKEN="$(cat "$WORK/token")"

if [ -n "$NGINX" ]; then
  mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp"
  cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  upstream model { server 127.0.0.1:$MODEL_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$PROXY_PORT;
    location / {
      proxy_pass http://model;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
EOF
  "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$OUT/nginx.log" 2>&1 &
  PIDS+=($!); NGINX_PID=$!
  wait_port nginx "$PROXY_PORT" "$NGINX_PID"
fi

# --- targets: name, URL, bearer ---------------------------------------------------------------------
NAMES=(direct); URLS=("http://127.0.0.1:$MODEL_PORT/v1/chat/completions"); BEARERS=("$MODEL_KEY")
if [ -n "$NGINX" ]; then
  NAMES+=(proxy); URLS+=("http://127.0.0.1:$PROXY_PORT/v1/chat/completions"); BEARERS+=("$MODEL_KEY")
fi
NAMES+=(gateway); URLS+=("http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions"); BEARERS+=("$TOKEN")

for i in "${!NAMES[@]}"; do
  answer="$(curl -s -w ' HTTP %{http_code}' -H "Authorization: Bearer ${BEARERS[$i]}" \
    -H 'Content-Type: application/json' -d "$BODY" "${URLS[$i]}")" || true
  case "$answer" in
    *chat.completion*" HTTP 200") ;;
    *) die "${NAMES[$i]} does not answer the chat request: $answer (logs: $OUT)" ;;
  esac
done
if [ "${1:-}" = "--hold" ]; then
  printf '%s\n' "$TOKEN" >"$OUT/token"; printf '%s\n' "$MODEL_KEY" >"$OUT/model-key"
  chmod 600 "$OUT/token" "$OUT/model-key"
  for i in "${!NAMES[@]}"; do say "${NAMES[$i]}: ${URLS[$i]}"; done
  say "bearer: \$(cat $OUT/token) for the gateway, \$(cat $OUT/model-key) for direct and proxy; Ctrl-C stops all"
  while :; do sleep 3600 & wait $!; done
fi
say "== auth config form: $AUTH_FORM"
say "== all targets answer 200; model JVM options: '${MODEL_JAVA_OPTS}'; gateway and agent: '${GATEHOUSE_JAVA_OPTS:-}'; $(nproc) cores; load before: $(uptime | sed 's/.*load average/load average/')"

declare -A RESULT
run_wrk() { # label index threads connections duration [extra header]
  local label="$1" i="$2" line
  BENCH_BODY="$BODY" BENCH_BEARER="${BEARERS[$i]}" BENCH_EXTRA_HEADER="${6:-}" \
    wrk -t"$3" -c"$4" -d"$5" --latency -s "$ROOT/bench/chat.lua" "${URLS[$i]}" >"$OUT/wrk-$label-${NAMES[$i]}.txt" 2>&1
  line="$(grep '^BENCH_RESULT' "$OUT/wrk-$label-${NAMES[$i]}.txt" || true)"
  [ -n "$line" ] || die "wrk gave no result for ${NAMES[$i]}; see $OUT/wrk-$label-${NAMES[$i]}.txt"
  RESULT["$label/${NAMES[$i]}"]="${line#BENCH_RESULT }"
}

say "== warm-up: $WARMUP per target (JIT, connection pools), not reported"
for i in "${!NAMES[@]}"; do run_wrk warmup "$i" "$THREADS" "$CONNECTIONS" "$WARMUP"; done

table() { # label title
  local label="$1" name r direct
  say ""
  say "$2"
  printf '%-8s %10s %9s %9s %9s %8s | %8s %8s %8s\n' target 'req/s' 'p50 ms' 'p90 ms' 'p99 ms' errors \
    'x req/s' 'x p50' 'x p99'
  read -r _ dq dp50 _ dp99 _ <<<"${RESULT[$label/direct]}"
  for name in "${NAMES[@]}"; do
    read -r n rps p50 p90 p99 status socket <<<"${RESULT[$label/$name]}"
    printf '%-8s %10.0f %9.2f %9.2f %9.2f %8s | %8.3f %8.2f %8.2f\n' "$name" "$rps" "$p50" "$p90" "$p99" \
      "$((status + socket))" "$(awk -v a="$rps" -v b="$dq" 'BEGIN{print a/b}')" \
      "$(awk -v a="$p50" -v b="$dp50" 'BEGIN{print a/b}')" "$(awk -v a="$p99" -v b="$dp99" 'BEGIN{print a/b}')"
  done
}

for round in $(seq 1 "$ROUNDS"); do
  for i in "${!NAMES[@]}"; do run_wrk "load$round" "$i" "$THREADS" "$CONNECTIONS" "$DURATION"; done
done
say "== idle: one connection, $IDLE_DURATION per target (the latency each hop adds when nothing queues)"
for i in "${!NAMES[@]}"; do run_wrk idle "$i" 1 1 "$IDLE_DURATION"; done

say ""
say "Non-streamed chat completion, wrk -t$THREADS -c$CONNECTIONS -d$DURATION; 'x' columns = target / direct"
for round in $(seq 1 "$ROUNDS"); do
  table "load$round" "-- load, round $round of $ROUNDS"
done
table idle "-- idle: wrk -t1 -c1 -d$IDLE_DURATION"

# --- streaming: time to first byte, with curl (wrk only sees whole responses) -------------------
percentile() { # p, numbers on stdin
  sort -n | awk -v p="$1" '{v[NR]=$1} END{ if (NR==0) {print "nan"; exit}; k=int((NR*p/100)+0.999999); if (k<1) k=1; if (k>NR) k=NR; printf "%.2f", v[k]*1000 }'
}
say ""
say "-- streaming (stream:true, ${STREAM_DELAY_MS} ms between words via X-Sample-Token-Delay-Ms): $STREAM_SAMPLES sequential requests on one kept-alive connection, after 10 unreported"
printf '%-8s %12s %12s %14s %8s\n' target 'ttfb p50 ms' 'ttfb p99 ms' 'total p50 ms' 'non-200'
for i in "${!NAMES[@]}"; do
  args=()
  for _ in $(seq 1 $((STREAM_SAMPLES + 10))); do args+=(-o /dev/null "${URLS[$i]}"); done
  curl -s -N -H "Authorization: Bearer ${BEARERS[$i]}" -H 'Content-Type: application/json' \
    -H "X-Sample-Token-Delay-Ms: $STREAM_DELAY_MS" -d "$STREAM_BODY" \
    -w '%{http_code} %{time_starttransfer} %{time_total}\n' "${args[@]}" >"$OUT/stream-${NAMES[$i]}.txt" || true
  samples="$(tail -n +11 "$OUT/stream-${NAMES[$i]}.txt")"
  printf '%-8s %12s %12s %14s %8s\n' "${NAMES[$i]}" \
    "$(awk '{print $2}' <<<"$samples" | percentile 50)" "$(awk '{print $2}' <<<"$samples" | percentile 99)" \
    "$(awk '{print $3}' <<<"$samples" | percentile 50)" "$(awk '$1 != 200' <<<"$samples" | wc -l)"
done

say ""
say "== load after: $(uptime | sed 's/.*load average/load average/'); raw output and logs: $OUT"
