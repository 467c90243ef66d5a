//! Integration tests: the real `clawshift` binary in a sandbox per test.

mod support;

mod add_profile;
mod docs;
mod openclaw;
mod runtime;
mod switch;
mod usage;
