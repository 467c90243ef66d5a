#!/usr/bin/env bash
# The live-gateway check (issue 15): the real OpenClaw 2026.9.6 gateway runs offline on
# a loopback port while clawshift adds profiles and switches, and the gateway's own view
# must agree with what clawshift reports.
#
#   tests/compat/gateway.sh [WORKDIR]     # run.sh calls it for the 2026.9.6 era
#
# What it proves, in order:
#   1. set_model(openai/gpt-5.5, openai:bob) with the gateway up: the order goes through
#      the gateway's models.authOrderSet (the gateway's models.authStatus and the stored
#      order both start with bob), and the session patch is reported as refused, because
#      without the @openclaw/codex plugin the gateway keeps sessions off openai/* models.
#   2. The current account (bob) is disabled and alice cooling down: `switch` moves the
#      order to alice, through the gateway.
#   3. With a Claude token and past the 30-minute hold: `switch` lands on
#      anthropic/claude-opus-4-7 (sessions.describe, sessions.list and `models status`
#      show it, the fallbacks are the switch's chain); set_model then pins anthropic:me
#      on the session (chat.metadata shows it).
#   4. The gateway is kept busy (an agent turn on the main session, which fails offline,
#      and a sessions.list refresh): the session still holds the switch's model and account.
#   5. A `switch` that changes nothing opens one connection and sends only the one read
#      (sessions.describe + chat.metadata), counted in the gateway's own ws log.
# Throughout, clawshift never starts the openclaw CLI (its CLAWSHIFT_OPENCLAW_BIN logs calls).
# Every comparator is first fed a deliberately wrong expectation and must reject it.
#
# Network: everything runs in a private network namespace (`unshare -n`, or `unshare -rn`
# when not root) with only loopback up, so nothing can leave the machine and the port is
# free. The namespace goes away with the last process in it; the EXIT trap stops the
# gateway on every exit path (and `timeout` bounds it besides). Start-up is bounded to 90 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

command -v ip >/dev/null || { echo "gateway: needs \`ip\` (iproute2) to bring loopback up in its network namespace"; exit 1; }
if [ -z "${CLAWSHIFT_GW_NETNS:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then ns=(unshare -n); else ns=(unshare -rn); fi
  exec env CLAWSHIFT_GW_NETNS=1 "${ns[@]}" "$0" "$@"
fi
ip link set lo up

# shellcheck disable=SC1090
. "$(tests/compat/install.sh --env-file)"
. tests/compat/oc.sh
V=2026.9.6
oc_available "$V" || { echo "gateway: OpenClaw $V is not installed"; exit 1; }
# The namespace is already private: each openclaw call must share it with the gateway.
export OC_NET=1 OC_SHARED_COMPILE_CACHE=1

if [ -n "${CLAWSHIFT_COMPAT_BIN:-}" ]; then
  CS=$CLAWSHIFT_COMPAT_BIN
else
  cargo build --quiet
  CS=$ROOT/target/debug/clawshift
fi
if [ -n "${1:-}" ]; then
  s=$1
  mkdir -p "$s"
else
  s=$(mktemp -d "${TMPDIR:-/tmp}/clawshift-gateway.XXXXXX")
fi
s=$(cd "$s" && pwd -P)
state=$s/.openclaw
mkdir -p "$state" "$s/bin" "$s/cs"
CHECK=("$OC_NODE_BIN" tests/compat/check.mjs)
PORT=18801
TOKEN=test-token-not-secret-0123456789
KEY=agent:main:main
OPUS=anthropic/claude-opus-4-7
GPT=openai/gpt-5.5
export OC_EXTRA_ENV="OPENCLAW_GATEWAY_TOKEN=$TOKEN"
LOG=$s/gateway.log

gw_pid=
stop_gateway() {
  [ -n "$gw_pid" ] || return 0
  kill "$gw_pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$gw_pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$gw_pid" 2>/dev/null || true
  wait "$gw_pid" 2>/dev/null || true
  gw_pid=
}
on_exit() {
  local rc=$?
  stop_gateway
  if [ "$rc" -ne 0 ] && [ -f "$LOG" ]; then
    echo "  the gateway's log ends:"; tail -n 15 "$LOG" | sed 's/^/    /'
  fi
  [ -n "${1:-}" ] || rm -rf "$s"
}
# shellcheck disable=SC2064
trap "on_exit ${1:+keep}" EXIT
trap 'exit 130' INT TERM
set -E
trap 'echo "  failed (exit $?) at tests/compat/gateway.sh:$LINENO: $BASH_COMMAND"' ERR

# clawshift finds this OpenClaw through CLAWSHIFT_OPENCLAW_BIN, as a user's PATH would;
# each call is logged: with the gateway up, clawshift must never need to start Node.
cat >"$s/bin/openclaw" <<EOF
#!/usr/bin/env bash
echo "openclaw \$*" >>"$s/openclaw-calls.log"
export CLAWSHIFT_COMPAT_CACHE="$CLAWSHIFT_COMPAT_CACHE" OC_SHARED_COMPILE_CACHE=1 OC_NET=1 OC_EXTRA_ENV="$OC_EXTRA_ENV"
. "$ROOT/tests/compat/oc.sh"
oc_run $V "$s" "\$@"
EOF
chmod +x "$s/bin/openclaw"
cs_at() { # NOW args...: clawshift with the gateway's token in its environment, as a user's
  local now=$1; shift
  env -i PATH=/usr/bin:/bin HOME="$s" OPENCLAW_STATE_DIR="$state" CLAWSHIFT_HOME="$s/cs" \
    CODEX_HOME="$s/codex" CLAWSHIFT_OPENCLAW_BIN="$s/bin/openclaw" OPENCLAW_GATEWAY_TOKEN="$TOKEN" \
    ${now:+CLAWSHIFT_NOW="$now"} "$CS" --timeout 300 "$@"
}
cs() { cs_at "" "$@"; }
oc() { # args... -> stdout; fails naming the call
  oc_run "$V" "$s" "$@" 2>"$s/oc.err" || { echo "openclaw $* failed:"; cat "$s/oc.err"; return 1; }
}

# The config a user would have (the port the gateway and clawshift both read from it).
printf '{\n  // written by hand, as people do\n  gateway: { port: %s },\n  agents: { defaults: { model: { primary: "%s", fallbacks: ["%s"] } } },\n}\n' \
  "$PORT" "$GPT" "$OPUS" >"$state/openclaw.json"

echo "== OpenClaw $V gateway (live, loopback port $PORT in a private network namespace)"
OC_TIMEOUT=900 _OC_EXEC=1 tests/compat/oc.sh "$V" "$s" gateway run --allow-unconfigured --auth token \
  --port "$PORT" --bind loopback --ws-log full --verbose >"$LOG" 2>&1 &
gw_pid=$!
t0=$SECONDS
until grep -q '\[gateway\] ready' "$LOG" && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
  kill -0 "$gw_pid" 2>/dev/null || { echo "the gateway exited during start-up"; exit 1; }
  [ $((SECONDS - t0)) -lt 90 ] || { echo "the gateway did not answer within 90 s"; exit 1; }
  sleep 0.5
done
echo "  gateway ready after $((SECONDS - t0)) s"

# The gateway's own view, one file: models status (CLI), the stored order, and through
# the gateway: models.authStatus, sessions.describe, chat.metadata, sessions.list.
view() { # name
  local f=$s/$1
  oc models status --json >"$f.status"
  oc models auth order get --provider openai --json >"$f.order"
  oc gateway call models.authStatus --json >"$f.auth"
  oc gateway call sessions.describe --params "{\"key\":\"$KEY\"}" --json >"$f.describe"
  oc gateway call chat.metadata --params "{\"sessionKey\":\"$KEY\"}" --json >"$f.meta"
  oc gateway call sessions.list --json >"$f.list"
  "${CHECK[@]}" gather "$f.json" status "$f.status" order "$f.order" auth "$f.auth" \
    describe "$f.describe" meta "$f.meta" list "$f.list"
}
# The canary: a comparator given a deliberately wrong expectation must exit non-zero.
must_fail() {
  local what=$1; shift
  if "${CHECK[@]}" "$@" >"$s/canary.out" 2>&1; then
    echo "canary: the $what comparator accepted a wrong expectation:"; cat "$s/canary.out"
    return 1
  fi
  echo "  canary: $what comparator rejects a wrong expectation"
}
# The gateway's ws log from byte OFFSET on (what one clawshift run sent).
log_since() { sleep 1; tail -c +$(($1 + 1)) "$LOG" >"$2"; }

"${CHECK[@]}" auth-json "$s/alice.json" acct-alice alice@example.com
"${CHECK[@]}" auth-json "$s/bob.json" acct-bob bob@example.com
cs --yes add-profile alice --from-auth-json "$s/alice.json"
cs --yes add-profile bob --from-auth-json "$s/bob.json"

# 1. The openai order through the gateway; the session stays off openai/* (refused).
view v0
cs eval "set_model(\"$GPT\", \"openai:bob\")" >"$s/report1.json"
view v1
must_fail live live "$s/report1.json" "$s/v1.json" "$s/v1.json" "$GPT" openai:bob refused
"${CHECK[@]}" live "$s/report1.json" "$s/v0.json" "$s/v1.json" "$GPT" openai:bob refused

# 2. bob (current) disabled, alice cooling down for less long: the order moves to alice.
"${CHECK[@]}" plant "$state" sqlite openai
cs switch --json >"$s/switch1.json"
view v2
"${CHECK[@]}" live "$s/switch1.json" "$s/v1.json" "$s/v2.json" "$GPT" openai:alice refused

# 3. A Claude token and past the hold: Opus comes first, a model-level candidate, so the
# session moves to Opus with no pinned account (changing provider drops the old one).
"${CHECK[@]}" plant-token "$state" sqlite
later=$(date -u -d '+31 minutes' +%Y-%m-%dT%H:%M:%SZ)
t1=$(date +%s%N)
cs_at "$later" switch --json >"$s/switch2.json"
echo "  switch to Opus with the gateway up: $((($(date +%s%N) - t1) / 1000000)) ms (clawshift process, wall)"
view v3
must_fail live live "$s/switch2.json" "$s/v2.json" "$s/v3.json" "$GPT" openai:alice patched
"${CHECK[@]}" live "$s/switch2.json" "$s/v2.json" "$s/v3.json" "$OPUS" - patched
# Pinning the Claude account on the same model patches the session's account alone.
cs_at "$later" eval "set_model(\"$OPUS\", \"anthropic:me\")" >"$s/report3.json"
view v3b
"${CHECK[@]}" live "$s/report3.json" "$s/v3.json" "$s/v3b.json" "$OPUS" anthropic:me patched
must_fail session session "$s/v3b.json" "$GPT" anthropic:me
"${CHECK[@]}" session "$s/v3b.json" "$OPUS" anthropic:me

# 4. The gateway busy: an agent turn on the main session. Offline it fails (no DNS), after
# OpenClaw's own retries (~80 s), and the gateway then writes the session entry back
# (status "failed", a new updatedAt) and records a cooldown for anthropic:me. Then a
# sessions.list refresh. The switch's model and account must still be the session's.
mark=$(stat -c %s "$LOG")
if OC_TIMEOUT=240 oc_run "$V" "$s" agent --session-key "$KEY" --message hi --timeout 180 --json >"$s/turn.out" 2>&1; then
  echo "the offline agent turn succeeded, which it cannot:"; cat "$s/turn.out"; exit 1
fi
log_since "$mark" "$s/turn.log"
grep -q "embedded run start: .* provider=anthropic model=claude-opus-4-7 " "$s/turn.log" || {
  echo "the agent turn did not run on the switched route:"; cat "$s/turn.out"; grep -m5 'embedded run' "$s/turn.log"; exit 1; }
echo "  agent turn: ran on anthropic/claude-opus-4-7, failed offline ($(grep -c 'embedded run start' "$s/turn.log") attempts)"
oc gateway call sessions.list --json >/dev/null
view v4
must_fail written-back written-back "$s/v4.json" "$s/v3b.json"
"${CHECK[@]}" written-back "$s/v3b.json" "$s/v4.json"
"${CHECK[@]}" session "$s/v4.json" "$OPUS" anthropic:me
must_fail same-order same-order "$s/v2.json" "$s/v4.json"
"${CHECK[@]}" same-order "$s/v3b.json" "$s/v4.json"

# 5. A run that changes nothing: one connection, one read, no write.
mark=$(stat -c %s "$LOG")
t1=$(date +%s%N)
cs_at "$(date -u -d '+32 minutes' +%Y-%m-%dT%H:%M:%SZ)" switch --json >"$s/switch3.json"
echo "  a switch with nothing to change, gateway up: $((($(date +%s%N) - t1) / 1000000)) ms (clawshift process, wall)"
log_since "$mark" "$s/quiet.log"
log_since 0 "$s/all.log"
must_fail quiet quiet "$s/switch3.json" "$s/all.log"
"${CHECK[@]}" quiet "$s/switch3.json" "$s/quiet.log"
times=()
for _ in 1 2 3 4 5; do
  t1=$(date +%s%N)
  cs_at "$(date -u -d '+32 minutes' +%Y-%m-%dT%H:%M:%SZ)" switch >/dev/null
  times+=("$((($(date +%s%N) - t1) / 1000000))")
done
echo "  five more runs with nothing to change: ${times[*]} ms"
view v5
"${CHECK[@]}" session "$s/v5.json" "$OPUS" anthropic:me
"${CHECK[@]}" same-order "$s/v4.json" "$s/v5.json"
if [ -s "$s/openclaw-calls.log" ]; then
  echo "with the gateway up, clawshift still started the openclaw CLI:"; cat "$s/openclaw-calls.log"; exit 1
fi
echo "  gateway: ok (clawshift started no openclaw CLI)"
