//! `eprint(text)`: a line on stderr, for what a person should read but a pipe should not
//! get (plans, notes, warnings); stdout stays for results.

use std::io::Write;
use std::rc::Rc;

use rhai::Engine;

use super::def;
use crate::host::Host;

pub fn register(engine: &mut Engine, host: &Rc<Host>) {
    let host = host.clone();
    def(
        "eprint",
        &["text: String", "()"],
        "Writes one line to stderr (plans, notes, warnings), leaving stdout for results.\n\
         Example: `eprint(\"note: added openai/gpt-5.5 to the fallbacks\");`",
    )
    .register_into_engine(engine, move |text: &str| {
        crate::redact::learn_from_run_once(&host);
        // A closed stderr leaves nobody to tell.
        let _ = writeln!(std::io::stderr().lock(), "{}", crate::redact::mask(text));
    });
}
