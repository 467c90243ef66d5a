//! Integration tests: the real `clawshift` binary in a sandbox per test.

mod support;

mod docs;
mod runtime;

mod openclaw;
