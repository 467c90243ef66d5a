#!/bin/sh
# Checks the release binary against link/hot-symbols.txt: at least 90% of the functions
# the file lists must still exist (else it is stale: run tools/hot-symbols.sh), and they
# must sit together (their span at most 1.5 times their size), which they do only when
# build.rs's order reached the linker.
set -eu
cd "$(dirname "$0")/.."
bin=${1:-target/release/clawshift}
list=link/hot-symbols.txt
nm -S --defined-only "$bin" | awk '$3 ~ /^[tTwW]$/ {print $4, $1, $2}' | sort -k1,1 >"$bin.syms"
sort "$list" | join - "$bin.syms" | awk -v listed="$(wc -l <"$list")" '
function hex(s,  i, n) { n = 0; s = tolower(s); for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }
{ a = hex($2); z = hex($3); size += z; if (NR == 1 || a < lo) lo = a; if (a + z > hi) hi = a + z }
END {
  found = NR; span = hi - lo
  printf "hot symbols: %d of %d listed exist; %.0f KB of code spread over %.0f KB\n", found, listed, size / 1024, span / 1024
  if (found < listed * 0.9) { print "hot symbols: link/hot-symbols.txt is stale; run tools/hot-symbols.sh"; exit 1 }
  if (span > size * 1.5) { print "hot symbols: the functions are not together; build.rs did not pass the order to the linker"; exit 1 }
}'
rm -f "$bin.syms"
