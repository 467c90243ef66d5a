//! Renders errors for people: `error: <message>`, a `--> file:line:col` line, the
//! offending source line with a caret under the column, and the call chain.

use crate::error::{Error, ScriptError};
use crate::scripts;

/// Renders any error; `eval_text` is the snippet of `clawshift eval`, if any.
pub fn render(err: &Error, eval_text: Option<&str>) -> String {
    match err {
        Error::Script(e) => render_script(e, eval_text),
        other => crate::redact::mask(&format!("error: {other}\n")),
    }
}

pub fn render_script(e: &ScriptError, eval_text: Option<&str>) -> String {
    let mut out = format!("error: {}\n", e.message);
    // A refusal raised inside clawshift's own scripts (a bad flag, a bad input, a "no"
    // at a prompt) is the message and its fix: the stock script's source line would
    // only point at clawshift's code. Errors in the user's own code keep the source.
    if e.location
        .as_ref()
        .is_some_and(|at| at.source.starts_with("builtin:") || at.source.starts_with("std/"))
        && !e.compile
    {
        return crate::redact::mask(&out);
    }
    if let Some(at) = &e.location {
        let line_no = at.line.to_string();
        let pad = " ".repeat(line_no.len());
        out.push_str(&format!(
            "{pad}--> {}:{}:{}\n",
            at.source, at.line, at.column
        ));
        let text = scripts::source_text(&at.source, eval_text);
        if let Some(line) = text.as_deref().and_then(|t| t.lines().nth(at.line - 1)) {
            // Tabs would misplace the caret; show them as single spaces.
            let plain = line.replace('\t', " ");
            let line = crate::redact::source_line(&plain);
            // Masking changes lengths: the caret goes under the same code in the masked
            // line, found by masking the text before the column alone.
            let before: String = plain.chars().take(at.column.saturating_sub(1)).collect();
            let caret_at = crate::redact::source_line(&before)
                .chars()
                .count()
                .min(line.chars().count());
            out.push_str(&format!(
                "{pad} |\n{line_no} | {line}\n{pad} | {}^\n",
                " ".repeat(caret_at)
            ));
        }
    }
    for note in &e.notes {
        out.push_str(&format!("  = {note}\n"));
    }
    crate::redact::mask(&out)
}
