use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = clawshift::cli::Cli::parse();
    clawshift::main(cli)
}
