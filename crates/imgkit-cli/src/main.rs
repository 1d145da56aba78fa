//! `imgkit`: batch-resize directory trees of untrusted images. Glue only: all image logic is in `imgkit`.

mod args;
mod batch;
mod walk;
mod write;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Resize(resize) => resize.into_job().and_then(batch::run),
    };
    match result {
        Ok(summary) if summary.all_ok() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(err) => {
            eprintln!("imgkit: {err:#}");
            ExitCode::from(2)
        }
    }
}
