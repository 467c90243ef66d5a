#!/usr/bin/env bash
# Scheduling and notices on a live OpenClaw gateway (issue 15): the real 2026.9.6 gateway,
# started offline on a loopback port in a throw-away state dir, runs the cron job that
# `clawshift cron install --via openclaw` adds, and the job's `clawshift switch` moves the
# agent off an account in cooldown; the switch's notice reaches a chat through the real
# `openclaw message send` (OpenClaw's bundled A2A channel, whose peer is a loopback
# stand-in, tests/compat/a2a-inbox.py); a notice the channel refuses is kept and sent by
# the next run; `doctor` reports the job and its last run; `cron remove --via openclaw`
# removes it. Then, on a second gateway with the `@openclaw/codex` plugin (installed once
# from npm, with the network, into $CLAWSHIFT_COMPAT_CACHE/codex-plugin-<version>), a
# real agent turn runs against a loopback stand-in of the ChatGPT backend
# (tests/compat/chatgpt-backend.py): alice hits `usage_limit_reached`, OpenClaw cools
# her down itself, `clawshift switch` moves the agent to bob, and the next turn is
# served by bob. Without the plugin that part is skipped (an error when
# CLAWSHIFT_COMPAT_REQUIRE_ALL=1).
#
#   tests/compat/gateway-cron.sh        # installs (cached) Node 24 + OpenClaw, then checks
#
# Knobs: CLAWSHIFT_COMPAT_BIN runs another clawshift binary (default: a fresh debug build);
# CLAWSHIFT_COMPAT_RECORD=DIR copies the real `cron list --json` answers (job added, job
# run, job removed) there, to refresh tests/fixtures/openclaw/recorded/.
#
# `set -e` is in force and every comparison exits non-zero on a disagreement; before each
# comparison is trusted, it is fed a deliberately wrong expectation that must fail (the
# canary). The gateway gets a bounded start-up wait and is always stopped (EXIT trap).
# As root the whole check runs in a private network namespace (`unshare -n`) with only
# loopback up, so nothing can leave the machine; otherwise on the host's loopback.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
V=2026.9.6
# The last `@openclaw/codex` on npm (`npm view @openclaw/codex versions`: 2026.9.4, 2026.9.5).
CODEX_PLUGIN_VERSION=2026.9.5

if [ -z "${GWCRON_INSIDE:-}" ]; then
  tests/compat/install.sh >/dev/null || { echo "gateway-cron: installing OpenClaw failed"; exit 1; }
  if [ -n "${CLAWSHIFT_COMPAT_BIN:-}" ]; then
    CS=$CLAWSHIFT_COMPAT_BIN
  else
    cargo build --quiet
    CS=$ROOT/target/debug/clawshift
  fi
  # The real agent turn needs OpenClaw's Codex runtime, the `@openclaw/codex` plugin
  # (npm; ClawHub, which OpenClaw asks first, is not reachable here). It is installed
  # once, with the network, into a template state dir that each run copies.
  # shellcheck disable=SC1090
  . "$(tests/compat/install.sh --env-file)"
  PLUGIN_TEMPLATE=$CLAWSHIFT_COMPAT_CACHE/codex-plugin-$CODEX_PLUGIN_VERSION
  if [ ! -f "$PLUGIN_TEMPLATE/ok" ]; then
    rm -rf "$PLUGIN_TEMPLATE"; mkdir -p "$PLUGIN_TEMPLATE/.openclaw" "$PLUGIN_TEMPLATE/tmp"
    printf '{\n  agents: { defaults: { model: { primary: "openai/gpt-5.5" } } },\n}\n' >"$PLUGIN_TEMPLATE/.openclaw/openclaw.json"
    echo "gateway-cron: installing @openclaw/codex@$CODEX_PLUGIN_VERSION from npm into $PLUGIN_TEMPLATE"
    # The caller's CA settings go along (a TLS-inspecting proxy needs them).
    if env -i PATH="$OC_NODE_DIR:/usr/bin:/bin" HOME="$PLUGIN_TEMPLATE" OPENCLAW_STATE_DIR="$PLUGIN_TEMPLATE/.openclaw" \
      TZ=UTC TMPDIR="$PLUGIN_TEMPLATE/tmp" ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS} \
      ${SSL_CERT_FILE:+npm_config_cafile=$SSL_CERT_FILE} ${HTTPS_PROXY:+HTTPS_PROXY=$HTTPS_PROXY} \
      ${https_proxy:+https_proxy=$https_proxy} timeout 900 "$OC_NODE_BIN" "$OC_2026_9_6" plugins install \
      "@openclaw/codex@$CODEX_PLUGIN_VERSION" --force --accept-capabilities \
      >"$PLUGIN_TEMPLATE/install.log" 2>&1 && grep -q '^Installed plugin: codex' "$PLUGIN_TEMPLATE/install.log"; then
      rm -rf "$PLUGIN_TEMPLATE/tmp" "$PLUGIN_TEMPLATE/.npm"
      touch "$PLUGIN_TEMPLATE/ok"
    else
      echo "gateway-cron: the plugin did not install (see $PLUGIN_TEMPLATE/install.log):"
      tail -n 5 "$PLUGIN_TEMPLATE/install.log"
    fi
  fi
  export GWCRON_INSIDE=1 GWCRON_CS=$CS
  if [ -z "${OC_NET:-}" ] && unshare -n true 2>/dev/null; then
    # Each `openclaw` call must reach the gateway, so they share one namespace (oc.sh
    # would give each call its own): OC_NET=1 inside.
    exec unshare -n bash -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
  fi
  exec "$0" "$@"
fi
export OC_NET=1 OC_SHARED_COMPILE_CACHE=1
# shellcheck disable=SC1090
. "$(tests/compat/install.sh --env-file)"
. tests/compat/oc.sh
oc_available $V || { echo "gateway-cron: OpenClaw $V is not installed"; exit 1; }
CS=$GWCRON_CS
NODE=$OC_NODE_BIN
H=(tests/compat/gateway-cron.mjs)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/clawshift-gwcron.XXXXXX")
S=$WORK/s
state=$S/.openclaw
GW_PID=
INBOX_PID=
stop() { # pid: TERM, up to 30 s, then KILL
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
finish() {
  local rc=$?
  stop "$INBOX_PID"
  stop "$GW_PID"
  if [ "$rc" -ne 0 ]; then
    echo "gateway-cron: FAILED (exit $rc); the gateway's last lines:"
    tail -n 15 "$WORK/gw.out" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap finish EXIT
set -E
trap 'echo "  failed (exit $?) at tests/compat/gateway-cron.sh:$LINENO: $BASH_COMMAND"' ERR

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
GW_PORT=$(free_port)
INBOX_PORT=$(free_port)
# A throw-away gateway token (not a secret: the gateway only listens on loopback here).
TOKEN=compat-$RANDOM$RANDOM
mkdir -p "$state" "$S/bin" "$S/cs"

# Writes HOME/bin/openclaw, the `openclaw` clawshift and the cron job find (through
# CLAWSHIFT_OPENCLAW_BIN, as a user's PATH would): the real CLI on the state in HOME,
# with the gateway token from the environment.
write_openclaw() { # home
  cat >"$1/bin/openclaw" <<EOF
#!/usr/bin/env bash
export CLAWSHIFT_COMPAT_CACHE="$CLAWSHIFT_COMPAT_CACHE" OC_SHARED_COMPILE_CACHE=1 OC_NET=1
export OC_EXTRA_ENV="OPENCLAW_GATEWAY_TOKEN=$TOKEN"
. "$ROOT/tests/compat/oc.sh"
oc_run $V "$1" "\$@"
EOF
  chmod +x "$1/bin/openclaw"
}
write_openclaw "$S"
oc() { "$S/bin/openclaw" "$@"; }
# Starts the real gateway on STATE_HOME:PORT and waits (at most 150 s) until CLI answers
# its health call; GW_PID is the gateway's, GW_STARTED when it was started.
start_gateway() { # state-home port cli
  local home=$1 port=$2 cli=$3 ready=
  GW_STARTED=$(date +%s)
  (_OC_EXEC=1 OC_TIMEOUT=1200 OC_EXTRA_ENV="OPENCLAW_GATEWAY_TOKEN=$TOKEN" \
    oc_run $V "$home" gateway run --allow-unconfigured --auth token --port "$port" --bind loopback \
    >"$WORK/gw.out" 2>&1) &
  GW_PID=$!
  for _ in $(seq 1 60); do
    kill -0 "$GW_PID" 2>/dev/null || { echo "the gateway exited during start-up"; exit 1; }
    if "$cli" gateway call health --json --timeout 3000 >"$WORK/health.json" 2>/dev/null \
      && grep -q '"ok": true' "$WORK/health.json"; then ready=1; break; fi
    [ $(($(date +%s) - GW_STARTED)) -lt 150 ] || break
    sleep 2
  done
  [ -n "$ready" ] || { echo "the gateway was not ready within 150 s"; exit 1; }
  echo "  gateway ready after $(($(date +%s) - GW_STARTED)) s"
}
cs() {
  env -i PATH=/usr/bin:/bin HOME="$S" OPENCLAW_STATE_DIR="$state" CLAWSHIFT_HOME="$S/cs" \
    CODEX_HOME="$S/codex" CLAWSHIFT_OPENCLAW_BIN="$S/bin/openclaw" "$CS" --timeout 300 "$@"
}
# The canary: a check given a deliberately wrong expectation must exit non-zero.
must_fail() {
  local what=$1; shift
  if "$NODE" "${H[@]}" "$@" >"$WORK/canary.out" 2>&1; then
    echo "canary: the $what check accepted a wrong expectation:"; cat "$WORK/canary.out"
    return 1
  fi
  echo "  canary: the $what check rejects a wrong expectation"
}
check() { "$NODE" "${H[@]}" "$@"; }
same() { # what expected actual
  if [ "$2" != "$3" ]; then
    printf 'disagree: %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3"
    return 1
  fi
}
list() { # out: `openclaw cron list --json` through the gateway
  oc cron list --json >"$1" 2>"$WORK/list.err" || { echo "openclaw cron list failed:"; cat "$WORK/list.err"; return 1; }
}
order() { # out
  oc models auth order get --provider openai --json >"$1" 2>"$WORK/order.err" || {
    echo "openclaw models auth order get failed:"; cat "$WORK/order.err"; return 1; }
}
record() { # name file
  [ -z "${CLAWSHIFT_COMPAT_RECORD:-}" ] || { mkdir -p "$CLAWSHIFT_COMPAT_RECORD"; cp "$2" "$CLAWSHIFT_COMPAT_RECORD/$1"; }
}

echo "== OpenClaw $V gateway on 127.0.0.1:$GW_PORT (state $S)"
# A user's config: a Codex model as default, the gateway's port, and an A2A peer (the
# bundled channel that delivers over plain HTTP) for clawshift's notices. Heartbeats are
# off and deliver nowhere: a wake the cron run caused once posted OpenClaw's own
# "Heartbeat check failed" to the only channel, the inbox whose every message is checked.
cat >"$state/openclaw.json" <<EOF
{
  agents: { defaults: { model: { primary: "openai/gpt-5.5" }, heartbeat: { every: "0m", target: "none" } } },
  gateway: { port: $GW_PORT },
  channels: { a2a: { enabled: true, peers: { inbox: { token: "compat-inbound", url: "http://127.0.0.1:$INBOX_PORT/" } } } },
}
EOF
printf '{"notify": {"openclaw": {"channel": "a2a", "target": "inbox"}}}\n' >"$S/cs/config.json"
"$NODE" tests/compat/check.mjs auth-json "$S/alice.json" acct-alice alice@example.com
"$NODE" tests/compat/check.mjs auth-json "$S/bob.json" acct-bob bob@example.com
cs --yes add-profile alice --from-auth-json "$S/alice.json" >/dev/null
cs --yes add-profile bob --from-auth-json "$S/bob.json" >/dev/null
# alice, first in the order, is rate-limited for an hour, as OpenClaw records a 429.
check cooldown "$state" openai:alice 60
order "$WORK/order0.json"
check first "$WORK/order0.json" openai:alice

start_gateway "$S" "$GW_PORT" oc

# The A2A peer: a loopback stand-in that logs each JSON-RPC SendMessage and takes it.
inbox_up() {
  python3 tests/compat/a2a-inbox.py "$INBOX_PORT" "$WORK/inbox.log" >"$WORK/inbox.out" 2>&1 &
  INBOX_PID=$!
  for _ in $(seq 1 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $INBOX_PORT), 1)" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "the A2A stand-in did not start:"; cat "$WORK/inbox.out"; return 1
}
inbox_up

echo "-- cron install --via openclaw"
CMD="PATH=/usr/bin:/bin HOME=$S CLAWSHIFT_HOME=$S/cs OPENCLAW_STATE_DIR=$state CODEX_HOME=$S/codex CLAWSHIFT_OPENCLAW_BIN=$S/bin/openclaw $CS switch"
same "cron install" "installed OpenClaw cron job clawshift-switch every 10m: $CMD" "$(cs cron install --via openclaw)"
list "$WORK/list1.json"
record cron-list-installed.json "$WORK/list1.json"
must_fail job job "$WORK/list1.json" clawshift-switch 60000 "$CMD"
ID=$(check job "$WORK/list1.json" clawshift-switch 600000 "$CMD")
echo "  the gateway holds job $ID: every 10m, sh -lc '<clawshift switch>', not delivered"
same "second install" "already an OpenClaw cron job: clawshift-switch every 10m: $CMD" "$(cs cron install --via openclaw)"
cs doctor >"$WORK/doctor1.txt" || true
same "doctor before the first run" \
  "info: cron: OpenClaw cron job clawshift-switch ($ID) runs every 10m; it has not run yet (next run $(check next "$WORK/list1.json" clawshift-switch))" \
  "$(grep '^[a-z]*: cron: ' "$WORK/doctor1.txt")"

echo "-- the gateway runs it: openclaw cron run $ID"
oc cron run "$ID" >"$WORK/run.json" 2>"$WORK/run.err" || { echo "openclaw cron run failed:"; cat "$WORK/run.err"; exit 1; }
grep -q '"enqueued": true' "$WORK/run.json" || { echo "openclaw cron run did not enqueue:"; cat "$WORK/run.json"; exit 1; }
t0=$(date +%s)
until list "$WORK/list2.json" && check has-run "$WORK/list2.json" clawshift-switch 2>/dev/null; do
  [ $(($(date +%s) - t0)) -lt 180 ] || { echo "the job had not finished after 180 s"; cat "$WORK/list2.json"; exit 1; }
  sleep 3
done
record cron-list-ran.json "$WORK/list2.json"
notice="switched openai/gpt-5.5@openai:alice → openai/gpt-5.5@openai:bob: openai:alice cooling down for"
must_fail ran ran "$WORK/list2.json" clawshift-switch "switched openai/gpt-5.5@openai:bob →"
check ran "$WORK/list2.json" clawshift-switch "$notice"
order "$WORK/order1.json"
must_fail order first "$WORK/order1.json" openai:alice
check first "$WORK/order1.json" openai:bob
echo "  the job's switch put openai:bob first, as the real OpenClaw reports"
must_fail inbox sent "$WORK/inbox.log" "switched openai/gpt-5.5@openai:bob"
check sent "$WORK/inbox.log" "$notice"
echo "  its notice reached the A2A peer through openclaw message send"
cs doctor >"$WORK/doctor2.txt" || true
line=$(grep '^[a-z]*: cron: ' "$WORK/doctor2.txt")
case "$line" in
  "info: cron: OpenClaw cron job clawshift-switch ($ID) runs every 10m; it last ran $(check last-run "$WORK/list2.json" clawshift-switch) ("*" ago): ok") ;;
  *) echo "disagree: doctor after the run: $line"; exit 1 ;;
esac
echo "  doctor: $line"

echo "-- a notice the channel refuses is kept and sent by the next run"
stop "$INBOX_PID"; INBOX_PID=
cs eval 'notify("clawshift compat: the peer is down")' >"$WORK/notify.out" 2>"$WORK/notify.err"
refused=$(grep '^❌' tests/fixtures/openclaw/recorded/message-send-a2a-refused.stdout | sed "s/18999/$INBOX_PORT/")
why="exit 1: $refused"
same "notify's warning" \
  "warning: notify: \`openclaw message send --channel a2a --target inbox\` failed: $why; kept, to be sent by the next run" \
  "$(cat "$WORK/notify.err")"
same "the kept notice" "openclaw|$why|clawshift compat: the peer is down" \
  "$(python3 -c 'import json,sys; [print("|".join([",".join(n["sinks"]), n["why"], n["text"]])) for n in json.load(open(sys.argv[1]))]' "$S/cs/pending-notices.json")"
must_fail queue queued "$state" "clawshift compat: a notice never sent"
check queued "$state" "clawshift compat: the peer is down"
inbox_up
cs switch >"$WORK/switch2.out" 2>"$WORK/switch2.err"
same "the next run's output" "" "$(cat "$WORK/switch2.out" "$WORK/switch2.err")"
[ ! -e "$S/cs/pending-notices.json" ] || { echo "the notice is still pending after the next run"; exit 1; }
check sent "$WORK/inbox.log" "$notice" "clawshift compat: the peer is down"
echo "  the next run sent it, and forgot it"

echo "-- cron remove --via openclaw"
same "cron remove" "removed OpenClaw cron job clawshift-switch ($ID)" "$(cs cron remove --via openclaw)"
list "$WORK/list3.json"
record cron-list-removed.json "$WORK/list3.json"
must_fail no-job no-job "$WORK/list1.json" clawshift-switch
check no-job "$WORK/list3.json" clawshift-switch
cs doctor >"$WORK/doctor3.txt" || true
same "doctor after remove" \
  "info: cron: no OpenClaw cron job named clawshift-switch (fix: \`clawshift cron install --via openclaw\` schedules \`clawshift switch\` on the Gateway (or \`clawshift cron install\`, in your crontab))" \
  "$(grep '^[a-z]*: cron: ' "$WORK/doctor3.txt")"
echo "  ($(($(date +%s) - GW_STARTED)) s with the first gateway)"
stop "$INBOX_PID"; INBOX_PID=
stop "$GW_PID"; GW_PID=

# A real agent turn that hits a usage limit: the Codex runtime (the `@openclaw/codex`
# plugin running the Codex app-server) talks to a loopback stand-in of the ChatGPT
# backend (tests/compat/chatgpt-backend.py) that answers alice with a 429
# `usage_limit_reached` and bob with a reply. OpenClaw records alice's cooldown itself
# and rotates to bob for that turn; `clawshift switch` then puts bob first; once alice's
# cooldown is over, the next turn goes to bob straight away (with OpenClaw's own order,
# alice would be tried first again).
PLUGIN_TEMPLATE=$CLAWSHIFT_COMPAT_CACHE/codex-plugin-$CODEX_PLUGIN_VERSION
if [ ! -f "$PLUGIN_TEMPLATE/ok" ]; then
  echo "== a real agent turn: skipped (@openclaw/codex@$CODEX_PLUGIN_VERSION is not installed in $PLUGIN_TEMPLATE)"
  [ -z "${CLAWSHIFT_COMPAT_REQUIRE_ALL:-}" ] || exit 1
  echo "gateway-cron: ok, without the agent turn"
  exit 0
fi
T=$WORK/t
tstate=$T/.openclaw
mkdir -p "$tstate" "$T/bin" "$T/cs"
# A copy, not hard links: OpenClaw refuses a plugin file with more than one link
# ("unsafe plugin manifest path"). Its install index holds absolute paths: rehomed.
cp -a --reflink=auto "$PLUGIN_TEMPLATE/.openclaw/." "$tstate/"
check rehome "$tstate" "$PLUGIN_TEMPLATE/.openclaw"
BACKEND_PORT=$(free_port)
GW2_PORT=$(free_port)
BACKEND=http://127.0.0.1:$BACKEND_PORT/backend-api
cat >"$tstate/openclaw.json" <<CONF
{
  agents: { defaults: { model: { primary: "openai/gpt-5.5" } } },
  gateway: { port: $GW2_PORT },
  // OAuth (ChatGPT) openai/* models run through the Codex runtime ...
  models: { providers: { openai: { agentRuntime: { id: "codex" }, models: [] } } },
  // ... whose app-server is pointed at the stand-in (Codex's own config keys).
  plugins: { entries: { codex: { enabled: true, config: { appServer: { args: [
    "-c", 'chatgpt_base_url="$BACKEND/"', "-c", 'openai_base_url="$BACKEND/codex"',
    "app-server", "--listen", "stdio://",
  ] } } } } },
}
CONF
write_openclaw "$T"
toc() { "$T/bin/openclaw" "$@"; }
tcs() {
  env -i PATH=/usr/bin:/bin HOME="$T" OPENCLAW_STATE_DIR="$tstate" CLAWSHIFT_HOME="$T/cs" \
    CODEX_HOME="$T/codex" CLAWSHIFT_OPENCLAW_BIN="$T/bin/openclaw" "$CS" --timeout 300 "$@"
}
echo "== a real agent turn: OpenClaw $V + @openclaw/codex@$CODEX_PLUGIN_VERSION, ChatGPT stand-in on 127.0.0.1:$BACKEND_PORT"
tcs --yes add-profile alice --from-auth-json "$S/alice.json" >/dev/null 2>&1
tcs --yes add-profile bob --from-auth-json "$S/bob.json" >/dev/null 2>&1
# alice's usage window resets 120 s after her 429: long enough for the switch (about a
# minute under load), short enough to wait out before the next turn.
python3 tests/compat/chatgpt-backend.py "$BACKEND_PORT" "$WORK/backend.log" acct-alice 120 >"$WORK/backend.out" 2>&1 &
INBOX_PID=$!
start_gateway "$T" "$GW2_PORT" toc
turn() { # out message
  toc agent --agent main --message "$2" --json --timeout 120 >"$1" 2>"$1.err" || {
    echo "openclaw agent failed:"; grep -v '^[│◇├]' "$1" | head -20; tail -n 5 "$1.err"; return 1; }
}
turn "$WORK/turn1.json" "first turn"
check turn "$WORK/turn1.json" "hello from the stand-in" rotate_profile,success
check asked "$WORK/backend.log" acct-alice acct-bob
toc models status --json >"$WORK/tstatus1.json" 2>/dev/null
until_ms=$(check cooled "$WORK/tstatus1.json" openai:alice)
echo "  turn 1: alice got usage_limit_reached; OpenClaw blocked her itself until $(date -u -d "@$((until_ms / 1000))" +%H:%M:%S) (the reset the stand-in announced) and rotated to bob"
tcs switch --json >"$WORK/tdecision.json"
toc models auth order get --provider openai --json >"$WORK/torder.json" 2>/dev/null
check first "$WORK/torder.json" openai:bob
echo "  clawshift switch put openai:bob first"
# Past alice's cooldown, OpenClaw's own order would try her first again.
wait_s=$(( (until_ms - $(date +%s%3N)) / 1000 + 2 ))
if [ "$wait_s" -gt 0 ]; then echo "  (waiting ${wait_s} s for alice's cooldown to end)"; sleep "$wait_s"; fi
: >"$WORK/backend.log"
turn "$WORK/turn2.json" "second turn"
must_fail turn turn "$WORK/turn2.json" "hello from the stand-in" rotate_profile,success
check turn "$WORK/turn2.json" "hello from the stand-in" success
must_fail backend asked "$WORK/backend.log" - acct-bob acct-bob
check asked "$WORK/backend.log" acct-bob acct-bob acct-alice
echo "  turn 2: served by bob straight away"
echo "gateway-cron: ok (OpenClaw $V gateway; the agent turn $(($(date +%s) - GW_STARTED)) s)"
