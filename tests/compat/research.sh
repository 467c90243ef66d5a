#!/usr/bin/env bash
# Re-run the core experiments behind tests/fixtures/openclaw-real/NOTES.md against the real CLI
# (e.g. after a new OpenClaw release) and write raw NAME.{stdout,stderr,meta} files.
#
#   tests/compat/research.sh [OUT_DIR] [--locks]
#     OUT_DIR  default: a new temp dir (printed at the end); never the fixtures dir unless given
#     --locks  also run the auth-profiles.json.lock matrix on the older releases (~8 min)
#
# Needs tests/compat/install.sh to have run. Every CLI call is bounded (oc.sh: timeout, offline).
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OC="$HERE/oc.sh"; ST="$HERE/ocstate.py"
OUT=""; LOCKS=""
for a in "$@"; do case $a in --locks) LOCKS=1;; *) OUT=$a;; esac; done
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/clawshift-oc-research.XXXXXX)
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
W=$(mktemp -d /tmp/clawshift-oc-sandboxes.XXXXXX)
. "$HERE/oc.sh"
oc_available 2026.9.6 || { echo "run tests/compat/install.sh first" >&2; exit 3; }

cap() { # NAME VERSION SANDBOX args...
  local name=$1 v=$2 s=$3; shift 3
  local t0 rc ms; t0=$(date +%s%N)
  oc_run "$v" "$s" "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr"; rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  printf 'cmd: openclaw %s\nversion: %s\nrc: %s\nwall_s: %d.%02d\n' "$*" "$v" "$rc" $((ms / 1000)) $((ms % 1000 / 10)) >"$OUT/$name.meta"
  printf '%-48s rc=%s %ss\n' "$name" "$rc" "$(sed -n 's/^wall_s: //p' "$OUT/$name.meta")"
}
files() { (cd "$1" && find . -path ./tmp -prune -o -print | sort); }

# a. empty state dir; the first config write creates the state DB
S=$W/a
cap a1-empty-status-json 2026.9.6 "$S" models status --json; files "$S" >"$OUT/a1-files-after.txt"
cap a2-config-set-creates-db 2026.9.6 "$S" config set gateway.port 18789; files "$S" >"$OUT/a2-files-after.txt"
DB=$S/.openclaw/state/openclaw.sqlite
if [ -f "$DB" ]; then
  sqlite3 "$DB" .schema >"$OUT/schema-state.sql"
  sqlite3 -header "$DB" 'PRAGMA user_version; SELECT * FROM schema_meta; SELECT * FROM config_machine_state;' >"$OUT/a2-versions-and-rows.txt"
fi

# b. shared rows written by an external tool, into an OpenClaw-made DB and into a bare DB
cp -a "$S" "$W/b1"; "$ST" put-auth "$W/b1/.openclaw"
cap b1-put-auth-compact-status-json 2026.9.6 "$W/b1" models status --json
mkdir -p "$W/x7/.openclaw"
printf 'CREATE TABLE config_machine_state (\n  state_key TEXT NOT NULL PRIMARY KEY,\n  value_json TEXT NOT NULL,\n  updated_at_ms INTEGER NOT NULL\n) STRICT;\n' >"$W/min.sql"
"$ST" mkdb "$W/x7/.openclaw" --schema "$W/min.sql" --user-version 0 --no-meta --auto-vacuum -1 && "$ST" put-auth "$W/x7/.openclaw"
cap b3-x7-minimal-status-json 2026.9.6 "$W/x7" models status --json
cap b4-x7-minimal-config-set 2026.9.6 "$W/x7" config set gateway.port 18789
sqlite3 "$W/x7/.openclaw/state/openclaw.sqlite" 'PRAGMA user_version' >"$OUT/b4-x7-user-version-after.txt"

# c. order set / get / clear
cp -a "$W/b1" "$W/c"
cap c5-order-get-json-shared-only 2026.9.6 "$W/c" models auth order get --provider openai --json
"$ST" dump "$W/c/.openclaw" >"$OUT/c0-rows-before.jsonl"
cap c1-order-set 2026.9.6 "$W/c" models auth order set --provider openai openai:bob openai:alice
"$ST" dump "$W/c/.openclaw" >"$OUT/c1-rows-after.jsonl"
[ -f "$W/c/.openclaw/agents/main/agent/openclaw-agent.sqlite" ] && sqlite3 "$W/c/.openclaw/agents/main/agent/openclaw-agent.sqlite" .schema >"$OUT/schema-agent.sql"
cap c2-order-get-json 2026.9.6 "$W/c" models auth order get --provider openai --json
cap c4-status-json-after-order-set 2026.9.6 "$W/c" models status --json
cap c7-order-clear 2026.9.6 "$W/c" models auth order clear --provider openai
"$ST" dump "$W/c/.openclaw" >"$OUT/c7-rows-after-clear.jsonl"

# d. direct openclaw.json edits (plain JSON, then JSON5)
cp -a "$W/b1" "$W/d"
python3 - "$W/d/.openclaw/openclaw.json" <<'EOF'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c.setdefault("agents", {}).setdefault("defaults", {})["model"] = {"primary": "anthropic/claude-opus-4-7", "fallbacks": ["openai/gpt-5.5"]}
open(p, "w").write(json.dumps(c, indent=2) + "\n")
EOF
cap d1-plain-json-edit-status-json 2026.9.6 "$W/d" models status --json
cat >"$W/d/.openclaw/openclaw.json" <<'EOF'
// JSON5: comments, unquoted keys, single quotes, trailing commas
{
  gateway: { port: 18789, },
  agents: { defaults: { model: { primary: 'openai/gpt-5.5', fallbacks: ["anthropic/claude-opus-4-7",], }, }, },
  meta: {"migrations": {"modelPolicyAllowlist": true, "utilityModelSeparation": true}, "lastTouchedVersion": "2026.9.6"},
}
EOF
cap d2-json5-edit-status-json 2026.9.6 "$W/d" models status --json

# e. older releases: legacy and split layouts, stored order [bob, alice] vs config [alice, bob]
for v in 2026.5.28 2026.4.21; do
  oc_available "$v" || { echo "openclaw $v not installed; skipping" | tee "$OUT/e-$v-skipped.txt"; continue; }
  for layout in legacy split; do
    S=$W/e-$v-$layout; mkdir -p "$S/.openclaw"
    "$ST" "$layout" "$S/.openclaw" --provider openai-codex --order-reversed
    "$ST" config "$S/.openclaw" --provider openai-codex
    cap "e-$v-$layout-status-json" "$v" "$S" models status --json
    cap "e-$v-$layout-order-get" "$v" "$S" models auth order get --provider openai-codex
    cap "e-$v-$layout-order-set" "$v" "$S" models auth order set --provider openai-codex openai-codex:alice openai-codex:bob
    mkdir -p "$OUT/after-order-set-$v-$layout"; cp "$S"/.openclaw/agents/main/agent/*.json "$OUT/after-order-set-$v-$layout/"
  done
done

# e'. lock matrix (optional, slow): lock created right before `order set`
if [ -n "$LOCKS" ]; then
  sleep 900 & LIVE=$!
  for v in 2026.4.21 2026.5.28; do
    oc_available "$v" || continue
    for sc in dead-pid live-pid empty-fresh dir-fresh; do
      S=$W/lock-$v-$sc; mkdir -p "$S/.openclaw"
      "$ST" split "$S/.openclaw" --provider openai-codex --order-reversed; "$ST" config "$S/.openclaw" --provider openai-codex
      L=$S/.openclaw/agents/main/agent/auth-profiles.json.lock; now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
      case $sc in
        dead-pid) printf '{"pid": %s, "createdAt": "%s"}' "$(bash -c 'echo $$')" "$now" >"$L";;
        live-pid) printf '{"pid": %s, "createdAt": "%s"}' "$LIVE" "$now" >"$L";;
        empty-fresh) : >"$L";;
        dir-fresh) mkdir "$L";;
      esac
      OC_TIMEOUT=170 cap "lock-$v-$sc-order-set" "$v" "$S" models auth order set --provider openai-codex openai-codex:alice openai-codex:bob
      { [ -e "$L" ] && echo "lock still there" || echo "lock gone"; } >"$OUT/lock-$v-$sc-after.txt"
    done
  done
  kill "$LIVE" 2>/dev/null
fi

rm -rf "$W"
echo "results in $OUT"
