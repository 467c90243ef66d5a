//! The Codex side of clawshift: log one more ChatGPT account in through the Codex CLI
//! without touching the user's own Codex home, and read the `auth.json` it writes.
//!
//! Why the care: `codex login` first revokes whatever refresh token its home holds, and
//! `codex logout` revokes server-side (reference `codex.md` §0). So the login runs in a
//! fresh private directory that is deleted afterwards, never logged out.

pub mod auth;
pub mod login;
mod signals;

pub use auth::Login;
pub use login::{LoginError, LoginOptions, login};
