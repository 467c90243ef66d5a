#!/bin/sh
# Cargo runs this in place of rustc for clawshift's own crates (.cargo/config.toml,
# `build.rustc-workspace-wrapper`). It links the `clawshift` binary statically against
# glibc, as a static PIE, where that can be done: on Linux with glibc, when the C
# compiler finds glibc's static library (`libc.a`, in Debian's libc6-dev, Fedora's
# glibc-static). A run then maps no shared libraries and resolves no symbols before
# `main`: a switch is ~0.4 ms faster (docs/performance.md). Everything else is passed
# to rustc as it is; CLAWSHIFT_DYNAMIC_LINK=1 turns this off.
#
# Only the binary's own compilation gets the flag, as the last step that links it:
# given to every crate, `+crt-static` stops rustc from building the proc-macros
# (clap's and serde's derives) that the build needs.
rustc=$1
shift
case " $* " in
*" --crate-name clawshift "*" --crate-type bin "*) ;;
*) exec "$rustc" "$@" ;;
esac
if [ -n "${CLAWSHIFT_DYNAMIC_LINK:-}" ]; then
  exec "$rustc" "$@"
fi
# The target: `--target` when cargo was given one, else the compiler's host.
target=
prev=
for arg in "$@"; do
  case $prev in --target) target=$arg ;; esac
  case $arg in --target=*) target=${arg#--target=} ;; esac
  prev=$arg
done
if [ -z "$target" ]; then
  target=$("$rustc" -vV | sed -n 's/^host: //p')
fi
case $target in
*-linux-gnu*)
  # `-print-file-name` prints the bare name back when it finds no such file.
  case $("${CC:-cc}" -print-file-name=libc.a 2>/dev/null) in
  /*) exec "$rustc" "$@" -C target-feature=+crt-static ;;
  esac
  ;;
esac
exec "$rustc" "$@"
