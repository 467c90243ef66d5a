//! Asks the linker to place the functions an ordinary run executes next to each other
//! (`link/hot-symbols.txt`, written by `tools/hot-symbols.sh`). The kernel maps a
//! binary's code 64 KB around each page a run touches, so scattered hot functions made
//! most of the 5.5 MB of code resident; packed together, a switch at 100 profiles
//! peaks at about 6.5 MB instead of 9.4 MB (docs/performance.md).
//!
//! Only `lld` reads an ordering file, and a stale one costs nothing but the gain: a
//! symbol it names that no longer exists is skipped silently. So the file is passed
//! only where the linker is Rust's own `lld` (the default on x86_64 Linux since Rust
//! 1.90) and nobody chose another one: `tools/cc-static.sh`, which .cargo/config.toml
//! sets, passes rustc's line on to `cc`, lld flags and all.

use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=link/hot-symbols.txt");
    println!("cargo:rerun-if-env-changed=CLAWSHIFT_NO_SYMBOL_ORDER");
    // Read by tools/cc-static.sh, which Cargo does not know of: relinked when it changes.
    println!("cargo:rerun-if-env-changed=CLAWSHIFT_DYNAMIC_LINK");
    let var = |k: &str| env::var(k).unwrap_or_default();
    let default_lld = var("TARGET") == "x86_64-unknown-linux-gnu"
        && env::var("RUSTC_LINKER").map_or(true, |l| l.ends_with("/tools/cc-static.sh"))
        && !var("CARGO_ENCODED_RUSTFLAGS").contains("link")
        && rustc_minor().is_some_and(|m| m >= 90);
    if var("PROFILE") != "release"
        || !default_lld
        || env::var_os("CLAWSHIFT_NO_SYMBOL_ORDER").is_some()
    {
        return;
    }
    let file = format!("{}/link/hot-symbols.txt", var("CARGO_MANIFEST_DIR"));
    println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={file}");
    println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
}

/// The minor version of the compiler building this (`rustc 1.95.0 …` gives 95).
fn rustc_minor() -> Option<u32> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("-V").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    text.split_whitespace()
        .nth(1)?
        .split('.')
        .nth(1)?
        .parse()
        .ok()
}
