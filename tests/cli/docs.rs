//! `docs/scripting.md` must describe exactly the functions the binary registers, with
//! the same text, so the reference cannot drift from the code.

use std::collections::BTreeMap;

use crate::support::*;

fn documented() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scripting.md"))
        .expect("docs/scripting.md");
    let section = text
        .split("\n## Functions\n")
        .nth(1)
        .expect("a `## Functions` section");
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in section.lines() {
        if line.starts_with("## ") {
            break;
        }
        if let Some(sig) = line.strip_prefix("### `").and_then(|l| l.strip_suffix('`')) {
            current = Some(sig.to_string());
            out.insert(sig.to_string(), Vec::new());
        } else if let (Some(sig), false) = (&current, line.trim().is_empty()) {
            out.get_mut(sig)
                .expect("entry")
                .push(line.trim_end().to_string());
        }
    }
    out
}

#[test]
fn scripting_md_documents_every_function_with_its_exact_doc() {
    let s = Sandbox::new();
    let out = s.cmd().args(["functions", "--json"]).output().expect("run");
    assert!(out.status.success());
    let registered: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    let docs = documented();
    let mut problems = Vec::new();
    for f in &registered {
        let sig = f["signature"].as_str().expect("signature");
        let lines: Vec<String> = f["doc"]
            .as_str()
            .expect("doc")
            .lines()
            .map(str::to_string)
            .collect();
        match docs.get(sig) {
            None => problems.push(format!(
                "missing from docs/scripting.md:\n### `{sig}`\n\n{}\n",
                lines.join("  \n")
            )),
            Some(d) if *d != lines => problems.push(format!(
                "docs/scripting.md differs for `{sig}`; expected:\n{}\n",
                lines.join("  \n")
            )),
            Some(_) => {}
        }
    }
    for sig in docs.keys() {
        if !registered.iter().any(|f| f["signature"] == sig.as_str()) {
            problems.push(format!(
                "docs/scripting.md documents `{sig}`, which the binary does not register"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn functions_text_lists_signature_and_summary() {
    let s = Sandbox::new();
    let out = s.cmd().arg("functions").output().expect("run");
    assert!(out.status.success());
    assert!(stdout(&out).contains(
        "decode_jwt(token: String) -> Map\n    Decodes a JWT without checking its signature: `#{header, claims, exp, account_id, email, plan}`.\n"
    ));
}
