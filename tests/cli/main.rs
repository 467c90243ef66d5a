//! Integration tests: the real `clawshift` binary in a sandbox per test.

mod support;

mod add_profile;
mod bad_input;
mod concurrency;
mod continuity;
mod crash;
mod docs;
mod doctor;
mod gateway;
mod install;
mod openclaw;
mod policy;
mod props;
mod races;
mod runtime;
mod sandbox;
mod secrets;
mod simulate;
mod switch;
mod unbounded;
mod usage;
