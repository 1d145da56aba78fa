//! The child's side: read the request, confine, decode, answer, exit.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::protocol::{self, Answer, Expect, Pixels};

/// Set in the child's environment (which holds nothing else): this process is a sandbox child.
pub(crate) const CHILD_ENV: &str = "IMGKIT_SANDBOX_CHILD";

/// Set in the parent once `serve_if_child` has run: re-executing this program starts a child, not a
/// second copy of the program.
pub(crate) static SERVES: AtomicBool = AtomicBool::new(false);

/// A decoder the child may run: the compressed bytes and the promise they must keep, to pixels or the
/// reason it refuses. It runs confined: any system call outside the allow-list kills the process.
pub type Decoder = fn(&[u8], Expect) -> Result<Pixels, String>;

/// Call first thing in `main`. In a sandbox child (started by [`crate::Sandbox::decode`]) it reads the
/// request, confines the process, runs the named decoder from `decoders`, writes the answer and exits;
/// it never returns. Anywhere else it returns at once, having recorded that this executable serves the
/// sandbox.
pub fn serve_if_child(decoders: &[(&str, Decoder)]) {
    if std::env::var_os(CHILD_ENV).is_none() {
        SERVES.store(true, Ordering::Release);
        return;
    }
    // Exit codes only matter when there is no answer to write: the parent reports them.
    let code = match serve(decoders) {
        Ok(()) => 0,
        Err(_) => 3,
    };
    std::process::exit(code)
}

fn serve(decoders: &[(&str, Decoder)]) -> io::Result<()> {
    let request = protocol::read_request(&mut io::stdin().lock())?;
    let answer = match decoders.iter().find(|(name, _)| *name == request.decoder) {
        None => Answer::Refused(format!("no decoder named {:?}", request.decoder)),
        Some((_, decode)) => match confine(&request) {
            Err(why) => Answer::Unconfined(why),
            Ok(()) => match decode(&request.data, request.expect) {
                Ok(pixels) => Answer::Pixels(pixels),
                Err(why) => Answer::Refused(why),
            },
        },
    };
    let mut out = io::stdout().lock();
    protocol::write_answer(&mut out, &answer)?;
    out.flush()
}

#[cfg(target_os = "linux")]
fn confine(request: &protocol::Request) -> Result<(), String> {
    crate::confine::confine(request.rlimits)
}

#[cfg(not(target_os = "linux"))]
fn confine(_: &protocol::Request) -> Result<(), String> {
    Err("the sandbox needs Linux seccomp; this system has none".into())
}
