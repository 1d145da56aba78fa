//! `imgkit`: batch-resize directory trees of untrusted images, and size the Lambda that does it. Glue
//! only: all image logic is in `imgkit`.

mod args;
mod batch;
mod budget;
mod inspect;
mod report;
mod sizing;
mod walk;
mod write;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Resize(resize) => {
            let stop = batch::install_interrupt_handler();
            resize.into_job().and_then(|job| batch::run(job, &stop))
        }
        args::Command::Sizing(sizing) => return sizing::run(sizing),
        args::Command::Probe(p) => {
            return match inspect::run(&p.files, imgkit::Limits::default(), p.json) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(err) => {
                    eprintln!("imgkit: {err:#}");
                    ExitCode::from(2)
                }
            };
        }
    };
    match result {
        // 130: the shell's convention for a run stopped by Ctrl-C.
        Ok(summary) if summary.interrupted => ExitCode::from(130),
        Ok(summary) if summary.all_ok() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(err) => {
            eprintln!("imgkit: {err:#}");
            ExitCode::from(2)
        }
    }
}
