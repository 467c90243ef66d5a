#!/usr/bin/env bash
# Compatibility check against the real OpenClaw (design §10): clawshift writes the state,
# the real `openclaw` reads it back, and both must describe the same profiles, expiry,
# cooldowns, order and default model; each `set_model` report (applied / skipped) must
# match what the real OpenClaw then shows.
#
#   tests/compat/run.sh            # installs (cached) Node 24 + OpenClaw, then checks
#
# For each era: 2026.9.6 (SQLite, starting from an empty state dir), 2026.5.28 (split
# JSON) and 2026.4.21 (legacy JSON); for 2026.9.6 also the live gateway
# (tests/compat/gateway.sh). Each era runs with `set -e` in force: any clawshift
# or openclaw call that fails, and any disagreement, fails the era, and the run names it.
# Before its checks, every era feeds each comparator a deliberately wrong expectation and
# requires it to fail (the canary), so a run proves its comparators can fail.
#
# An older era that failed to install is reported and skipped, unless
# CLAWSHIFT_COMPAT_REQUIRE_ALL=1 (CI): then the install is retried up to three times and
# every era is required. CLAWSHIFT_COMPAT_BIN runs another clawshift binary (default: a
# fresh debug build). Everything runs offline (npm_config_offline=true, `unshare -n` when
# available) in throw-away dirs under $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

if [ -n "${CLAWSHIFT_COMPAT_REQUIRE_ALL:-}" ]; then
  for attempt in 1 2 3; do
    CLAWSHIFT_COMPAT_RETRY_FAILED=1 tests/compat/install.sh >/dev/null || true
    # shellcheck disable=SC1090
    . "$(tests/compat/install.sh --env-file)"
    st="${OC_2026_9_6_STATUS:-not attempted}; ${OC_2026_5_28_STATUS:-not attempted}; ${OC_2026_4_21_STATUS:-not attempted}"
    [ "$st" = "ok; ok; ok" ] && break
    echo "compat: install attempt $attempt of 3 (2026.9.6; 2026.5.28; 2026.4.21): $st"
  done
else
  tests/compat/install.sh >/dev/null || { echo "compat: installing OpenClaw $OC_MAIN_VERSION failed"; exit 1; }
fi
# shellcheck disable=SC1090
. "$(tests/compat/install.sh --env-file)"
. tests/compat/oc.sh

if [ -n "${CLAWSHIFT_COMPAT_BIN:-}" ]; then
  CS=$CLAWSHIFT_COMPAT_BIN
else
  cargo build --quiet
  CS=$ROOT/target/debug/clawshift
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/clawshift-compat.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export OC_SHARED_COMPILE_CACHE=1
CHECK=("$OC_NODE_BIN" tests/compat/check.mjs)

# The canary: CMD ARGS... given a deliberately wrong expectation must exit non-zero.
must_fail() {
  local what=$1; shift
  if "${CHECK[@]}" "$@" >"$WORK/canary.out" 2>&1; then
    echo "canary: the $what comparator accepted a wrong expectation:"; cat "$WORK/canary.out"
    return 1
  fi
  echo "  canary: $what comparator rejects a wrong expectation"
}

# The real OpenClaw's status and order, as one file for `check.mjs report`.
real_view() { # version sandbox provider out
  oc_run "$1" "$2" models status --json >"$4.status" 2>"$4.err" || {
    echo "openclaw models status failed:"; cat "$4.err"; return 1; }
  oc_run "$1" "$2" models auth order get --provider "$3" --json >"$4.order" 2>"$4.err" || {
    echo "openclaw models auth order get failed:"; cat "$4.err"; return 1; }
  "${CHECK[@]}" pair "$4.status" "$4.order" "$4"
}

check_era() { # version layout provider
  local v=$1 layout=$2 p=$3
  local s="$WORK/$v"
  local state="$s/.openclaw" model="$p/gpt-5.5"
  mkdir -p "$state" "$s/bin" "$s/cs"
  echo "== OpenClaw $v ($layout)"

  # clawshift finds this OpenClaw through CLAWSHIFT_OPENCLAW_BIN, as a user's PATH would.
  cat >"$s/bin/openclaw" <<EOF
#!/usr/bin/env bash
export CLAWSHIFT_COMPAT_CACHE="$CLAWSHIFT_COMPAT_CACHE" OC_SHARED_COMPILE_CACHE=1
. "$ROOT/tests/compat/oc.sh"
oc_run $v "$s" "\$@"
EOF
  chmod +x "$s/bin/openclaw"
  cs() {
    env -i PATH=/usr/bin:/bin HOME="$s" OPENCLAW_STATE_DIR="$state" CLAWSHIFT_HOME="$s/cs" \
      CODEX_HOME="$s/codex" CLAWSHIFT_OPENCLAW_BIN="$s/bin/openclaw" "$CS" --timeout 300 "$@"
  }

  # The config a user would have: a Codex model as default, Claude as fallback.
  printf '{\n  // written by hand, as people do\n  agents: { defaults: { model: { primary: "%s", fallbacks: ["anthropic/claude-opus-4-7"] } } },\n}\n' \
    "$model" >"$state/openclaw.json"

  "${CHECK[@]}" auth-json "$s/alice.json" acct-alice alice@example.com
  "${CHECK[@]}" auth-json "$s/bob.json" acct-bob bob@example.com
  cs --yes add-profile alice --from-auth-json "$s/alice.json"
  cs --yes add-profile bob --from-auth-json "$s/bob.json"
  # set_model's report must say what the real OpenClaw then shows: the order change
  # applied (through `openclaw models auth order set`), the default model skipped (it
  # already is), the session skipped (no gateway); a second call changes nothing.
  real_view "$v" "$s" "$p" "$s/view0.json"
  cs eval "set_model(\"$model\", \"$p:bob\")" >"$s/report1.json"
  real_view "$v" "$s" "$p" "$s/view1.json"
  must_fail report report "$s/report1.json" "$s/view1.json" "$s/view1.json" "$model" "$p:bob"
  "${CHECK[@]}" report "$s/report1.json" "$s/view0.json" "$s/view1.json" "$model" "$p:bob"
  grep -q "through \`openclaw models auth order set" "$s/report1.json" || {
    echo "set_model did not change the order through openclaw:"; cat "$s/report1.json"; return 1; }
  cs eval "set_model(\"$model\", \"$p:bob\")" >"$s/report2.json"
  real_view "$v" "$s" "$p" "$s/view2.json"
  "${CHECK[@]}" report "$s/report2.json" "$s/view1.json" "$s/view2.json" "$model" "$p:bob"
  # OpenClaw records cooldowns itself; plant one of each kind the way it writes them.
  "${CHECK[@]}" plant "$state" "$layout" "$p"

  cs status --json >"$s/ours.json"
  oc_run "$v" "$s" models status --json >"$s/real.json" 2>"$s/real.err" || {
    echo "openclaw models status failed:"; cat "$s/real.err"; return 1; }
  oc_run "$v" "$s" models auth order get --provider "$p" --json >"$s/order.json" 2>"$s/order.err" || {
    echo "openclaw models auth order get failed:"; cat "$s/order.err"; return 1; }
  "${CHECK[@]}" wrong "$s/ours.json" "$s/ours-wrong.json"
  must_fail status compare "$s/ours-wrong.json" "$s/real.json" "$s/order.json" "$p"
  "${CHECK[@]}" compare "$s/ours.json" "$s/real.json" "$s/order.json" "$p"

  # Every Codex account is blocked now, so `switch` must pick the one whose block ends
  # first (alice), and the real OpenClaw must then report that model and order.
  cs switch --json >"$s/decision.json"
  oc_run "$v" "$s" models status --json >"$s/real2.json" 2>"$s/real.err" || {
    echo "openclaw models status failed after switch:"; cat "$s/real.err"; return 1; }
  oc_run "$v" "$s" models auth order get --provider "$p" --json >"$s/order2.json" 2>"$s/order.err" || {
    echo "openclaw models auth order get failed after switch:"; cat "$s/order.err"; return 1; }
  must_fail switch switched "$s/decision.json" "$s/real2.json" "$s/order2.json" "$p:bob"
  "${CHECK[@]}" switched "$s/decision.json" "$s/real2.json" "$s/order2.json" "$p:alice"

  # With a usable Claude account, and past the 30-minute hold, Opus comes first again:
  # the real OpenClaw must then report it as the default model.
  "${CHECK[@]}" plant-token "$state" "$layout"
  local later; later=$(date -u -d '+31 minutes' +%Y-%m-%dT%H:%M:%SZ)
  env -i PATH=/usr/bin:/bin HOME="$s" OPENCLAW_STATE_DIR="$state" CLAWSHIFT_HOME="$s/cs" \
    CODEX_HOME="$s/codex" CLAWSHIFT_OPENCLAW_BIN="$s/bin/openclaw" CLAWSHIFT_NOW="$later" \
    "$CS" --timeout 300 switch --json >"$s/decision3.json"
  oc_run "$v" "$s" models status --json >"$s/real3.json" 2>"$s/real.err" || {
    echo "openclaw models status failed after the switch to Opus:"; cat "$s/real.err"; return 1; }
  "${CHECK[@]}" switched "$s/decision3.json" "$s/real3.json" "$s/order2.json" anthropic/claude-opus-4-7

  # An account past its token's expiry that still holds a refresh token: the real
  # OpenClaw keeps it eligible (it refreshes on first use), clawshift calls it
  # refresh-due and usable.
  "${CHECK[@]}" auth-json "$s/carol.json" acct-carol carol@example.com
  cs --yes add-profile carol --from-auth-json "$s/carol.json"
  "${CHECK[@]}" plant-expired "$state" "$layout" "$p:carol"
  cs status --json >"$s/ours4.json"
  oc_run "$v" "$s" models status --json >"$s/real4.json" 2>"$s/real.err" || {
    echo "openclaw models status failed after carol's token expired:"; cat "$s/real.err"; return 1; }
  oc_run "$v" "$s" models auth order get --provider "$p" --json >"$s/order4.json" 2>"$s/order.err" || {
    echo "openclaw models auth order get failed:"; cat "$s/order.err"; return 1; }
  "${CHECK[@]}" compare "$s/ours4.json" "$s/real4.json" "$s/order4.json" "$p"
  grep -q '"state": "refresh-due"' "$s/ours4.json" || {
    echo "clawshift did not report carol as refresh-due:"; grep -n '"state"' "$s/ours4.json"; return 1; }

  # An agent with a model of its own (agents.entries.<id>, from 2026.6): clawshift must
  # read it as the real OpenClaw does for that agent, and set_model must move that
  # agent's model, not the default main runs.
  if [ "$layout" = sqlite ]; then
    "${CHECK[@]}" agent "$state/openclaw.json" work anthropic/claude-opus-4-7
    oc_run "$v" "$s" models status --agent main --json >"$s/main5.json" 2>"$s/real.err"
    cs --agent work status --json >"$s/ours5.json"
    oc_run "$v" "$s" models status --agent work --json >"$s/real5.json" 2>"$s/real.err" || {
      echo "openclaw models status --agent work failed:"; cat "$s/real.err"; return 1; }
    must_fail agent-model agent-model "$s/ours4.json" "$s/real5.json" anthropic/claude-opus-4-7
    "${CHECK[@]}" agent-model "$s/ours5.json" "$s/real5.json" anthropic/claude-opus-4-7
    cs --agent work eval "set_model(\"$model\")" >"$s/report6.json"
    cs --agent work status --json >"$s/ours6.json"
    oc_run "$v" "$s" models status --agent work --json >"$s/real6.json" 2>"$s/real.err"
    "${CHECK[@]}" agent-model "$s/ours6.json" "$s/real6.json" "$model"
    oc_run "$v" "$s" models status --agent main --json >"$s/main6.json" 2>"$s/real.err"
    "$OC_NODE_BIN" -e 'const [a, b] = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
      if (a.defaultModel !== b.defaultModel) { console.log(`  mismatch: main moved from ${a.defaultModel} to ${b.defaultModel}`); process.exit(1); }
      console.log(`  agree: main still runs ${b.defaultModel}`);' "$s/main5.json" "$s/main6.json"
  fi
}

era() { # version layout provider required
  if ! oc_available "$1"; then
    echo "== OpenClaw $1: not installed (see $CLAWSHIFT_COMPAT_CACHE/status)"
    if [ "$4" = required ] || [ -n "${CLAWSHIFT_COMPAT_REQUIRE_ALL:-}" ]; then
      failed+=("$1 ($2): not installed")
    else
      skipped+=("$1 ($2)")
    fi
    return 0
  fi
  # Not `if ! (check_era ...)`: bash ignores `set -e` inside a condition, so only the
  # era's last command would count. `set +e` around a subshell that sets -e again keeps
  # every command of the era checked; the ERR trap names the command that failed.
  local rc
  set +e
  (
    set -eE
    trap 'echo "  failed (exit $?) at tests/compat/run.sh:$LINENO: $BASH_COMMAND"' ERR
    check_era "$1" "$2" "$3"
  )
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "FAILED: OpenClaw $1 ($2), exit $rc"
    failed+=("$1 ($2)")
  fi
}

failed=()
skipped=()
era 2026.9.6 sqlite openai required
# The live gateway (issue 15) runs in its own network namespace, so it is its own script
# (with `set -e` and its own canaries); a failure there fails the run like an era.
if oc_available 2026.9.6; then
  set +e
  CLAWSHIFT_COMPAT_BIN=$CS tests/compat/gateway.sh "$WORK/gateway"
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "FAILED: OpenClaw 2026.9.6 live gateway, exit $rc"
    failed+=("2026.9.6 live gateway")
  fi
fi
era 2026.5.28 split-json openai-codex optional
era 2026.4.21 legacy-json openai-codex optional

# The verdicts of OpenClaw's own isSensitiveConfigPath that tests/cli/secrets.rs holds
# clawshift's redaction to must still be what the installed OpenClaw says.
sensitive=tests/fixtures/openclaw-real/sensitive-paths-2026.9.6.tsv
if oc_available 2026.9.6 && ! diff <(grep -v '^#' "$sensitive") \
  <(grep -v '^#' "$sensitive" | cut -f1 | "$OC_NODE_BIN" tests/compat/sensitive-paths.mjs "$(dirname "$OC_2026_9_6")"); then
  echo "FAILED: OpenClaw 2026.9.6's sensitive config paths differ from $sensitive"
  failed+=("2026.9.6 sensitive config paths")
fi

[ ${#skipped[@]} -eq 0 ] || echo "compat: skipped (not installed): ${skipped[*]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "compat: ${#failed[@]} check(s) failed: ${failed[*]}"
  exit 1
fi
echo "compat: ok (${OC_VERSIONS// /, }${skipped:+, except the skipped})"
