//! `imgkit`: batch-resize directory trees of untrusted images, and size the Lambda that does it. Glue
//! only: all image logic is in `imgkit`.

mod args;
mod probe;
mod resize;
mod sizing;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // In the decoding sandbox's child (HEIC, AVIF) this decodes and exits.
    imgkit::serve_sandbox_if_child();
    keep_image_buffers_out_of_arenas();
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Resize(resize) => {
            let stop = resize::install_interrupt_handler();
            resize.into_job().and_then(|job| resize::run(job, &stop))
        }
        args::Command::Sizing(sizing) => return sizing::run(sizing),
        args::Command::Probe(p) => {
            return match probe::run(&p.files, imgkit::Limits::default(), p.json) {
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

/// glibc raises its mmap threshold (up to 32 MiB) every time a large mapped block is freed; from then on
/// image-sized buffers come from per-thread arenas, which keep the memory after it is freed. With several
/// workers that pushed peak RSS far past `--max-memory`. A fixed threshold keeps every buffer of 1 MiB or
/// more in a mapping of its own, given back to the kernel when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn keep_image_buffers_out_of_arenas() {
    // SAFETY: mallopt only tunes the allocator; it is called first thing, before any other thread
    // exists. A failure (return 0) leaves glibc's defaults, which is safe, so it is ignored.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_image_buffers_out_of_arenas() {}
