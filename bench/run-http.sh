#!/usr/bin/env bash
# Whole-path HTTP benchmark, on loopback, in one run. Six rows in front of one upstream (nginx answering
# a canned ~2 KB chat completion, so the upstream is never the bottleneck):
#   direct                  the upstream itself
#   nginx proxy             nginx reverse proxy (upstream keep-alive, no buffering)
#   nginx two hops          a second nginx proxy in front of the first: what any two-process path (gateway ->
#                           agent -> model) costs at the least, since every hop pays the loopback's syscalls
#   apache                  Apache httpd + mod_auth_openidc as an OAuth 2.0 resource server (RS256 JWT
#                           checked against the bench issuer's JWKS, audience and issuer required) + mod_proxy
#   gatehouse limits+auth   gateway (pipeline limits, auth) -> agent (gRPC + mTLS) -> upstream
#   gatehouse full          gateway (recording with stored masking, limits, auth, policy, masking) -> agent
# Per row: wrk under load (ROUNDS rounds, targets alternating), wrk at one connection, and CPU per request
# at a fixed rate, in step (hey) and spread (wrk + bench/paced.lua), read from /proc for the row's own
# processes. Then time to first byte of an SSE
# stream from the sample model, direct and through both Gatehouse pipelines (curl).
#
#   bench/run-http.sh
#   bench/run-http.sh --hold   start everything, check it answers, print how to call each target and the
#                              gateway's and agent's pids, and wait for Ctrl-C (to profile, e.g. with JFR:
#                              see bench/README.md); nothing is measured
#
# Settings (environment, defaults in brackets):
#   BENCH_THREADS [2] BENCH_CONNECTIONS [64] BENCH_DURATION [15s] BENCH_ROUNDS [2]   wrk under load
#   BENCH_WARMUP [20s]        warm-up per Gatehouse target (JIT), not reported
#   BENCH_WARMUP_OTHER [5s]   warm-up per other target (connection pools, JWKS), not reported
#   BENCH_SETTLE_STEP [15] BENCH_SETTLE_SHARE [2] BENCH_SETTLE_MAX [300]   after the warm-up, both
#     Gatehouse targets are loaded again, STEP seconds each, until the JIT compiled for less than SHARE %
#     of the step's time in the gateway and in the agent (java.ci.totalTime, read with jcmd), at most
#     MAX seconds; the measured rounds start only then. SETTLE_MAX=0 skips it
#   BENCH_IDLE_DURATION [8s]  the one-connection run (wrk -t1 -c1): the latency each hop adds
#   BENCH_RATE [1000] BENCH_RATE_DURATION [10s]   CPU per request, p50 and p99 at a fixed rate, two ways:
#     in step: hey -c BENCH_RATE_WORKERS [20] -q RATE/WORKERS (hey's -q is per worker; its workers tick
#       together, so the requests come in bursts of WORKERS);
#     spread: wrk -c BENCH_RATE_CONNECTIONS [50] -s bench/paced.lua, each connection pausing a random
#       (exponential) time before each request, so requests arrive one by one, independently; the mean
#       pause starts at CONNECTIONS/RATE and each unmeasured run corrects it by the latency it saw.
#     BENCH_RATE=0 skips both
#   BENCH_RATE_WARMUP [5s]    the same rate first, not measured: the first seconds after another row's
#     load (new connections, the JIT meeting this endpoint's pipeline again) are not the steady state;
#     then, for the Gatehouse rows, BENCH_SETTLE_STEP seconds more at the rate until the JIT's time
#     stays under BENCH_SETTLE_SHARE % of the wall time, at most BENCH_RATE_SETTLE_MAX [120] seconds
#   BENCH_STREAM_SAMPLES [40] BENCH_STREAM_DELAY_MS [10]   the streaming time-to-first-byte run
#   BENCH_STREAM_WARMUP [20s] BENCH_STREAM_WARMUP_CONNECTIONS [16]   before it, each streaming target is loaded
#     with streamed requests (hey, no delay between words) so its streaming path is compiled, as the
#     whole-path rows are warmed before they are measured; 0 skips it (then the TTFB is a cold path's)
#   BENCH_STORE_URL []        a jdbc:postgresql://… URL for the gateway's store (recording, rate limits);
#     default: embedded H2 in the run's temp dir. BENCH_STORE_USER [postgres], BENCH_STORE_PASSWORD []
#   BENCH_TOKEN_CACHE_SIZE [] the gateway's identity.cacheSize (verified-token cache); empty = its default,
#     0 = off: every request then pays the RSA check, as mod_auth_openidc 2.4.12 does for a JWT
#   BENCH_MODEL_JAVA_OPTS [-Dsun.net.httpserver.nodelay=true]  the sample model (streaming only); see
#     bench/README.md: without it its JDK HttpServer leaves Nagle on
#   BENCH_OUT [bench/target/run-http]   where logs, raw output, results.md (and --hold's token) go
#   GATEHOUSE_JAVA_OPTS []    JVM options of the agent and the gateway, as for the ./gatehouse launcher;
#   BENCH_GATEWAY_JAVA_OPTS [] BENCH_AGENT_JAVA_OPTS []   added for one of them (e.g. its own JFR file)
#   Ports: BENCH_UPSTREAM_PORT [18100] BENCH_PROXY_PORT [18088] BENCH_PROXY2_PORT [18087] (the second hop)
#     BENCH_APACHE_PORT [18089]
#     BENCH_GATEWAY_PORT [18080] (limits+auth) BENCH_GATEWAY_FULL_PORT [18082] (full)
#     BENCH_GATEWAY_STREAM_PORT [18084] BENCH_GATEWAY_FULL_STREAM_PORT [18086] (the two pipelines in
#     front of the sample model, for the streaming run) BENCH_ADMIN_PORT [18081] BENCH_AGENT_PORT [17443]
#     BENCH_ISSUER_PORT [18090] BENCH_JWKS_TLS_PORT [18091] (the issuer's JWKS over TLS, for apache)
#     BENCH_MODEL_PORT [18000] BENCH_MODEL_GRPC_PORT [18001] (the sample model's gRPC side, unused)
#     (none clashes with a running `./gatehouse demo`)
#   BENCH_APACHE_BIN [apache2 or httpd] BENCH_APACHE_MODULES [/usr/lib/apache2/modules]
#   GATEHOUSE_CP, GATEHOUSE_MAIN, SAMPLE_MODEL_CP, SAMPLE_MODEL_MAIN   how Gatehouse and the sample model
#     are started (defaults below: cli/target's jar and lib, io.gatehouse.cli.GatehouseCommand;
#     sample-model/target's jar and lib, io.gatehouse.samplemodel.SampleModelMain)
#
# Needs java 17+, curl, wrk, nginx (Debian: apt-get install -y wrk nginx-light); for the apache row
# apache2, libapache2-mod-auth-openidc and openssl, for warming the streaming targets hey (each skipped, saying so, when
# missing). Logs, raw tool output and results.md: bench/target/run-http/. Every process it starts is
# stopped on exit, Ctrl-C included.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${BENCH_OUT:-$ROOT/bench/target/run-http}"

# How Gatehouse is started (as `./gatehouse serve|agent` does, minus the launcher's rebuild check). The
# sample model (streaming run only) runs from its own jar and lib: it is not on Gatehouse's class path.
GATEHOUSE_CP="${GATEHOUSE_CP:-$ROOT/cli/target/gatehouse-cli.jar:$ROOT/cli/target/lib/*}"
GATEHOUSE_MAIN="${GATEHOUSE_MAIN:-io.gatehouse.cli.GatehouseCommand}"
SAMPLE_MODEL_CP="${SAMPLE_MODEL_CP:-$ROOT/sample-model/target/gatehouse-sample-model.jar:$ROOT/sample-model/target/lib/*}"
SAMPLE_MODEL_MAIN="${SAMPLE_MODEL_MAIN:-io.gatehouse.samplemodel.SampleModelMain}"
BENCH_JAR="$ROOT/bench/target/benchmarks.jar"

THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
DURATION="${BENCH_DURATION:-15s}"
WARMUP="${BENCH_WARMUP:-20s}"
WARMUP_OTHER="${BENCH_WARMUP_OTHER:-5s}"
SETTLE_STEP="${BENCH_SETTLE_STEP:-15}"
SETTLE_SHARE="${BENCH_SETTLE_SHARE:-2}"
SETTLE_MAX="${BENCH_SETTLE_MAX:-300}"
ROUNDS="${BENCH_ROUNDS:-2}"
IDLE_DURATION="${BENCH_IDLE_DURATION:-8s}"
RATE="${BENCH_RATE:-1000}"
RATE_WORKERS="${BENCH_RATE_WORKERS:-20}"
RATE_CONNECTIONS="${BENCH_RATE_CONNECTIONS:-50}"
RATE_DURATION="${BENCH_RATE_DURATION:-10s}"
RATE_WARMUP="${BENCH_RATE_WARMUP:-5s}"
RATE_SETTLE_MAX="${BENCH_RATE_SETTLE_MAX:-120}"
STREAM_SAMPLES="${BENCH_STREAM_SAMPLES:-40}"
STREAM_DELAY_MS="${BENCH_STREAM_DELAY_MS:-10}"
STREAM_WARMUP="${BENCH_STREAM_WARMUP:-20s}"
STREAM_WARMUP_CONNECTIONS="${BENCH_STREAM_WARMUP_CONNECTIONS:-16}"
# The launcher's JIT default (./gatehouse): 4 compiler threads on fewer than 8 CPUs, unless set.
case " ${GATEHOUSE_JAVA_OPTS:-} " in
  *CICompilerCount*) ;;
  *) [ "$(nproc 2>/dev/null || echo 8)" -lt 8 ] && GATEHOUSE_JAVA_OPTS="-XX:CICompilerCount=4 ${GATEHOUSE_JAVA_OPTS:-}" ;;
esac
MODEL_JAVA_OPTS="${BENCH_MODEL_JAVA_OPTS--Dsun.net.httpserver.nodelay=true}"
STORE_URL="${BENCH_STORE_URL:-}"
TOKEN_CACHE_SIZE="${BENCH_TOKEN_CACHE_SIZE:-}"
UPSTREAM_PORT="${BENCH_UPSTREAM_PORT:-18100}"
PROXY_PORT="${BENCH_PROXY_PORT:-18088}"
PROXY2_PORT="${BENCH_PROXY2_PORT:-18087}"
APACHE_PORT="${BENCH_APACHE_PORT:-18089}"
GATEWAY_PORT="${BENCH_GATEWAY_PORT:-18080}"
GATEWAY_FULL_PORT="${BENCH_GATEWAY_FULL_PORT:-18082}"
GATEWAY_STREAM_PORT="${BENCH_GATEWAY_STREAM_PORT:-18084}"
GATEWAY_FULL_STREAM_PORT="${BENCH_GATEWAY_FULL_STREAM_PORT:-18086}"
ADMIN_PORT="${BENCH_ADMIN_PORT:-18081}"
AGENT_PORT="${BENCH_AGENT_PORT:-17443}"
ISSUER_PORT="${BENCH_ISSUER_PORT:-18090}"
JWKS_TLS_PORT="${BENCH_JWKS_TLS_PORT:-18091}"
MODEL_PORT="${BENCH_MODEL_PORT:-18000}"
MODEL_GRPC_PORT="${BENCH_MODEL_GRPC_PORT:-18001}"
APACHE_MODULES="${BENCH_APACHE_MODULES:-/usr/lib/apache2/modules}"

BODY='{"model":"demo-small","messages":[{"role":"user","content":"hello"}]}'
STREAM_BODY='{"model":"demo-small","stream":true,"messages":[{"role":"user","content":"stream these words one by one"}]}'
CHAT_PATH=/v1/chat/completions

say() { printf '%s\n' "$*"; }
die() { printf 'run-http: %s\n' "$*" >&2; exit 1; }

# --- tools --------------------------------------------------------------------------------------
command -v java >/dev/null || die "java (17+) is needed"
command -v curl >/dev/null || die "curl is needed (Debian: apt-get install -y curl)"
command -v wrk >/dev/null || die "wrk is needed: apt-get install -y wrk (Debian/Ubuntu), then run again"
NGINX="$(command -v nginx || true)"
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
[ -n "$NGINX" ] || die "nginx is needed (it is the upstream of every row): apt-get install -y nginx-light"
APACHE="${BENCH_APACHE_BIN:-$(command -v apache2 || command -v httpd || true)}"
[ -n "$APACHE" ] || { [ -x /usr/sbin/apache2 ] && APACHE=/usr/sbin/apache2; } || true
if [ -z "$APACHE" ] || [ ! -f "$APACHE_MODULES/mod_auth_openidc.so" ] || ! command -v openssl >/dev/null; then
  say "run-http: apache2, mod_auth_openidc or openssl not found: the apache row is skipped" \
    "(apt-get install -y apache2 libapache2-mod-auth-openidc openssl to add it)"
  APACHE=""
fi
HEY="$(command -v hey || true)"
[ -n "$HEY" ] || say "run-http: hey not found: the streaming targets are not warmed before their samples (apt-get install -y hey)"
# nginx's `return 200 '…'` holds the canned answer: it must not need escaping there.
UPSTREAM_JSON="$(tr -d '\n' <"$ROOT/bench/upstream-chat.json")"
case "$UPSTREAM_JSON" in *"'"*|*'\'*|*'$'*) die "bench/upstream-chat.json must hold no ' \\ or \$ (nginx string)";; esac

# The class paths' entries: a jar, a directory, or dir/* (every jar in it).
cp_missing() { # classpath -> prints the first entry that does not exist
  local entry
  IFS=: read -ra entries <<<"$1"
  for entry in "${entries[@]}"; do
    case "$entry" in
      */\*) [ -d "${entry%/\*}" ] || { say "$entry"; return; } ;;
      *) [ -e "$entry" ] || { say "$entry"; return; } ;;
    esac
  done
}
if [ -n "$(cp_missing "$GATEHOUSE_CP:$SAMPLE_MODEL_CP")" ] || [ ! -f "$BENCH_JAR" ]; then
  command -v mvn >/dev/null || die "Maven (mvn) is needed to build the gateway and bench jars"
  say "run-http: building the gateway and bench jars"
  (cd "$ROOT" && mvn -B -ntp -q -Dmaven.test.skip=true -pl cli,sample-model,bench -am package) >&2
  missing="$(cp_missing "$GATEHOUSE_CP:$SAMPLE_MODEL_CP")"
  [ -z "$missing" ] || die "class path entry $missing is missing after the build; set GATEHOUSE_CP"
fi

PORTS=("$UPSTREAM_PORT" "$PROXY_PORT" "$PROXY2_PORT" "$GATEWAY_PORT" "$GATEWAY_FULL_PORT" "$GATEWAY_STREAM_PORT"
  "$GATEWAY_FULL_STREAM_PORT" "$ADMIN_PORT" "$AGENT_PORT" "$ISSUER_PORT" "$MODEL_PORT" "$MODEL_GRPC_PORT")
[ -z "$APACHE" ] || PORTS+=("$APACHE_PORT" "$JWKS_TLS_PORT")
for port in "${PORTS[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port on 127.0.0.1 is taken; free it or choose others with the BENCH_*_PORT variables"
  fi
done

# --- processes, stopped on any exit ---------------------------------------------------------------
WORK="$(mktemp -d /tmp/gatehouse-bench.XXXXXX)"
# nginx's and apache's workers run as nobody (started by root): they may cross $WORK, not list it.
chmod 711 "$WORK"
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
copy_cp() { # classpath destination -> prints the class path of the copy
  local entry n=0 copied=() src
  IFS=: read -ra entries <<<"$1"
  for entry in "${entries[@]}"; do
    n=$((n + 1)); mkdir -p "$2/$n"
    case "$entry" in
      */\*) src="${entry%/\*}"; cp -r "$src" "$2/$n/"; copied+=("$2/$n/$(basename "$src")/*") ;;
      *) cp -r "$entry" "$2/$n/"; copied+=("$2/$n/$(basename "$entry")") ;;
    esac
  done
  (IFS=:; printf '%s' "${copied[*]}")
}
CP="$(copy_cp "$GATEHOUSE_CP" "$WORK/runtime/gatehouse")"
if [ "$SAMPLE_MODEL_CP" = "$GATEHOUSE_CP" ]; then MODEL_CP="$CP"; else
  MODEL_CP="$(copy_cp "$SAMPLE_MODEL_CP" "$WORK/runtime/model")"; fi
cp "$BENCH_JAR" "$WORK/runtime/benchmarks.jar"
# A fresh key for this run only; it goes to the sample model and the agent through their environment.
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

LOAD_BEFORE="$(sed 's/ [0-9]*\/.*//' /proc/loadavg)"
say "== starting on loopback: upstream :$UPSTREAM_PORT, nginx proxy :$PROXY_PORT, second hop :$PROXY2_PORT${APACHE:+, apache :$APACHE_PORT}," \
  "gateway :$GATEWAY_PORT (limits+auth) :$GATEWAY_FULL_PORT (full) :$GATEWAY_STREAM_PORT :$GATEWAY_FULL_STREAM_PORT" \
  "(streaming), admin :$ADMIN_PORT, agent :$AGENT_PORT, issuer :$ISSUER_PORT, sample model :$MODEL_PORT"

# nginx config shared by the upstream and the proxy; keepalive_requests high so that no row reconnects
# every 1,000 requests (nginx's default) while the others do not.
nginx_conf() { # dir server-block [worker_processes]
  mkdir -p "$1/logs" "$1/tmp"
  cat >"$1/nginx.conf" <<EOF
daemon off;
worker_processes ${3:-auto};
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $1/tmp/body;
  proxy_temp_path $1/tmp/proxy;
  fastcgi_temp_path $1/tmp/fastcgi;
  uwsgi_temp_path $1/tmp/uwsgi;
  scgi_temp_path $1/tmp/scgi;
$2
}
EOF
}
# The upstream: the non-streamed canned answer (bench/upstream-chat.json) from memory.
nginx_conf "$WORK/upstream" "  server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    location = $CHAT_PATH {
      default_type application/json;
      return 200 '$UPSTREAM_JSON';
    }
  }"
"$NGINX" -p "$WORK/upstream" -c "$WORK/upstream/nginx.conf" >"$OUT/upstream.log" 2>&1 &
PIDS+=($!); UPSTREAM_PID=$!
# A reverse proxy: upstream keep-alive, no buffering.
nginx_proxy_conf() { # dir listen-port upstream-port
  nginx_conf "$1" "  upstream next_hop { server 127.0.0.1:$3; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$2;
    location / {
      proxy_pass http://next_hop;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_buffering off;
    }
  }"
}
nginx_proxy_conf "$WORK/proxy" "$PROXY_PORT" "$UPSTREAM_PORT"
"$NGINX" -p "$WORK/proxy" -c "$WORK/proxy/nginx.conf" >"$OUT/nginx-proxy.log" 2>&1 &
PIDS+=($!); PROXY_PID=$!
# The two-hop reference: the same proxy again, in front of the first one.
nginx_proxy_conf "$WORK/proxy2" "$PROXY2_PORT" "$PROXY_PORT"
"$NGINX" -p "$WORK/proxy2" -c "$WORK/proxy2/nginx.conf" >"$OUT/nginx-proxy2.log" 2>&1 &
PIDS+=($!); PROXY2_PID=$!

# shellcheck disable=SC2086
SAMPLE_MODEL_API_KEY="$MODEL_KEY" java $MODEL_JAVA_OPTS -cp "$MODEL_CP" "$SAMPLE_MODEL_MAIN" \
  --host 127.0.0.1 --port "$MODEL_PORT" --grpc-port "$MODEL_GRPC_PORT" --token-delay-ms 0 >"$OUT/model.log" 2>&1 &
PIDS+=($!); MODEL_PID=$!

java -Xmx64m -cp "$WORK/runtime/benchmarks.jar" io.gatehouse.bench.LocalIssuer --port "$ISSUER_PORT" \
  --token-file "$WORK/token" --other-audience-token-file "$WORK/other-token" >"$OUT/issuer.log" 2>&1 &
PIDS+=($!); ISSUER_PID=$!
ISSUER_URL="http://127.0.0.1:$ISSUER_PORT"

# --- Gatehouse: one agent, one gateway, four endpoints on four listeners ---------------------------
mkdir -p "$WORK/config/endpoints" "$WORK/config/policies" "$WORK/data"
cat >"$WORK/config/agent.yaml" <<EOF
listen:
  host: 127.0.0.1
  port: $AGENT_PORT
dataDirectory: $WORK/data
services:
  upstream:                 # the rows: nginx's canned answer (ignores the key the agent injects)
    url: http://127.0.0.1:$UPSTREAM_PORT
    credential: { header: Authorization, scheme: Bearer, secret: env:BENCH_MODEL_KEY }
    connectTimeout: 5s
    responseTimeout: 60s
  sample-model:             # the streaming run: SSE from the sample model, which checks the key
    url: http://127.0.0.1:$MODEL_PORT
    credential: { header: Authorization, scheme: Bearer, secret: env:BENCH_MODEL_KEY }
    connectTimeout: 5s
    responseTimeout: 60s
EOF
STORE_SECTION="store:
  onStoreFailure: fail-closed"
STORE_DESC="embedded H2 under the run's temp dir"
if [ -n "$STORE_URL" ]; then
  STORE_SECTION="$STORE_SECTION
  url: $STORE_URL
  username: ${BENCH_STORE_USER:-postgres}"
  [ -z "${BENCH_STORE_PASSWORD:-}" ] || STORE_SECTION="$STORE_SECTION
  password: env:BENCH_STORE_PASSWORD"
  STORE_DESC="$STORE_URL (BENCH_STORE_URL)"
fi
cat >"$WORK/config/gateway.yaml" <<EOF
listeners:
  http: { host: 127.0.0.1, port: $GATEWAY_PORT }
  full: { host: 127.0.0.1, port: $GATEWAY_FULL_PORT }
  stream: { host: 127.0.0.1, port: $GATEWAY_STREAM_PORT }
  full-stream: { host: 127.0.0.1, port: $GATEWAY_FULL_STREAM_PORT }
admin:
  host: 127.0.0.1
  port: $ADMIN_PORT
agents:
  local:
    address: 127.0.0.1:$AGENT_PORT
identity:
  providers:
    bench:
      issuer: $ISSUER_URL
      audiences: [gatehouse]
      jwksUri: $ISSUER_URL/jwks.json
${TOKEN_CACHE_SIZE:+  cacheSize: $TOKEN_CACHE_SIZE}
dataDirectory: $WORK/data
$STORE_SECTION
EOF
LIMITS_AUTH_STEPS="  - limits:
      maxBodyBytes: 1MiB
      maxHeaderBytes: 16KiB
      requestTimeout: 120s
  - auth:
      providers: [bench]"
# The demo's openai pipeline (config/examples/demo) without approval (nothing here needs one) and
# without the example plugin.
FULL_STEPS="  - recording:
      maxBodyBytes: 64KiB
      retentionDays: 30
      masking:
        detectors: {email: redact, phone: redact, credit-card: redact, iban: redact, us-ssn: redact,
                    ip-address: redact, secret: redact}
$LIMITS_AUTH_STEPS
  - policy:
      filterModelLists: true
  - masking:
      exemptGroups: [pii-readers]"
endpoint() { # id listener service steps
  cat >"$WORK/config/endpoints/$1.yaml" <<EOF
id: $1
listener: $2
path: /v1
protocol: openai
target:
  agent: local
  service: $3
pipeline:
$4
EOF
}
endpoint limits-auth http upstream "$LIMITS_AUTH_STEPS"
endpoint full full upstream "$FULL_STEPS"
endpoint limits-auth-stream stream sample-model "$LIMITS_AUTH_STEPS"
endpoint full-stream full-stream sample-model "$FULL_STEPS"
# The demo's analysts policy for chat (docs/policy.md), with budgets no run can exhaust: the rate
# limit and the token quota are still taken and charged on every request. The bench token's group is
# analysts, which the masking step does not exempt.
cat >"$WORK/config/policies/analysts.yaml" <<EOF
name: analysts
appliesTo:
  groups: [analysts]
rules:
  - name: chat-small
    effect: allow
    endpoints: [full, full-stream]
    models: [demo-small]
    operations: [chat, completion]
    limits:
      maxBodyBytes: 64KiB
      maxBatch: 2
      maxTokens: 512
      streaming: true
      maxStreamDuration: 60s
    rateLimits:
      - { per: identity, requests: 1000000000, every: 1m }
      - { per: group, tokens: 1000000000000, every: 1h }
    hideFields: [/usage, /choices/*/logprobs]
EOF

wait_port model "$MODEL_PORT" "$MODEL_PID"
# The agent first: it creates the dev mTLS certificates under dataDirectory that the gateway then uses.
# shellcheck disable=SC2086
BENCH_MODEL_KEY="$MODEL_KEY" java ${GATEHOUSE_JAVA_OPTS:-} ${BENCH_AGENT_JAVA_OPTS:-} -cp "$CP" "$GATEHOUSE_MAIN" \
  agent --config "$WORK/config/agent.yaml" >"$OUT/agent.log" 2>&1 &
PIDS+=($!); AGENT_PID=$!
wait_port agent "$AGENT_PORT" "$AGENT_PID"
# shellcheck disable=SC2086
BENCH_STORE_PASSWORD="${BENCH_STORE_PASSWORD:-}" java ${GATEHOUSE_JAVA_OPTS:-} ${BENCH_GATEWAY_JAVA_OPTS:-} \
  -cp "$CP" "$GATEHOUSE_MAIN" serve --config "$WORK/config" >"$OUT/gateway.log" 2>&1 &
PIDS+=($!); GATEWAY_PID=$!
wait_port issuer "$ISSUER_PORT" "$ISSUER_PID"
for _ in $(seq 1 100); do [ -s "$WORK/token" ] && break; sleep 0.1; done
TOKEN="$(cat "$WORK/token")"
OTHER_TOKEN="$(cat "$WORK/other-token")"

# --- apache + mod_auth_openidc: an OAuth 2.0 resource server in front of the same upstream ------------
if [ -n "$APACHE" ]; then
  # mod_auth_openidc takes only an https JWKS URL (OIDCOAuthVerifyJwksUri): a one-worker nginx serves
  # the issuer's JWKS over TLS with a throw-away self-signed certificate, which apache trusts
  # (OIDCCABundlePath); the module fetches the JWKS once and caches it (OIDCJWKSRefreshInterval, 1 h).
  mkdir -p "$WORK/jwks-tls" && chmod 755 "$WORK/jwks-tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$WORK/jwks-tls/key.pem" -out "$WORK/jwks-tls/cert.pem" >"$OUT/jwks-tls-openssl.log" 2>&1 \
    || die "openssl could not make the JWKS TLS certificate; see $OUT/jwks-tls-openssl.log"
  chmod 644 "$WORK/jwks-tls/cert.pem"
  nginx_conf "$WORK/jwks-tls" "  server {
    listen 127.0.0.1:$JWKS_TLS_PORT ssl;
    ssl_certificate $WORK/jwks-tls/cert.pem;
    ssl_certificate_key $WORK/jwks-tls/key.pem;
    location = /jwks.json { proxy_pass http://127.0.0.1:$ISSUER_PORT; }
  }" 1
  "$NGINX" -p "$WORK/jwks-tls" -c "$WORK/jwks-tls/nginx.conf" >"$OUT/jwks-tls.log" 2>&1 &
  PIDS+=($!); JWKS_TLS_PID=$!
  wait_port jwks-tls "$JWKS_TLS_PORT" "$JWKS_TLS_PID"
  mkdir -p "$WORK/apache/run" && chmod 755 "$WORK/apache" "$WORK/apache/run"
  RUN_AS=""
  [ "$(id -u)" != 0 ] || RUN_AS="User nobody
Group $(id -gn nobody 2>/dev/null || echo nogroup)"
  cat >"$WORK/apache/httpd.conf" <<EOF
ServerRoot "$WORK/apache"
DefaultRuntimeDir "$WORK/apache/run"
PidFile "$WORK/apache/run/httpd.pid"
ServerName 127.0.0.1
Listen 127.0.0.1:$APACHE_PORT
ErrorLog "$OUT/apache-error.log"
LogLevel warn
$RUN_AS
LoadModule mpm_event_module $APACHE_MODULES/mod_mpm_event.so
LoadModule authn_core_module $APACHE_MODULES/mod_authn_core.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule authz_user_module $APACHE_MODULES/mod_authz_user.so
LoadModule proxy_module $APACHE_MODULES/mod_proxy.so
LoadModule proxy_http_module $APACHE_MODULES/mod_proxy_http.so
LoadModule auth_openidc_module $APACHE_MODULES/mod_auth_openidc.so
# A small event MPM: two processes of 64 threads, none started or stopped during a run. With fewer
# workers than wrk's connections, the event MPM closes idle keep-alive connections (read errors in wrk).
StartServers 2
ServerLimit 2
ThreadLimit 64
ThreadsPerChild 64
MaxRequestWorkers 128
MinSpareThreads 64
MaxSpareThreads 192
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
# No access log (nginx runs with access_log off); errors only.
# mod_auth_openidc as an OAuth 2.0 resource server: the JWT is verified locally (RS256) against the
# bench issuer's JWKS (through the TLS front above). The module checks signature and exp (2.4.12: no
# issuer or audience check of its own for OAuth 2.0 JWTs): audience and issuer are required below.
OIDCOAuthVerifyJwksUri https://127.0.0.1:$JWKS_TLS_PORT/jwks.json
OIDCCABundlePath $WORK/jwks-tls/cert.pem
OIDCOAuthRemoteUserClaim sub
OIDCCryptoPassphrase "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
OIDCCacheType shm
<Location "/v1/">
  AuthType oauth20
  <RequireAll>
    Require valid-user
    Require claim aud:gatehouse
    Require claim iss:$ISSUER_URL
  </RequireAll>
</Location>
ProxyPass "/v1/" "http://127.0.0.1:$UPSTREAM_PORT/v1/"
ProxyPassReverse "/v1/" "http://127.0.0.1:$UPSTREAM_PORT/v1/"
EOF
  "$APACHE" -d "$WORK/apache" -f "$WORK/apache/httpd.conf" -DFOREGROUND >"$OUT/apache.log" 2>&1 &
  PIDS+=($!); APACHE_PID=$!
  wait_port apache "$APACHE_PORT" "$APACHE_PID"
fi
wait_port upstream "$UPSTREAM_PORT" "$UPSTREAM_PID"
wait_port nginx-proxy "$PROXY_PORT" "$PROXY_PID"
wait_port nginx-proxy2 "$PROXY2_PORT" "$PROXY2_PID"
wait_port gateway "$GATEWAY_PORT" "$GATEWAY_PID"
wait_port gateway "$GATEWAY_FULL_PORT" "$GATEWAY_PID"

# --- targets: name, URL, root pids of its own processes (for CPU), warm-up ---------------------------
NAMES=("direct" "nginx proxy" "nginx two hops")
URLS=("http://127.0.0.1:$UPSTREAM_PORT$CHAT_PATH" "http://127.0.0.1:$PROXY_PORT$CHAT_PATH" "http://127.0.0.1:$PROXY2_PORT$CHAT_PATH")
TPIDS=("$UPSTREAM_PID" "$PROXY_PID" "$PROXY2_PID $PROXY_PID"); WARMUPS=("$WARMUP_OTHER" "$WARMUP_OTHER" "$WARMUP_OTHER")
if [ -n "$APACHE" ]; then
  NAMES+=("apache"); URLS+=("http://127.0.0.1:$APACHE_PORT$CHAT_PATH"); TPIDS+=("$APACHE_PID"); WARMUPS+=("$WARMUP_OTHER")
fi
NAMES+=("gatehouse limits+auth" "gatehouse full")
URLS+=("http://127.0.0.1:$GATEWAY_PORT$CHAT_PATH" "http://127.0.0.1:$GATEWAY_FULL_PORT$CHAT_PATH")
TPIDS+=("$GATEWAY_PID $AGENT_PID" "$GATEWAY_PID $AGENT_PID"); WARMUPS+=("$WARMUP" "$WARMUP")
# Streaming run: the sample model direct (its key), then both pipelines in front of it (the token).
S_NAMES=("direct (sample model)" "gatehouse limits+auth" "gatehouse full")
S_URLS=("http://127.0.0.1:$MODEL_PORT$CHAT_PATH" "http://127.0.0.1:$GATEWAY_STREAM_PORT$CHAT_PATH"
  "http://127.0.0.1:$GATEWAY_FULL_STREAM_PORT$CHAT_PATH")
S_BEARERS=("$MODEL_KEY" "$TOKEN" "$TOKEN")

status_of() { # url [bearer] -> HTTP status of the chat request
  local auth=()
  [ -z "${2:-}" ] || auth=(-H "Authorization: Bearer $2")
  curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -H 'Content-Type: application/json' -d "$BODY" "$1" || true
}
for i in "${!NAMES[@]}"; do
  answer="$(curl -s -D "$OUT/check-headers-$i.txt" -w ' HTTP %{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "$BODY" "${URLS[$i]}")" || true
  case "$answer" in
    *chat.completion*" HTTP 200") ;;
    *) die "${NAMES[$i]} does not answer the chat request: $answer (logs: $OUT)" ;;
  esac
  grep -qi '^content-type: application/json' "$OUT/check-headers-$i.txt" \
    || die "${NAMES[$i]} answers without Content-Type: application/json (see $OUT/check-headers-$i.txt)"
  case "${NAMES[$i]}" in
    "gatehouse full") case "$answer" in *'"usage"'*) die "gatehouse full answers with usage: the policy's hideFields did not run";; esac ;;
    *) case "$answer" in *'"usage"'*) ;; *) die "${NAMES[$i]} answers without usage: $answer";; esac ;;
  esac
  # Every resource server refuses a missing token and a token meant for another audience.
  case "${NAMES[$i]}" in
    direct|"nginx proxy"|"nginx two hops") ;;
    *)
      s="$(status_of "${URLS[$i]}")"
      [ "$s" = 401 ] || die "${NAMES[$i]} answers $s without a token (expected 401)"
      s="$(status_of "${URLS[$i]}" "$OTHER_TOKEN")"
      case "$s" in 401|403) ;; *) die "${NAMES[$i]} answers $s to a token for another audience (expected 401 or 403)";; esac
      say "== ${NAMES[$i]}: 200 with the token, 401 without, $s for a token meant for audience not-gatehouse"
      ;;
  esac
done
for i in "${!S_NAMES[@]}"; do
  answer="$(curl -s -N -w ' HTTP %{http_code}' -H "Authorization: Bearer ${S_BEARERS[$i]}" -H 'Content-Type: application/json' \
    -d "$STREAM_BODY" "${S_URLS[$i]}")" || true
  case "$answer" in
    *"data: [DONE]"*" HTTP 200") ;;
    *) die "streaming: ${S_NAMES[$i]} does not stream the chat answer: $answer (logs: $OUT)" ;;
  esac
done

if [ "${1:-}" = "--hold" ]; then
  printf '%s\n' "$TOKEN" >"$OUT/token"; printf '%s\n' "$MODEL_KEY" >"$OUT/model-key"
  chmod 600 "$OUT/token" "$OUT/model-key"
  say "== holding; every target answers. The bearer for all rows: \$(cat $OUT/token) (direct and nginx ignore it)"
  for i in "${!NAMES[@]}"; do say "${NAMES[$i]}: ${URLS[$i]}"; done
  say "  curl -s ${URLS[${#URLS[@]}-1]} -H \"Authorization: Bearer \$(cat $OUT/token)\" -H 'Content-Type: application/json' -d '$BODY'"
  say "  load, as the run does: BENCH_BODY='$BODY' BENCH_BEARER=\$(cat $OUT/token) wrk -t$THREADS -c$CONNECTIONS -d30s --latency -s $ROOT/bench/chat.lua URL"
  say "streaming (stream:true): sample model ${S_URLS[0]} (bearer \$(cat $OUT/model-key)), gateway ${S_URLS[1]} and ${S_URLS[2]} (the token)"
  say "pids: gateway $GATEWAY_PID, agent $AGENT_PID (e.g. jcmd $GATEWAY_PID JFR.start duration=30s filename=/tmp/gateway.jfr), upstream nginx $UPSTREAM_PID, nginx proxy $PROXY_PID, nginx second hop $PROXY2_PID${APACHE:+, apache $APACHE_PID}"
  say "admin (metrics): http://127.0.0.1:$ADMIN_PORT/metrics; Ctrl-C stops all"
  while :; do sleep 3600 & PIDS+=($!); wait $!; done
fi

# --- machine facts ---------------------------------------------------------------------------------
version_of() { "$@" 2>&1 | head -1 || true; }
{
  say "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); kernel $(uname -r)"
  say "- cores: $(nproc); CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
  say "- load average before: $LOAD_BEFORE"
  say "- nginx: $(version_of "$NGINX" -v)"
  [ -z "$APACHE" ] || say "- apache: $(version_of "$APACHE" -v); mod_auth_openidc: $(dpkg-query -W -f '${Version}' libapache2-mod-auth-openidc 2>/dev/null || strings "$APACHE_MODULES/mod_auth_openidc.so" | grep -m1 -o 'mod_auth_openidc-[0-9.]*' || echo '?')"
  say "- wrk: $(wrk -v 2>&1 | head -1 || true)"
  [ -z "$HEY" ] || say "- hey: $(dpkg-query -W -f '${Version}' hey 2>/dev/null || echo '? (no version flag)')"
  say "- java: $(version_of java -version)"
  say "- JVM options: gateway and agent '${GATEHOUSE_JAVA_OPTS:-}', gateway '${BENCH_GATEWAY_JAVA_OPTS:-}', agent '${BENCH_AGENT_JAVA_OPTS:-}'"
  say "- Gatehouse: one gateway + one agent for both rows (endpoint limits-auth on :$GATEWAY_PORT, endpoint full on :$GATEWAY_FULL_PORT); store: $STORE_DESC; verified-token cache: ${TOKEN_CACHE_SIZE:-default size}"
  say "- upstream answer: $(wc -c <"$ROOT/bench/upstream-chat.json") bytes of application/json (bench/upstream-chat.json)"
} >"$OUT/machine.md"
say ""
say "== machine"
cat "$OUT/machine.md"

# --- measuring -------------------------------------------------------------------------------------
declare -A RESULT
run_wrk() { # label index threads connections duration
  local label="$1" i="$2" line file="$OUT/wrk-$1-$2.txt"
  BENCH_BODY="$BODY" BENCH_BEARER="$TOKEN" BENCH_EXTRA_HEADER="" \
    wrk -t"$3" -c"$4" -d"$5" --latency -s "$ROOT/bench/chat.lua" "${URLS[$i]}" >"$file" 2>&1
  line="$(grep '^BENCH_RESULT' "$file" || true)"
  [ -n "$line" ] || die "wrk gave no result for ${NAMES[$i]}; see $file"
  RESULT["$label/$i"]="${line#BENCH_RESULT }"
}

say ""
say "== warm-up (not reported): $WARMUP_OTHER per target, $WARMUP per Gatehouse target (JIT); wrk -t$THREADS -c$CONNECTIONS"
for i in "${!NAMES[@]}"; do run_wrk warmup "$i" "$THREADS" "$CONNECTIONS" "${WARMUPS[$i]}"; done

# A fixed warm-up is not enough: C2 was still compiling for 10 % of the gateway's CPU after 80 s of
# load in one profile, and it took that share from the measured rounds. So load both Gatehouse rows
# again until the JIT's own time counter (java.ci.totalTime, nanoseconds, summed over compiler
# threads) grows by less than SETTLE_SHARE % of the wall time in each JVM, and say how it ended.
jit_ns() { jcmd "$1" PerfCounter.print 2>/dev/null | awk -F= '/^java.ci.totalTime=/ { print $2 }'; }
SETTLED="skipped (BENCH_SETTLE_MAX=0)"
if [ "$SETTLE_MAX" -gt 0 ] && command -v jcmd >/dev/null; then
  settled_for=0
  while :; do
    g0="$(jit_ns "$GATEWAY_PID")"; a0="$(jit_ns "$AGENT_PID")"; s0="$(date +%s%N)"
    for i in "${!NAMES[@]}"; do
      case "${NAMES[$i]}" in gatehouse*) run_wrk settle "$i" "$THREADS" "$CONNECTIONS" "${SETTLE_STEP}s" ;; esac
    done
    g1="$(jit_ns "$GATEWAY_PID")"; a1="$(jit_ns "$AGENT_PID")"; s1="$(date +%s%N)"
    [ -n "$g0" ] && [ -n "$g1" ] && [ -n "$a0" ] && [ -n "$a1" ] || { SETTLED="not checked: jcmd could not read the JIT's counters"; break; }
    settled_for=$((settled_for + (s1 - s0) / 1000000000))
    read -r gshare ashare <<<"$(awk -v g="$((g1 - g0))" -v a="$((a1 - a0))" -v w="$((s1 - s0))" \
      'BEGIN { printf "%.1f %.1f", 100 * g / w, 100 * a / w }')"
    say "   JIT time over the last $(( (s1 - s0) / 1000000000 )) s: gateway ${gshare} %, agent ${ashare} %"
    if awk -v g="$gshare" -v a="$ashare" -v m="$SETTLE_SHARE" 'BEGIN { exit !(g < m && a < m) }'; then
      SETTLED="settled after ${settled_for} s more load (JIT time over the last step: gateway ${gshare} %, agent ${ashare} %, limit ${SETTLE_SHARE} %)"
      break
    fi
    if [ "$settled_for" -ge "$SETTLE_MAX" ]; then
      SETTLED="NOT settled after ${settled_for} s more load (JIT time over the last step: gateway ${gshare} %, agent ${ashare} %, limit ${SETTLE_SHARE} %): read the Gatehouse rows as low"
      break
    fi
  done
elif [ "$SETTLE_MAX" -gt 0 ]; then
  SETTLED="not checked: no jcmd on the PATH"
fi
say "== JIT: $SETTLED"
say "- JIT before the measured rounds: $SETTLED" >>"$OUT/machine.md"
say "== load: $ROUNDS round(s) of wrk -t$THREADS -c$CONNECTIONS -d$DURATION, targets alternating"
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!NAMES[@]}"; do run_wrk "load$round" "$i" "$THREADS" "$CONNECTIONS" "$DURATION"; done
done
say "== one connection: wrk -t1 -c1 -d$IDLE_DURATION per target"
for i in "${!NAMES[@]}"; do run_wrk idle "$i" 1 1 "$IDLE_DURATION"; done

# CPU of a target: clock ticks (utime+stime, and cutime+cstime of reaped children) of its root
# processes and all their descendants: nginx master and workers, apache's parent and children, the
# gateway's and the agent's JVM (all their threads).
tree_ticks() { # root pids...
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v roots="$*" '
    { pid = $1; rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ")
      parent[pid] = f[2]; ticks[pid] = f[12] + f[13] + f[14] + f[15] }
    END { n = split(roots, r, " "); for (k = 1; k <= n; k++) mine[r[k]] = 1
          grown = 1; while (grown) { grown = 0; for (p in parent) if (!(p in mine) && (parent[p] in mine)) { mine[p] = 1; grown = 1 } }
          s = 0; for (p in mine) if (p in ticks) s += ticks[p]; print s }'
}
HZ="$(getconf CLK_TCK)"
# CPU ticks of the given JVMs' threads, by what the threads do: "group ticks" lines.
thread_ticks() { # pids...
  local p t
  for p in "$@"; do
    for t in /proc/"$p"/task/*; do
      printf '%s ' "$(tr ' ' '_' <"$t/comm" 2>/dev/null)"; sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}'
    done
  done | awk '{ n = $1; g = "other"
    if (n ~ /^Camel_Thread/ || n ~ /^gatehouse-agent/) g = "event_loops"
    else if (n ~ /^gatehouse-audit/) g = "audit_writer"
    else if (n ~ /^H2-/ || n ~ /^MVStore/) g = "H2"
    else if (n ~ /Compiler/) g = "JIT"
    else if (n ~ /^GC_Thread/ || n ~ /^G1_/ || n ~ /^VM_Thread/) g = "GC"
    else if (n ~ /^gatehouse-log/ || n ~ /^gatehouse-acces/) g = "logs"
    t[g] += $2 }
    END { for (g in t) print g, t[g] }'
}
declare -A CPU BY_THREAD CPU_SPREAD BY_THREAD_SPREAD
# The audit writer's counters from /metrics (busy s, journal sync s, store commit s, batches, events committed):
# at a fixed rate its busy share is what the recorded exchanges' p99 grows with (every exchange queues twice).
writer_counters() {
  curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | awk '
    function v() { return $NF + 0 }
    /^gatehouse_audit_writer_busy_seconds_total\{/ { b += v() } /^gatehouse_audit_journal_sync_seconds_total\{/ { j += v() }
    /^gatehouse_audit_store_commit_seconds_total\{/ { c += v() } /^gatehouse_audit_batches_total\{/ { n += v() }
    /^gatehouse_audit_events_committed_total\{/ { e += v() }
    END { printf "%.6f %.6f %.6f %d %d", b, j, c, n, e }'
}
WRITER_AT_RATE=""
WRITER_AT_SPREAD=""
# The fixed rate comes two ways (RATE_MODE):
#   step    hey -c WORKERS -q RATE/WORKERS, the issue's method: hey's workers all tick on one schedule, so
#           1,000 req/s from 20 of them is 50 bursts of 20 a second
#   spread  wrk -c CONNECTIONS -s paced.lua: each connection pauses a random (exponential) time before each
#           request, so requests arrive independently of one another, as a steady rate's do
# A burst's requests share the loops' wake-ups and warm caches; lone requests do not. Both are reported.
RATE_MODE=step
declare -A PACE
rate_load() { # index duration output-file
  if [ "$RATE_MODE" = step ]; then
    "$HEY" -z "$2" -c "$RATE_WORKERS" -q "$PER_WORKER" -m POST -T application/json \
      -H "Authorization: Bearer $TOKEN" -d "$BODY" "${URLS[$1]}" >"$3" 2>&1 || true
    return
  fi
  [ -n "${PACE[$1]:-}" ] || PACE["$1"]="$(awk -v c="$RATE_CONNECTIONS" -v r="$RATE" 'BEGIN { printf "%.3f", 1000 * c / r }')"
  BENCH_DIR="$ROOT/bench" BENCH_PACE_MS="${PACE[$1]}" BENCH_BODY="$BODY" BENCH_BEARER="$TOKEN" BENCH_EXTRA_HEADER="" \
    wrk -t"$THREADS" -c"$RATE_CONNECTIONS" -d"$2" --latency -s "$ROOT/bench/paced.lua" "${URLS[$1]}" >"$3" 2>&1 || true
  pace_from "$1" "$3"
}
# After a spread run: a connection makes one request per (pause + latency), so the latency it saw is
# CONNECTIONS / req/s - pause, and the pause that reaches RATE is CONNECTIONS / RATE - latency (at least 1 ms).
# Each unmeasured run corrects the pause of the next.
pace_from() { # index output-file
  local rps
  rps="$(awk '/^BENCH_RESULT/ { print $3 }' "$2")"
  [ -n "$rps" ] && awk -v r="$rps" 'BEGIN { exit !(r > 0) }' || return 0
  PACE["$1"]="$(awk -v c="$RATE_CONNECTIONS" -v r="$RATE" -v got="$rps" -v p="${PACE[$1]}" 'BEGIN {
    latency = 1000 * c / got - p; pace = 1000 * c / r - (latency > 0 ? latency : 0)
    printf "%.3f", pace < 1 ? 1 : pace }')"
}
# "answered failed p50 p99 req/s" of a rate run: answered = every answer; failed = answers other than 2xx
# (hey) or 2xx/3xx (wrk) + transport errors.
rate_result() { # output-file
  if [ "$RATE_MODE" = step ]; then
    awk '
      /^Status code distribution:/ { sc = 1; next } /^Error distribution:/ { sc = 0; ed = 1; next }
      sc && /^ *\[[0-9]+\]/ { code = $1; gsub(/[\[\]]/, "", code); answered += $2; if (code !~ /^2/) bad += $2 }
      ed && /^ *\[[0-9]+\]/ { v = $1; gsub(/[\[\]]/, "", v); bad += v }
      /^ *50% in / { p50 = $3 * 1000 } /^ *99% in / { p99 = $3 * 1000 } /^ *Requests\/sec:/ { rps = $2 }
      END { printf "%d %d %.2f %.2f %.1f", answered, bad, p50, p99, rps }' "$1"
  else
    awk '/^BENCH_RESULT/ { printf "%d %d %.2f %.2f %.1f", $2, $7 + $8, $4, $6, $3 }' "$1"
  fi
}
# The load rounds settle the JIT for 64 connections; a fixed rate of 1,000 req/s runs other paths (a batch
# of one event, idle writers waking) that C2 then compiles: one run read 70 µs per request in the JIT's
# threads during the full row's measured 10 s. So the rate goes on, unmeasured, until that has passed.
# Part of that was this script's own doing: the first read of /metrics (writer_counters, just before the
# full row's measured run) left C2 compiling the scrape during it, 120 µs per request in a held stack. So
# each step here reads /metrics too, and the compiling happens here.
declare -A RATE_SETTLED
settle_at_rate() { # index
  local waited=0 g0 a0 s0 g1 a1 s1 share
  command -v jcmd >/dev/null && [ "$RATE_SETTLE_MAX" -gt 0 ] || { RATE_SETTLED["$1"]="not checked"; return; }
  while :; do
    writer_counters >/dev/null
    g0="$(jit_ns "$GATEWAY_PID")"; a0="$(jit_ns "$AGENT_PID")"; s0="$(date +%s%N)"
    rate_load "$1" "${SETTLE_STEP}s" "$OUT/rate-$RATE_MODE-settle-$1.txt"
    writer_counters >/dev/null
    g1="$(jit_ns "$GATEWAY_PID")"; a1="$(jit_ns "$AGENT_PID")"; s1="$(date +%s%N)"
    [ -n "$g0" ] && [ -n "$g1" ] && [ -n "$a0" ] && [ -n "$a1" ] || { RATE_SETTLED["$1"]="not checked (jcmd)"; return; }
    waited=$((waited + (s1 - s0) / 1000000000))
    share="$(awk -v g="$((g1 - g0))" -v a="$((a1 - a0))" -v w="$((s1 - s0))" 'BEGIN { printf "%.1f", 100 * (g > a ? g : a) / w }')"
    if awk -v s="$share" -v m="$SETTLE_SHARE" 'BEGIN { exit !(s < m) }'; then
      RATE_SETTLED["$1"]="settled after $waited s (JIT $share % of the wall time over the last step)"; return
    fi
    if [ "$waited" -ge "$RATE_SETTLE_MAX" ]; then
      RATE_SETTLED["$1"]="NOT settled after $waited s (JIT $share % of the wall time over the last step)"; return
    fi
  done
}
fixed_rate() { # step | spread: fills CPU, BY_THREAD and WRITER_AT_RATE, or their _SPREAD twins
  RATE_MODE="$1"
  local cpu_name=CPU thread_name=BY_THREAD
  [ "$1" = step ] || { cpu_name=CPU_SPREAD; thread_name=BY_THREAD_SPREAD; }
  local -n cpu_of="$cpu_name" by_thread="$thread_name"
  local i file w0 r0 g0 g1 t0 t1 u0 u1 answered failed p50 p99 reached writer
  for i in "${!NAMES[@]}"; do
    file="$OUT/rate-$1-$i.txt"
    rate_load "$i" "$RATE_WARMUP" "$OUT/rate-$1-warmup-$i.txt"
    case "${NAMES[$i]}" in gatehouse*) settle_at_rate "$i";; esac
    [ "${NAMES[$i]}" != "gatehouse full" ] || w0="$(writer_counters)"; r0="$(date +%s.%N)"
    case "${NAMES[$i]}" in gatehouse*) g0="$(thread_ticks $GATEWAY_PID $AGENT_PID)";; esac
    t0="$(tree_ticks ${TPIDS[$i]})"; u0="$(tree_ticks "$UPSTREAM_PID")"
    rate_load "$i" "$RATE_DURATION" "$file"
    t1="$(tree_ticks ${TPIDS[$i]})"; u1="$(tree_ticks "$UPSTREAM_PID")"
    case "${NAMES[$i]}" in gatehouse*) g1="$(thread_ticks $GATEWAY_PID $AGENT_PID)";; esac
    if [ "${NAMES[$i]}" = "gatehouse full" ]; then
      writer="$(awk -v a="$w0" -v b="$(writer_counters)" -v t="$(awk -v r0="$r0" -v r1="$(date +%s.%N)" 'BEGIN{print r1 - r0}')" '
        BEGIN { split(a, x, " "); split(b, y, " "); n = y[4] - x[4]; if (n < 1) n = 1
          printf "busy %.0f %% of the time; %.2f events per batch; journal append + fdatasync %.3f ms per batch, store commit %.3f ms per batch",
            100 * (y[1] - x[1]) / t, (y[5] - x[5]) / n, 1000 * (y[2] - x[2]) / n, 1000 * (y[3] - x[3]) / n }')"
      if [ "$1" = step ]; then WRITER_AT_RATE="$writer"; else WRITER_AT_SPREAD="$writer"; fi
    fi
    read -r answered failed p50 p99 reached <<<"$(rate_result "$file")"
    [ "${answered:-0}" -gt 0 ] || die "no answer from ${NAMES[$i]} at the fixed rate ($1); see $file"
    case "${NAMES[$i]}" in
      gatehouse*) by_thread["$i"]="$(awk -v hz="$HZ" -v n="$answered" 'NR == FNR { a[$1] = $2; next } { b[$1] = $2 }
        END { split("event_loops audit_writer H2 JIT GC logs other", g, " ")
          for (k = 1; k <= 7; k++) printf "%s%.0f", (k > 1 ? " | " : ""), (b[g[k]] - a[g[k]]) * 1e6 / hz / n }' \
        <(printf '%s\n' "$g0") <(printf '%s\n' "$g1"))";;
    esac
    cpu_of["$i"]="$(awk -v t="$((t1 - t0))" -v u="$((u1 - u0))" -v hz="$HZ" -v n="$answered" -v r="$reached" -v p="$p99" -v m="$p50" -v f="$failed" \
      'BEGIN { printf "%.1f %.1f %.0f %.2f %d %.2f", t * 1e6 / hz / n, u * 1e6 / hz / n, r, p, f, m }')"
  done
}
if [ "$RATE" != 0 ]; then
  if [ -n "$HEY" ]; then
    PER_WORKER="$(awk -v r="$RATE" -v w="$RATE_WORKERS" 'BEGIN{printf "%g", r/w}')"
    say "== fixed rate, in step: hey -z $RATE_DURATION -c $RATE_WORKERS -q $PER_WORKER (= $RATE req/s) per target, CPU from /proc"
    fixed_rate step
  fi
  say "== fixed rate, spread: wrk -c$RATE_CONNECTIONS -d$RATE_DURATION -s paced.lua (about $RATE req/s, arrivals at random) per target, CPU from /proc"
  fixed_rate spread
fi

# --- streaming: time to first byte, with curl (wrk only sees whole responses) -------------------
percentile() { # p, numbers on stdin
  sort -n | awk -v p="$1" '{v[NR]=$1} END{ if (NR==0) {print "nan"; exit}; k=int((NR*p/100)+0.999999); if (k<1) k=1; if (k>NR) k=NR; printf "%.2f", v[k]*1000 }'
}
say "== streaming: $STREAM_SAMPLES sequential SSE requests per target on one kept-alive connection, after 10 unreported"
declare -A STREAM STREAM_WARM
for i in "${!S_NAMES[@]}"; do
  # The streaming path (chunk pipeline, masking and recording of streams, the agent's stream relay) is
  # code the whole-path rows never run: without load first, the samples below time the JIT, not the hops.
  if [ -n "$HEY" ] && [ "$STREAM_WARMUP" != 0 ]; then
    "$HEY" -z "$STREAM_WARMUP" -c "$STREAM_WARMUP_CONNECTIONS" -m POST -T application/json \
      -H "Authorization: Bearer ${S_BEARERS[$i]}" -d "$STREAM_BODY" "${S_URLS[$i]}" >"$OUT/stream-warmup-$i.txt" 2>&1 || true
    STREAM_WARM["$i"]="$(awk '/^ *\[200\]/ { ok = $2 } /Requests\/sec:/ { rps = $2 } END { printf "%d streams (%.0f/s)", ok, rps }' \
      "$OUT/stream-warmup-$i.txt")"
  fi
  args=()
  for _ in $(seq 1 $((STREAM_SAMPLES + 10))); do args+=(-o /dev/null "${S_URLS[$i]}"); done
  curl -s -N -H "Authorization: Bearer ${S_BEARERS[$i]}" -H 'Content-Type: application/json' \
    -H "X-Sample-Token-Delay-Ms: $STREAM_DELAY_MS" -d "$STREAM_BODY" \
    -w '%{http_code} %{time_starttransfer} %{time_total}\n' "${args[@]}" >"$OUT/stream-$i.txt" || true
  samples="$(tail -n +11 "$OUT/stream-$i.txt")"
  STREAM["$i"]="$(awk '{print $2}' <<<"$samples" | percentile 50) $(awk '{print $2}' <<<"$samples" | percentile 99) $(awk '{print $3}' <<<"$samples" | percentile 50) $(awk '$1 != 200' <<<"$samples" | wc -l)"
done

# --- tables ----------------------------------------------------------------------------------------
METRICS="$(curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" || true)"
index_of() { local i; for i in "${!NAMES[@]}"; do [ "${NAMES[$i]}" = "$1" ] && { say "$i"; return; }; done; say ""; }
D="$(index_of direct)"; N="$(index_of "nginx proxy")"; N2="$(index_of "nginx two hops")"; A="$(index_of apache)"
ratio() { # a b -> a/b with 3 significant digits, or n/a
  awk -v a="$1" -v b="${2:-}" 'BEGIN { if (b == "" || b + 0 == 0 || a == "") print "n/a"; else printf "%.3g", a / b }'
}
cpu_over() { # cpu, name of a CPU array, index of the reference row -> cpu over that row's CPU
  local -n of="$2"
  ratio "$1" "$( [ -n "$3" ] && awk '{print $1}' <<<"${of[$3]:-}")"
}
by_thread_table() { # title, name of a by-thread array
  local -n rows="$2"
  [ "${#rows[@]}" -gt 0 ] || return 0
  say "$1"
  say ""
  say "| target | event loops | audit writer | H2 | JIT | GC | logs | other |"
  say "|---|---:|---:|---:|---:|---:|---:|---:|"
  for i in "${!NAMES[@]}"; do [ -z "${rows[$i]:-}" ] || say "| ${NAMES[$i]} | ${rows[$i]} |"; done
  say ""
}
field() { # label index position(1 requests, 2 req/s, 3 p50, 4 p90, 5 p99, 6 non-2xx, 7 socket errors)
  [ -n "$2" ] || { say ""; return; }
  awk -v k="$3" '{print $k}' <<<"${RESULT[$1/$2]}"
}
mean_over_rounds() { # index position
  local round s=""
  for round in $(seq 1 "$ROUNDS"); do s="$s $(field "load$round" "$1" "$2")"; done
  awk '{ t = 0; for (k = 1; k <= NF; k++) t += $k; printf "%.3f", t / NF }' <<<"$s"
}
errors_over() { # index labels...
  local i="$1" label t=0; shift
  for label in "$@"; do t=$((t + $(field "$label" "$i" 6) + $(field "$label" "$i" 7))); done
  say "$t"
}
rounds=(); for round in $(seq 1 "$ROUNDS"); do rounds+=("load$round"); done
{
  say "### Under load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, mean of $ROUNDS round(s)"
  say ""
  say "| target | req/s | p50 ms | p90 ms | p99 ms | errors | req/s ÷ direct | req/s ÷ nginx | req/s ÷ apache | p50 ÷ nginx | p99 ÷ nginx |"
  say "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for i in "${!NAMES[@]}"; do
    rps="$(mean_over_rounds "$i" 2)"; p50="$(mean_over_rounds "$i" 3)"; p99="$(mean_over_rounds "$i" 5)"
    printf '| %s | %.0f | %.2f | %.2f | %.2f | %s | %s | %s | %s | %s | %s |\n' "${NAMES[$i]}" "$rps" "$p50" \
      "$(mean_over_rounds "$i" 4)" "$p99" "$(errors_over "$i" "${rounds[@]}")" \
      "$(ratio "$rps" "$(mean_over_rounds "$D" 2)")" "$(ratio "$rps" "$(mean_over_rounds "$N" 2)")" \
      "$( [ -n "$A" ] && ratio "$rps" "$(mean_over_rounds "$A" 2)" || say n/a)" \
      "$(ratio "$p50" "$(mean_over_rounds "$N" 3)")" "$(ratio "$p99" "$(mean_over_rounds "$N" 5)")"
  done
  say ""
  say "Each round (targets in turn, so a round's rows saw the same machine):"
  say ""
  say "| round | target | req/s | p50 ms | p90 ms | p99 ms | errors | req/s ÷ direct | req/s ÷ nginx | req/s ÷ apache |"
  say "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for round in $(seq 1 "$ROUNDS"); do
    for i in "${!NAMES[@]}"; do
      rps="$(field "load$round" "$i" 2)"
      printf '| %s | %s | %.0f | %.2f | %.2f | %.2f | %s | %s | %s | %s |\n' "$round" "${NAMES[$i]}" "$rps" \
        "$(field "load$round" "$i" 3)" "$(field "load$round" "$i" 4)" "$(field "load$round" "$i" 5)" \
        "$(errors_over "$i" "load$round")" "$(ratio "$rps" "$(field "load$round" "$D" 2)")" \
        "$(ratio "$rps" "$(field "load$round" "$N" 2)")" \
        "$( [ -n "$A" ] && ratio "$rps" "$(field "load$round" "$A" 2)" || say n/a)"
    done
  done
  say ""
  say "### One connection (wrk -t1 -c1 -d$IDLE_DURATION) and CPU at a fixed rate in step (hey -c$RATE_WORKERS, $RATE req/s asked, $RATE_DURATION)"
  say ""
  say "| target | 1-conn req/s | 1-conn p50 ms | 1-conn p99 ms | p50 ÷ direct | p50 ÷ nginx | CPU µs/req | CPU ÷ nginx | CPU ÷ apache | upstream µs/req | req/s reached | p99 ms at rate | errors at rate |"
  say "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for i in "${!NAMES[@]}"; do
    read -r cpu up reached rp99 rerr _ <<<"${CPU[$i]:-n/a n/a n/a n/a n/a}"
    printf '| %s | %.0f | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${NAMES[$i]}" \
      "$(field idle "$i" 2)" "$(field idle "$i" 3)" "$(field idle "$i" 5)" \
      "$(ratio "$(field idle "$i" 3)" "$(field idle "$D" 3)")" "$(ratio "$(field idle "$i" 3)" "$(field idle "$N" 3)")" \
      "$cpu" "$(cpu_over "$cpu" CPU "$N")" "$(cpu_over "$cpu" CPU "$A")" "$up" "$reached" "$rp99" "$rerr"
  done
  say ""
  by_thread_table "Where the Gatehouse rows' CPU at the fixed rate in step went, by thread (µs per request, gateway + agent; from /proc):" BY_THREAD
  [ -z "$WRITER_AT_RATE" ] || { say "The audit writer during the full row's run in step (/metrics): $WRITER_AT_RATE."; say ""; }
  if [ "${#CPU_SPREAD[@]}" -gt 0 ]; then
    say "### At a fixed rate, spread: requests one by one at random times (wrk -c$RATE_CONNECTIONS -s paced.lua, $RATE req/s asked, $RATE_DURATION)"
    say ""
    say "| target | req/s reached | p50 ms | p99 ms | p99 over direct ms | CPU µs/req | CPU ÷ nginx | CPU ÷ apache | CPU ÷ in step | errors |"
    say "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for i in "${!NAMES[@]}"; do
      read -r cpu up reached rp99 rerr rp50 <<<"${CPU_SPREAD[$i]:-n/a n/a n/a n/a n/a n/a}"
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${NAMES[$i]}" "$reached" "$rp50" "$rp99" \
        "$(awk -v a="$rp99" -v b="$(awk '{print $4}' <<<"${CPU_SPREAD[$D]:-}")" 'BEGIN { if (b == "") print "n/a"; else printf "%+.2f", a - b }')" \
        "$cpu" "$(cpu_over "$cpu" CPU_SPREAD "$N")" "$(cpu_over "$cpu" CPU_SPREAD "$A")" "$(cpu_over "$cpu" CPU "$i")" \
        "$rerr"
    done
    say ""
    by_thread_table "Where the Gatehouse rows' CPU at the spread rate went, by thread (µs per request, gateway + agent; from /proc):" BY_THREAD_SPREAD
    [ -z "$WRITER_AT_SPREAD" ] || { say "The audit writer during the full row's spread run (/metrics): $WRITER_AT_SPREAD."; say ""; }
  fi
  [ "${#RATE_SETTLED[@]}" -eq 0 ] || { say "The JIT at the fixed rate, before the last measured run:" \
    "$(for i in "${!NAMES[@]}"; do [ -z "${RATE_SETTLED[$i]:-}" ] || printf '%s %s; ' "${NAMES[$i]}" "${RATE_SETTLED[$i]}"; done)"; say ""; }
  say "### Streaming: time to first byte (stream:true, ${STREAM_DELAY_MS} ms between words), $STREAM_SAMPLES sequential requests on one connection"
  say ""
  if [ -n "$HEY" ] && [ "$STREAM_WARMUP" != 0 ]; then
    say "Each target was first loaded for $STREAM_WARMUP with $STREAM_WARMUP_CONNECTIONS connections of streamed requests (no delay between words):" \
      "$(for i in "${!S_NAMES[@]}"; do printf '%s %s; ' "${S_NAMES[$i]}" "${STREAM_WARM[$i]:-?}"; done)"
  else
    say "No streaming warm-up (hey missing or BENCH_STREAM_WARMUP=0): these times include the JIT compiling the streaming path."
  fi
  say ""
  say "| target | TTFB p50 ms | TTFB p99 ms | total p50 ms | non-200 |"
  say "|---|---:|---:|---:|---:|"
  for i in "${!S_NAMES[@]}"; do
    read -r a b c d <<<"${STREAM[$i]}"
    say "| ${S_NAMES[$i]} | $a | $b | $c | $d |"
  done
  say ""
  metric() { awk -v m="$1" 'index($0, m "{") == 1 { t += $2 } END { printf "%d", t }' <<<"$METRICS"; }
  say "Recording (gatehouse full, store: $STORE_DESC), from the gateway's /metrics:" \
    "$(metric gatehouse_audit_events_committed_total) events committed, $(metric gatehouse_audit_events_failed_total) failed," \
    "$(metric gatehouse_audit_events_rejected_total) rejected (two events per recorded exchange, plus checkpoints)."
  say ""
  F="$(index_of "gatehouse full")"; L="$(index_of "gatehouse limits+auth")"
  say "Headline: gatehouse full req/s ÷ apache = **$( [ -n "$A" ] && ratio "$(mean_over_rounds "$F" 2)" "$(mean_over_rounds "$A" 2)" || say n/a)**;" \
    "gatehouse limits+auth req/s ÷ nginx proxy = **$(ratio "$(mean_over_rounds "$L" 2)" "$(mean_over_rounds "$N" 2)")**."
  say ""
  say "The two-hop floor: nginx two hops ÷ nginx proxy = $(ratio "$(mean_over_rounds "$N2" 2)" "$(mean_over_rounds "$N" 2)");" \
    "gatehouse limits+auth ÷ nginx two hops = $(ratio "$(mean_over_rounds "$L" 2)" "$(mean_over_rounds "$N2" 2)")" \
    "(the gateway and its agent against two nginx proxies, the same number of loopback hops)."
} >"$OUT/results.md"
say ""
cat "$OUT/results.md"
say ""
say "== load average before: $LOAD_BEFORE; after: $(sed 's/ [0-9]*\/.*//' /proc/loadavg); machine facts, tables and raw output: $OUT"
say "- load average after: $(sed 's/ [0-9]*\/.*//' /proc/loadavg)" >>"$OUT/machine.md"
