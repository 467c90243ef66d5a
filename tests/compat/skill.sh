#!/usr/bin/env bash
# The clawshift skill against the real OpenClaw: `clawshift skill install` puts it where
# OpenClaw looks, and `openclaw skills list/info/check` report it ready when `clawshift`
# is on PATH and missing its requirement when not; `--agent ID` puts it in that agent's
# workspace only; `skill remove` makes it disappear again.
#
#   tests/compat/skill.sh          # needs tests/compat/install.sh to have run (cached)
#
# Any disagreement exits non-zero. COMPAT_SKILL_BREAK=1 expects a wrong status on purpose
# (to see this script go red).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

tests/compat/install.sh >/dev/null
# shellcheck disable=SC1091
. "$(tests/compat/install.sh --env-file)"
. tests/compat/oc.sh
export OC_SHARED_COMPILE_CACHE=1
V=$OC_MAIN_VERSION

cargo build --quiet
WORK=$(mktemp -d "${TMPDIR:-/tmp}/clawshift-skill.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
S=$WORK/sandbox
STATE=$S/.openclaw
mkdir -p "$STATE" "$WORK/bin"
# The binary OpenClaw looks for on PATH: a copy of this build, in a dir of its own.
cp "$ROOT/target/debug/clawshift" "$WORK/bin/clawshift"
WITH_PATH="PATH=$WORK/bin:$OC_NODE_DIR:/usr/bin:/bin"
# An agent besides main, in 2026.9's keyed form (with several agents, `openclaw skills`
# needs --agent).
printf '{ agents: { ownership: "explicit", entries: { main: {}, work: {} } } }\n' >"$STATE/openclaw.json"

cs() {
  env -i PATH=/usr/bin:/bin HOME="$S" OPENCLAW_STATE_DIR="$STATE" CLAWSHIFT_HOME="$WORK/cs" \
    CODEX_HOME="$WORK/codex" "$WORK/bin/clawshift" "$@"
}
# openclaw with or without clawshift on PATH; `path=with|without`.
oc() {
  local path=$1; shift
  if [ "$path" = with ]; then OC_EXTRA_ENV=$WITH_PATH oc_run "$V" "$S" "$@"; else oc_run "$V" "$S" "$@"; fi
}
# One field of a JSON document on stdin, by a JS expression over `d`.
field() { "$OC_NODE_BIN" -e 'let t="";process.stdin.on("data",c=>t+=c).on("end",()=>{const d=JSON.parse(t);console.log(JSON.stringify(eval(process.argv[1])))})' "$1"; }
expect() { # label actual expected
  if [ "$2" != "$3" ]; then
    echo "FAIL $1: got $2, expected $3" >&2
    exit 1
  fi
  echo "ok   $1: $2"
}

ready=true
[ -n "${COMPAT_SKILL_BREAK:-}" ] && ready=false

echo "== OpenClaw $V: shared (managed) skill"
out=$(cs skill install)
expect "install says where" "$out" "installed the skill in $STATE/skills/clawshift
OpenClaw picks it up in new sessions; check with \`openclaw skills info clawshift\`"
expect "install again is a no-op" "$(cs skill install)" "skill already installed: $STATE/skills/clawshift"
cmp "$STATE/skills/clawshift/SKILL.md" skill/SKILL.md
expect "SKILL.md mode" "$(stat -c %a "$STATE/skills/clawshift/SKILL.md")" "644"

info=$(oc with skills info clawshift --json --agent main)
expect "info: source" "$(field d.source <<<"$info")" '"openclaw-managed"'
expect "info: requires bins" "$(field d.requirements.bins <<<"$info")" '["clawshift"]'
expect "info (on PATH): eligible" "$(field d.eligible <<<"$info")" "$ready"
expect "info (on PATH): missing bins" "$(field d.missing.bins <<<"$info")" '[]'
list=$(oc with skills list --json --agent main)
expect "list (on PATH): eligible" "$(field 'd.skills.find(s=>s.name==="clawshift").eligible' <<<"$list")" "true"
check=$(oc with skills check --json --agent main)
expect "check (on PATH): in eligible" "$(field 'd.eligible.includes("clawshift")' <<<"$check")" "true"
expect "check (on PATH): model sees it" "$(field 'd.modelVisible.includes("clawshift")' <<<"$check")" "true"

info=$(oc without skills info clawshift --json --agent main)
expect "info (not on PATH): eligible" "$(field d.eligible <<<"$info")" "false"
expect "info (not on PATH): missing bins" "$(field d.missing.bins <<<"$info")" '["clawshift"]'
check=$(oc without skills check --json --agent main)
expect "check (not on PATH): missing requirement" \
  "$(field 'd.missingRequirements.find(s=>s.name==="clawshift").missing.bins' <<<"$check")" '["clawshift"]'
text=$(oc without skills info clawshift --agent main)
expect "info text (not on PATH)" "$(grep -c 'Binaries: ✗ clawshift' <<<"$text")" "1"

echo "== OpenClaw $V: skill for agent work only"
cs skill remove >/dev/null
out=$(cs --agent work skill install)
expect "install --agent says where" "$(head -1 <<<"$out")" "installed the skill in $STATE/workspace-work/skills/clawshift"
info=$(oc with skills info clawshift --agent work --json)
expect "info --agent work: source" "$(field d.source <<<"$info")" '"openclaw-workspace"'
expect "info --agent work: file" "$(field d.filePath <<<"$info")" "\"$STATE/workspace-work/skills/clawshift/SKILL.md\""
expect "info --agent work: eligible" "$(field d.eligible <<<"$info")" "true"
list=$(oc with skills list --json --agent main)
expect "main does not see work's skill" "$(field 'd.skills.some(s=>s.name==="clawshift")' <<<"$list")" "false"

echo "== OpenClaw $V: skill remove"
expect "remove --agent" "$(cs --agent work skill remove)" "removed the skill from $STATE/workspace-work/skills/clawshift"
list=$(oc with skills list --json --agent work)
expect "gone after remove" "$(field 'd.skills.some(s=>s.name==="clawshift")' <<<"$list")" "false"
echo "== OpenClaw $V: its own installer and clawshift's agree"
oc without skills install "$ROOT/skill" --global >/dev/null
expect "after openclaw skills install --global" "$(cs skill install)" "skill already installed: $STATE/skills/clawshift"
cs skill remove >/dev/null
list=$(oc with skills list --json --agent main)
expect "gone after remove (openclaw-installed)" "$(field 'd.skills.some(s=>s.name==="clawshift")' <<<"$list")" "false"
echo "skill compat: all checks agree"
