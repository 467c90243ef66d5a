#!/bin/sh
# Cargo runs this as the linker on x86_64 Linux (.cargo/config.toml). It links the
# `clawshift` executable statically against glibc, as a static PIE, when the C compiler
# finds glibc's static library (`libc.a`: Debian's libc6-dev, Fedora's glibc-static). A
# run then maps no shared libraries and binds no symbols before `main`, which saves about
# 0.4 ms of a 1,000-profile switch (docs/performance.md). Everything else, and everything when
# CLAWSHIFT_DYNAMIC_LINK is set, is linked by `cc` exactly as rustc asked.
#
# A linker, unlike a rustc wrapper, is not part of the crates' metadata hash: the
# functions' symbol names, which link/hot-symbols.txt lists, are the same in every
# checkout.
cc=${CC:-cc}
out=
prev=
for arg in "$@"; do
  [ "$prev" = -o ] && out=$arg
  prev=$arg
done
case ${out##*/} in
clawshift-*) ;;
*) exec "$cc" "$@" ;;
esac
case " $* " in
*" -shared "*) exec "$cc" "$@" ;;
esac
if [ -n "${CLAWSHIFT_DYNAMIC_LINK:-}" ]; then
  exec "$cc" "$@"
fi
# `-print-file-name` prints the bare name back when it finds no such file.
case $("$cc" -print-file-name=libc.a 2>/dev/null) in
/*) ;;
*) exec "$cc" "$@" ;;
esac
# rustc's line for a dynamic PIE, turned into a static one: the libraries std asks for
# (`-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc`) are taken from their archives, and
# libgcc_s's unwinder from libgcc_eh, its static counterpart.
for arg in "$@"; do
  shift
  case $arg in
  -pie) set -- "$@" -static-pie ;;
  -Wl,-Bdynamic) set -- "$@" -Wl,-Bstatic ;;
  -lgcc_s) set -- "$@" -lgcc_eh ;;
  *) set -- "$@" "$arg" ;;
  esac
done
exec "$cc" "$@"
