//! `imgkit-corpus-gen <dir>` writes the corpus into `<dir>`;
//! `imgkit-corpus-gen --check <dir>` verifies an existing one.

use std::path::PathBuf;
use std::process::ExitCode;

fn run() -> imgkit_corpus_gen::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (check_only, dir) = match args.as_slice() {
        [dir] if !dir.starts_with('-') => (false, PathBuf::from(dir)),
        [flag, dir] if flag == "--check" => (true, PathBuf::from(dir)),
        _ => return Err("usage: imgkit-corpus-gen [--check] <corpus-dir>".into()),
    };
    if !check_only {
        let corpus = imgkit_corpus_gen::build()?;
        imgkit_corpus_gen::write(&dir, &corpus)?;
    }
    // Always verify what is on disk, so a generation run cannot silently produce a bad corpus.
    let s = imgkit_corpus_gen::check(&dir)?;
    println!(
        "{}: {} files ({} ok rows decoded), {} bytes total; animation: {} files ({} ok rows decoded frame by \
         frame), {} bytes",
        dir.display(),
        s.main.files,
        s.main.decoded,
        s.main.total_bytes,
        s.animation.files,
        s.animation.decoded,
        s.animation.total_bytes
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
