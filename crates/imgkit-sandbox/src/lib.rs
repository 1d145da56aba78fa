//! C decoders of untrusted bytes, out of harm's way.
//!
//! A decoder written in C (libheif with libde265 and dav1d, for HEIC and AVIF) does not run in the
//! process that holds credentials, other users' images or the output files. It runs in a child process
//! started from the same executable, which reads the compressed bytes from a pipe, confines itself
//! (address-space, CPU-time, file-size and core-dump rlimits, then a seccomp allow-list that kills it on
//! any system call outside memory management, threads, and reading its pipe and writing its answer),
//! decodes, and writes the pixels back. The parent checks the answer against what the container promised
//! before allocating for it. A crash, a kill, a hang or garbage from the child is a [`SandboxError`],
//! never a crash of the caller.
//!
//! A program opts in by calling [`serve_if_child`] first thing in `main`: in the child that call decodes
//! and exits; in the parent it records that this executable serves the sandbox, which
//! [`Sandbox::current`] requires. Where the child cannot confine itself (no seccomp), it says so and
//! decodes nothing: [`SandboxError::Unavailable`].
//!
//! ```no_run
//! use imgkit_sandbox::{serve_if_child, Expect, Pixels, Sandbox};
//!
//! fn flat_grey(_data: &[u8], expect: Expect) -> Result<Pixels, String> {
//!     let len = expect.width as usize * expect.height as usize * 3;
//!     Ok(Pixels { width: expect.width, height: expect.height, channels: 3, data: vec![128; len] })
//! }
//!
//! fn main() {
//!     serve_if_child(&[("grey", flat_grey)]);
//!     let sandbox = Sandbox::current().expect("this program serves the sandbox");
//!     let expect = Expect { width: 4, height: 2, max_alloc: 1 << 20 };
//!     let pixels = sandbox.decode("grey", b"any bytes", expect).expect("decoded");
//!     assert_eq!(pixels.data.len(), 24);
//! }
//! ```
#![forbid(unsafe_code)]

mod child;
#[cfg(target_os = "linux")]
mod confine;
mod parent;
mod protocol;

pub use child::{serve_if_child, Decoder};
pub use parent::{Sandbox, SandboxError};
pub use protocol::{Expect, Pixels};
