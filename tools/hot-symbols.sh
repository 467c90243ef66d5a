#!/bin/sh
# Rewrites link/hot-symbols.txt: every function of the release binary that the common
# runs execute (switch --dry-run, status --json, eval, at 100 and 1,000 profiles, before
# and after OpenClaw has run on the state, and the quiet run on the state a switch
# saved), as build.rs hands it to the linker. Run it
# after a change that moves work into new functions; needs valgrind (apt install
# valgrind), and OpenClaw from tests/compat for the "after" states.
set -eu
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo bench --bench compare -- --states "$work"
# After the bench, whose build of the binary carries the test hooks and other symbol
# names: the names must be those of `cargo build --release`.
cargo build --release
bin=$PWD/target/release/clawshift
for home in "$work"/n100 "$work"/n100-after "$work"/n1000 "$work"/n1000-after; do
    [ -d "$home" ] || continue
    for args in "--dry-run switch" "status --json" "status" "eval 1" switch "--dry-run switch"; do
        # shellcheck disable=SC2086
        env -i HOME="$home" PATH=/usr/bin:/bin OPENCLAW_STATE_DIR="$home/.openclaw" \
            CLAWSHIFT_HOME="$home/cs" CLAWSHIFT_NOW=2026-11-25T12:00:00Z \
            valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.%p" \
            "$bin" $args >/dev/null 2>&1
    done
done
# The names callgrind saw, kept where they are functions of this binary.
cat "$work"/cg.* | sed -n 's/^c\{0,1\}fn=([0-9]*) //p' | sort -u >"$work/seen"
nm --defined-only "$bin" | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort -u >"$work/defined"
comm -12 "$work/seen" "$work/defined" >link/hot-symbols.txt
echo "link/hot-symbols.txt: $(wc -l <link/hot-symbols.txt) functions"
