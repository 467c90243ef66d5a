//! A sandbox per test: a temp root holding HOME, CLAWSHIFT_HOME, the OpenClaw state
//! dir, a Codex home and a `bin/` for fake executables, and a command builder that
//! clears the environment so nothing of the developer's machine leaks in.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub const NOW: &str = "2026-11-25T12:00:00Z";

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

#[allow(dead_code)]
impl Sandbox {
    pub fn new() -> Sandbox {
        // The name ends in random letters and digits; one that happened to spell `eyJ`
        // (how every JWT starts) made a test that looks for leaked tokens in the output
        // fail on the sandbox's own path, so such a name is drawn again.
        let dir = loop {
            let dir = tempfile::Builder::new()
                .prefix("clawshift-test-")
                .tempdir()
                .expect("temp dir");
            if !dir.path().to_string_lossy().contains("eyJ") {
                break dir;
            }
        };
        let s = Sandbox { dir };
        for d in ["home", "clawshift", "openclaw", "codex", "bin"] {
            fs::create_dir_all(s.root().join(d)).expect("mkdir");
        }
        s
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
    pub fn home(&self) -> PathBuf {
        self.root().join("clawshift")
    }
    pub fn openclaw(&self) -> PathBuf {
        self.root().join("openclaw")
    }
    pub fn codex(&self) -> PathBuf {
        self.root().join("codex")
    }
    pub fn bin(&self) -> PathBuf {
        self.root().join("bin")
    }

    /// `clawshift` with a clean environment pointing into the sandbox.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("clawshift").expect("binary");
        c.env_clear()
            .env("HOME", self.root().join("home"))
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin().display()))
            .env("CLAWSHIFT_HOME", self.home())
            .env("CLAWSHIFT_NOW", NOW)
            .env("OPENCLAW_STATE_DIR", self.openclaw())
            .env("CODEX_HOME", self.codex())
            .env("LANG", "C.UTF-8")
            .current_dir(self.root());
        c
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.root().join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, text).expect("write");
        p
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.root().join(rel)).expect("read")
    }

    /// Installs an executable script into the sandbox's `bin/`.
    pub fn install_bin(&self, name: &str, text: &str) {
        let p = self.bin().join(name);
        fs::write(&p, text).expect("write bin");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    /// Copies a fixture directory from `tests/fixtures/<rel>` to `<root>/<to>`.
    pub fn copy_fixture(&self, rel: &str, to: &str) {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel);
        copy_dir(&src, &self.root().join(to));
    }
}

pub fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).expect("mkdir");
    for e in fs::read_dir(src).expect("read fixture dir") {
        let e = e.expect("entry");
        let to = dst.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            fs::copy(e.path(), &to).expect("copy");
        }
    }
}

pub fn mode(p: &Path) -> u32 {
    fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Every entry under `dir`, directories included, depth first; symlinks are listed,
/// not followed.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

/// Reports a part of a test that cannot run here (e.g. `mount` needs root): prints
/// `SKIPPED <what>: <why>` on stderr and appends that line to
/// `<target>/tmp/skipped-tests.txt`, so a run's skips can be counted. With
/// `CLAWSHIFT_NO_SKIPS=1` (CI) a skip is a failure instead.
pub fn skip(what: &str, why: &str) {
    let line = format!("SKIPPED {what}: {why}");
    assert!(
        !std::env::var("CLAWSHIFT_NO_SKIPS").is_ok_and(|v| !v.is_empty() && v != "0"),
        "{line} (CLAWSHIFT_NO_SKIPS is set)"
    );
    eprintln!("{line}");
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("skipped-tests.txt");
    if let Ok(mut f) = fs::OpenOptions::new().create(true).append(true).open(file) {
        let _ = std::io::Write::write_all(&mut f, format!("{line}\n").as_bytes());
    }
}

/// The built-in switch policy's text.
pub fn builtin_policy() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/policy.rhai"))
        .expect("stdlib/policy.rhai")
}
