use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    clawshift::memory::tune_heap();
    let cli = clawshift::cli::Cli::parse();
    clawshift::main(cli)
}
