#!/usr/bin/env bash
# Compatibility check against the real OpenClaw (design §10): clawshift writes the state,
# the real `openclaw` reads it back, and both must describe the same profiles, expiry,
# cooldowns, order and default model.
#
#   tests/compat/run.sh            # installs (cached) Node 24 + OpenClaw, then checks
#
# For each era: 2026.9.6 (SQLite, starting from an empty state dir), 2026.5.28 (split
# JSON) and 2026.4.21 (legacy JSON). An older era that failed to install is reported and
# skipped; the current one is required. Everything runs offline (npm_config_offline=true,
# `unshare -n` when available) in throw-away dirs under $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

tests/compat/install.sh >/dev/null
# shellcheck disable=SC1091
. "$(tests/compat/install.sh --env-file)"
. tests/compat/oc.sh

cargo build --quiet
CS=$ROOT/target/debug/clawshift
WORK=$(mktemp -d "${TMPDIR:-/tmp}/clawshift-compat.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export OC_SHARED_COMPILE_CACHE=1

failures=0
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

  "$OC_NODE_BIN" tests/compat/check.mjs auth-json "$s/alice.json" acct-alice alice@example.com
  "$OC_NODE_BIN" tests/compat/check.mjs auth-json "$s/bob.json" acct-bob bob@example.com
  cs --yes add-profile alice --from-auth-json "$s/alice.json"
  cs --yes add-profile bob --from-auth-json "$s/bob.json"
  cs eval "set_model(\"$model\", \"$p:bob\")" >/dev/null
  # OpenClaw records cooldowns itself; plant one of each kind the way it writes them.
  "$OC_NODE_BIN" tests/compat/check.mjs plant "$state" "$layout" "$p"

  cs status --json >"$s/ours.json"
  oc_run "$v" "$s" models status --json >"$s/real.json" 2>"$s/real.err" || {
    echo "openclaw models status failed:"; cat "$s/real.err"; return 1; }
  oc_run "$v" "$s" models auth order get --provider "$p" --json >"$s/order.json" 2>"$s/order.err" || {
    echo "openclaw models auth order get failed:"; cat "$s/order.err"; return 1; }
  "$OC_NODE_BIN" tests/compat/check.mjs compare "$s/ours.json" "$s/real.json" "$s/order.json" "$p"

  # Every Codex account is blocked now, so `switch` must pick the one whose block ends
  # first (alice), and the real OpenClaw must then report that model and order.
  cs switch --json >"$s/decision.json"
  oc_run "$v" "$s" models status --json >"$s/real2.json" 2>"$s/real.err" || {
    echo "openclaw models status failed after switch:"; cat "$s/real.err"; return 1; }
  oc_run "$v" "$s" models auth order get --provider "$p" --json >"$s/order2.json" 2>"$s/order.err" || {
    echo "openclaw models auth order get failed after switch:"; cat "$s/order.err"; return 1; }
  "$OC_NODE_BIN" tests/compat/check.mjs switched "$s/decision.json" "$s/real2.json" "$s/order2.json" "$p:alice"

  # With a usable Claude account, and past the 30-minute hold, Opus comes first again:
  # the real OpenClaw must then report it as the default model.
  "$OC_NODE_BIN" tests/compat/check.mjs plant-token "$state" "$layout"
  local later; later=$(date -u -d '+31 minutes' +%Y-%m-%dT%H:%M:%SZ)
  env -i PATH=/usr/bin:/bin HOME="$s" OPENCLAW_STATE_DIR="$state" CLAWSHIFT_HOME="$s/cs" \
    CODEX_HOME="$s/codex" CLAWSHIFT_OPENCLAW_BIN="$s/bin/openclaw" CLAWSHIFT_NOW="$later" \
    "$CS" --timeout 300 switch --json >"$s/decision3.json"
  oc_run "$v" "$s" models status --json >"$s/real3.json" 2>"$s/real.err" || {
    echo "openclaw models status failed after the switch to Opus:"; cat "$s/real.err"; return 1; }
  "$OC_NODE_BIN" tests/compat/check.mjs switched "$s/decision3.json" "$s/real3.json" "$s/order2.json" anthropic/claude-opus-4-7
}

era() { # version layout provider required
  if ! oc_available "$1"; then
    if [ "$4" = required ]; then echo "OpenClaw $1 is not installed"; failures=$((failures + 1)); fi
    echo "== OpenClaw $1: not installed, skipped (see $CLAWSHIFT_COMPAT_CACHE/status)"
    return
  fi
  if ! (check_era "$1" "$2" "$3"); then
    echo "FAILED: OpenClaw $1 ($2)"
    failures=$((failures + 1))
  fi
}

era 2026.9.6 sqlite openai required
era 2026.5.28 split-json openai-codex optional
era 2026.4.21 legacy-json openai-codex optional

# The verdicts of OpenClaw's own isSensitiveConfigPath that tests/cli/secrets.rs holds
# clawshift's redaction to must still be what the installed OpenClaw says.
sensitive=tests/fixtures/openclaw-real/sensitive-paths-2026.9.6.tsv
if oc_available 2026.9.6 && ! diff <(grep -v '^#' "$sensitive") \
  <(grep -v '^#' "$sensitive" | cut -f1 | "$OC_NODE_BIN" tests/compat/sensitive-paths.mjs "$(dirname "$OC_2026_9_6")"); then
  echo "FAILED: OpenClaw 2026.9.6's sensitive config paths differ from $sensitive"
  failures=$((failures + 1))
fi

if [ "$failures" -gt 0 ]; then
  echo "compat: $failures era(s) failed"
  exit 1
fi
echo "compat: ok"
