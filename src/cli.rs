//! The command line. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Keep an OpenClaw agent on a working model when its OpenAI Codex (ChatGPT) accounts hit
/// their usage limits. Workflows are Rhai scripts you can eject and edit.
#[derive(Debug, Parser)]
#[command(name = "clawshift", version, max_term_width = 100)]
pub struct Cli {
    /// Show what would change, change nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// Answer yes to confirmation prompts (needed when stdin is not a terminal).
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,

    /// OpenClaw agent id to act on [default: main].
    #[arg(long, global = true, value_name = "ID")]
    pub agent: Option<String>,

    /// OpenClaw state directory (default: $OPENCLAW_STATE_DIR or ~/.openclaw).
    #[arg(long, global = true, value_name = "DIR")]
    pub openclaw_dir: Option<PathBuf>,

    /// Stop any script after this many seconds [default: 60; add-profile: 900, time to sign in].
    #[arg(long, global = true, value_name = "SECS")]
    pub timeout: Option<u64>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run a stock or user script by name, or a .rhai file by path (your copy wins).
    Run {
        /// Script name (e.g. `switch`) or path to a .rhai file.
        script: String,
        /// Arguments, available to the script as ARGS.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run a one-off snippet; a non-() result is printed (maps and arrays as JSON).
    Eval {
        /// Rhai code, e.g. 'print(models_status().default_model)'.
        snippet: String,
    },
    /// Compile scripts without running them (default: every user and stock script).
    Check {
        /// Script names or paths.
        paths: Vec<String>,
    },
    /// List every function a script can call, with its signature and one-line doc.
    Functions {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the runs that changed files, newest last.
    History {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Restore every file a run changed, from its backups (default: the last run).
    Undo {
        /// Run id from `clawshift history`.
        id: Option<String>,
        /// Restore even if a file changed since that run.
        #[arg(long)]
        force: bool,
    },
    /// See and copy the stock scripts.
    #[command(subcommand)]
    Scripts(ScriptsCommand),
    /// Sign one more ChatGPT account in with Codex and add it to OpenClaw.
    ///
    /// The profile is `openai:<name>` (`openai-codex:<name>` on OpenClaw before 2026.6).
    /// Your own Codex login is never touched. Runs the add-profile script (your ejected copy wins).
    /// Re-running for the same account updates its tokens in place.
    AddProfile {
        /// Profile name: letters, digits, `-`, `_`, `.` and `@` (e.g. `alice`, `me@example.com`).
        name: String,
        /// Sign in with a one-time code typed on another device instead of a local browser
        /// (for SSH/headless machines; enable it in ChatGPT Settings → Security first).
        #[arg(long)]
        device_auth: bool,
        /// Import this Codex auth.json instead of signing in (never your live ~/.codex one).
        #[arg(long, value_name = "FILE")]
        from_auth_json: Option<PathBuf>,
        /// Allow one account under a second name, or a different account replacing an
        /// existing name's. Never allows a refresh token that is held elsewhere.
        #[arg(long)]
        force: bool,
        /// Start a new OpenClaw state dir when the one named (--openclaw-dir,
        /// $OPENCLAW_STATE_DIR or ~/.openclaw) does not exist; without it a missing dir
        /// is an error, not a new OpenClaw.
        #[arg(long)]
        create: bool,
    },
    /// Profiles, order, cooldowns, expiry, current and default model, layout and paths.
    Status {
        /// Print models_status() as JSON instead of the table.
        #[arg(long)]
        json: bool,
        /// Every agent OpenClaw knows, one after the other.
        #[arg(long)]
        all_agents: bool,
    },
    /// Move the agent to the best usable model and account; silent when nothing changes.
    ///
    /// Runs the `switch` script (your ejected copy wins) with these flags as ARGS.
    Switch {
        /// Also print the inputs, every candidate with the rule that accepted or rejected
        /// it, and the decision.
        #[arg(long)]
        explain: bool,
        /// Print the decision as one JSON object.
        #[arg(long)]
        json: bool,
        /// Run the policy over recorded status snapshots (*.json) in DIR with the clock
        /// of each, print the decisions, change nothing.
        #[arg(long, value_name = "DIR")]
        replay: Option<PathBuf>,
        /// Every agent OpenClaw knows, one after the other, each with its own state file.
        #[arg(long)]
        all_agents: bool,
    },
    /// The whole flow in a throw-away sandbox: needs neither OpenClaw nor Codex installed,
    /// changes nothing outside it.
    Demo,
    /// Try the switch policy on a simulated OpenClaw over days before cron runs it.
    ///
    /// Runs the current switch script (your ejected copy wins) every --every simulated
    /// minutes against a simulated OpenClaw 2026.9 in a temporary sandbox: the agent works
    /// in bursts, accounts fill their 5-hour and weekly windows and get OpenClaw's
    /// cooldowns, blocks and billing disables, tokens are refreshed on use. Prints a
    /// scorecard; the same seed gives the same output. Changes nothing outside the sandbox.
    /// Accounts and models come from your OpenClaw unless --accounts is given.
    Simulate {
        /// How many simulated days.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=365))]
        days: u32,
        /// Run the switch script every this many simulated minutes (cron's --every).
        #[arg(long, value_name = "MIN", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1440))]
        every: u32,
        /// Seed of the simulated work and events: the same seed, the same output.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Simulate this many ChatGPT (Codex) accounts instead of your OpenClaw's.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=50))]
        accounts: Option<u32>,
        /// With --accounts: also a Claude (Anthropic token) account and Opus as a model [default].
        #[arg(long, overrides_with = "no_claude")]
        claude: bool,
        /// With --accounts: no Claude account, Codex only.
        #[arg(long, overrides_with = "claude")]
        no_claude: bool,
        /// Run the script as if it said `const USAGE_MODE = true;` (its usage() readings
        /// come from the simulated accounts).
        #[arg(long)]
        usage_mode: bool,
        /// Events to add, comma-separated: billing (an account disabled for billing),
        /// revoke (an account's refresh token revoked), opus-cooldown (Opus rate limited
        /// for 3 hours).
        #[arg(long, value_name = "LIST", value_delimiter = ',')]
        events: Vec<String>,
        /// Print the scorecard as one JSON object.
        #[arg(long)]
        json: bool,
        /// Also print every decision and every OpenClaw event, one line each.
        #[arg(long)]
        trace: bool,
    },
    /// Schedule `clawshift switch` (user crontab or OpenClaw cron).
    Cron {
        /// print: show the entry; install: add or update it; remove: delete it.
        #[arg(value_enum)]
        action: crate::cron::Action,
        /// How often: minutes (1m-59m) or hours (1h-23h).
        #[arg(long, value_name = "INTERVAL", default_value = "10m")]
        every: String,
        /// Where the schedule lives.
        #[arg(long, value_enum, default_value = "crontab")]
        via: crate::cron::Via,
        /// Schedule `clawshift switch --all-agents`: one entry that keeps every agent
        /// OpenClaw knows at the time of each run.
        #[arg(long)]
        all_agents: bool,
    },
    /// Check OpenClaw's state and clawshift's files for problems, each with its fix.
    ///
    /// Layout and version, file modes, stale locks, the 2026.9 legacy-file blocker,
    /// refresh tokens or accounts held in several places, expiring profiles, agreement
    /// with `openclaw models status`. Exit 1 when any finding is an error.
    Doctor {
        /// Print the findings as a JSON array instead of one line each.
        #[arg(long)]
        json: bool,
        /// Every agent OpenClaw knows, one after the other.
        #[arg(long)]
        all_agents: bool,
    },
    /// Install or remove the OpenClaw skill that tells the agent how to use clawshift.
    ///
    /// Without --agent the skill goes to OpenClaw's shared skills dir (`<state>/skills`),
    /// seen by every agent; with --agent ID, to that agent's workspace `skills/`.
    #[command(subcommand)]
    Skill(SkillCommand),
    /// Print a shell completion script, e.g. `clawshift completions bash > ~/.local/share/bash-completion/completions/clawshift`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write a page per command into a directory.
    ///
    /// `clawshift man | man -l -` reads it; `clawshift man --out-dir
    /// ~/.local/share/man/man1` installs clawshift.1 and clawshift-<command>.1 for `man`.
    Man {
        /// Write clawshift.1 and one page per subcommand here instead of printing.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Remove what clawshift added: its cron entries, its skill, its own dirs.
    ///
    /// Never touches OpenClaw's or Codex's files: profiles you added stay in OpenClaw.
    /// `--dry-run` lists what would go; without --yes it asks first.
    Uninstall,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SkillCommand {
    /// Put the skill where OpenClaw looks for it (idempotent).
    Install,
    /// Remove the skill `skill install` put there.
    Remove,
    /// Print the skill's SKILL.md.
    Show,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ScriptsCommand {
    /// Show where each script name resolves (your file or the built-in copy).
    List,
    /// Copy stock scripts into your scripts dir for editing (default: all).
    Eject {
        /// Script names (e.g. `switch`).
        names: Vec<String>,
        /// Overwrite a copy you already have.
        #[arg(long)]
        force: bool,
    },
}

impl Command {
    /// True when `--all-agents` was given (`cron` schedules a switch that loops itself).
    pub fn wants_all_agents(&self) -> bool {
        self.all_agents()
            || matches!(
                self,
                Command::Cron {
                    all_agents: true,
                    ..
                }
            )
    }

    /// True when the command was asked to run once per OpenClaw agent.
    pub fn all_agents(&self) -> bool {
        matches!(
            self,
            Command::Status {
                all_agents: true,
                ..
            } | Command::Switch {
                all_agents: true,
                ..
            } | Command::Doctor {
                all_agents: true,
                ..
            }
        )
    }
}

impl Cli {
    /// The run's wall-clock limit: `--timeout`, else 60 s, or 900 s for `add-profile`,
    /// whose sign-in waits for a person (Codex's device code lives 15 minutes).
    pub fn timeout_secs(&self) -> u64 {
        self.timeout.unwrap_or(match self.command {
            Command::AddProfile { .. } => 900,
            Command::Simulate { .. } => 600,
            _ => 60,
        })
    }
}
