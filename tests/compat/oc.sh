#!/usr/bin/env bash
# Run one real OpenClaw version, isolated in a sandbox dir, offline.
#
#   tests/compat/oc.sh VERSION SANDBOX [openclaw args...]
#     VERSION  2026.9.6 | 2026.5.28 | 2026.4.21 | main (= OC_MAIN_VERSION)
#     SANDBOX  fake HOME; the state dir is SANDBOX/.openclaw (created if missing)
#
# The child gets a clean environment:
#   env -i PATH=<node24>:/usr/bin:/bin HOME=$S OPENCLAW_STATE_DIR=$S/.openclaw TZ=UTC
#          npm_config_offline=true TMPDIR=$S/tmp [unshare -n] timeout $OC_TIMEOUT openclaw "$@"
# stdout/stderr/exit code are the CLI's own (124 = timeout); stdin is /dev/null.
#
# Knobs (environment of the caller):
#   OC_TIMEOUT=90          seconds before the CLI is killed
#   OC_NET=1               do not use `unshare -n` (default: use it when it works, i.e. as root)
#   OC_EXTRA_ENV="A=1 B=2" extra variables for the child (no spaces inside values)
#   OC_SHARED_COMPILE_CACHE=1  let Node keep its compile cache in $CACHE/compile-cache instead of
#                          $S/tmp (first run of a version in a fresh sandbox is then warm: ~1.5 s
#                          instead of 2-10 s)
#   CLAWSHIFT_COMPAT_CACHE as for install.sh (the env.sh written there is read here)
#
# Can also be sourced: `. tests/compat/oc.sh` defines oc_run VERSION SANDBOX ARGS... and
# oc_available VERSION (exit 0 when that version is installed).

_oc_load_env() {
  local cache=${CLAWSHIFT_COMPAT_CACHE:-${HOME:-/tmp}/.cache/clawshift-compat}
  if [ ! -f "$cache/env.sh" ]; then
    echo "oc.sh: $cache/env.sh missing; run tests/compat/install.sh first" >&2
    return 3
  fi
  # shellcheck disable=SC1091
  . "$cache/env.sh"
}

_oc_bin_for() { # version -> path of openclaw.mjs (empty if not installed)
  local v=$1
  [ "$v" = main ] && v=$OC_MAIN_VERSION
  local var="OC_$(echo "$v" | tr '.-' '__')"
  printf '%s' "${!var:-}"
}

oc_available() {
  _oc_load_env 2>/dev/null || return 1
  local b; b=$(_oc_bin_for "$1"); [ -n "$b" ] && [ -f "$b" ]
}

_OC_UNSHARE=
_oc_probe_unshare() {
  if [ -z "$_OC_UNSHARE" ]; then
    if [ -z "${OC_NET:-}" ] && unshare -n true 2>/dev/null; then _OC_UNSHARE=yes; else _OC_UNSHARE=no; fi
  fi
}

oc_run() { # version sandbox args...
  local v=$1 s=$2; shift 2
  _oc_load_env || return 3
  local bin; bin=$(_oc_bin_for "$v")
  if [ -z "$bin" ] || [ ! -f "$bin" ]; then echo "oc.sh: openclaw $v is not installed" >&2; return 3; fi
  mkdir -p "$s/.openclaw" "$s/tmp" || return 3
  s=$(cd "$s" && pwd -P)
  _oc_probe_unshare
  local -a pre=() extra=()
  [ "$_OC_UNSHARE" = yes ] && pre=(unshare -n)
  if [ -n "${OC_SHARED_COMPILE_CACHE:-}" ]; then
    mkdir -p "$CLAWSHIFT_COMPAT_CACHE/compile-cache"
    extra+=("NODE_COMPILE_CACHE=$CLAWSHIFT_COMPAT_CACHE/compile-cache")
  fi
  # shellcheck disable=SC2206
  [ -n "${OC_EXTRA_ENV:-}" ] && extra+=($OC_EXTRA_ENV)
  OC_CMD=(env -i PATH="$OC_NODE_DIR:/usr/bin:/bin" HOME="$s" OPENCLAW_STATE_DIR="$s/.openclaw" TZ=UTC
      npm_config_offline=true TMPDIR="$s/tmp" "${extra[@]}"
      "${pre[@]}" timeout --kill-after=5 "${OC_TIMEOUT:-90}" "$OC_NODE_BIN" "$bin" "$@")
  [ -n "${_OC_EXEC:-}" ] && exec "${OC_CMD[@]}" </dev/null
  "${OC_CMD[@]}" </dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  if [ $# -lt 2 ]; then
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
  fi
  _OC_EXEC=1 oc_run "$@"   # exec: the caller's $! is timeout's pid, so `kill $!` reaches openclaw
fi
