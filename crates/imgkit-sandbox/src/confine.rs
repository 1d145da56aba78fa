//! Confinement of the child, in the order it must happen: rlimits (memory, CPU, no files, no core
//! dumps), then a seccomp filter that allows only what decoding needs. Everything else (opening a file,
//! a socket, executing a program, signalling another process) kills the process with SIGSYS.

use std::collections::BTreeMap;

use rlimit::Resource;
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen as Len, SeccompCmpOp as Op, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

use crate::protocol::Rlimits;

pub(crate) fn confine(limits: Rlimits) -> Result<(), String> {
    let set = |what: &str, resource: Resource, soft: u64, hard: u64| {
        rlimit::setrlimit(resource, soft, hard).map_err(|e| format!("cannot limit {what}: {e}"))
    };
    // Never above a limit the parent already runs under (prlimit, a container): raising a hard limit
    // fails, and a tighter one is the tighter bound anyway.
    let (_, hard) =
        rlimit::getrlimit(Resource::AS).map_err(|e| format!("cannot read the address-space limit: {e}"))?;
    let address_space = limits.address_space.min(hard);
    set("address space", Resource::AS, address_space, address_space)?;
    // The soft limit sends SIGXCPU, the hard one SIGKILL a second later.
    set(
        "CPU time",
        Resource::CPU,
        limits.cpu_seconds,
        limits.cpu_seconds + 1,
    )?;
    set("file size", Resource::FSIZE, 0, 0)?;
    set("core dumps", Resource::CORE, 0, 0)?;
    let arch = target_arch()?;
    // Filters stack, and the strictest verdict wins: the first turns clone3 (whose flags seccomp cannot
    // read) into ENOSYS so that glibc falls back to clone, whose flags the second filter checks.
    let no_clone3 = filter(
        BTreeMap::from([(libc::SYS_clone3, vec![])]),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        arch,
    )?;
    let allow_list = filter(allowed()?, SeccompAction::KillProcess, SeccompAction::Allow, arch)?;
    for program in [&no_clone3, &allow_list] {
        seccompiler::apply_filter(program).map_err(|e| format!("seccomp refused the filter: {e}"))?;
    }
    Ok(())
}

fn target_arch() -> Result<TargetArch, String> {
    if cfg!(target_arch = "x86_64") {
        Ok(TargetArch::x86_64)
    } else if cfg!(target_arch = "aarch64") {
        Ok(TargetArch::aarch64)
    } else {
        Err("the seccomp allow-list covers x86-64 and aarch64 only".into())
    }
}

fn filter(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    mismatch: SeccompAction,
    matched: SeccompAction,
    arch: TargetArch,
) -> Result<BpfProgram, String> {
    SeccompFilter::new(rules, mismatch, matched, arch)
        .and_then(BpfProgram::try_from)
        .map_err(|e| format!("cannot build the seccomp filter: {e}"))
}

/// The system calls a decoder may make, some only with the arguments given.
fn allowed() -> Result<BTreeMap<i64, Vec<SeccompRule>>, String> {
    let rule = |conditions: Vec<SeccompCondition>| {
        SeccompRule::new(conditions).map_err(|e| format!("bad seccomp rule: {e}"))
    };
    let arg = |index: u8, op: Op, value: u64| {
        SeccompCondition::new(index, Len::Qword, op, value).map_err(|e| format!("bad seccomp condition: {e}"))
    };
    let no_exec = || rule(vec![arg(2, Op::MaskedEq(libc::PROT_EXEC as u64), 0)?]);
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = [
        // Memory.
        libc::SYS_brk,
        libc::SYS_munmap,
        libc::SYS_mremap,
        libc::SYS_madvise,
        // Threads a decoder starts (clone is checked below) and their synchronisation.
        libc::SYS_clone3,
        libc::SYS_futex,
        libc::SYS_set_robust_list,
        libc::SYS_rseq,
        libc::SYS_sched_yield,
        libc::SYS_sched_getaffinity,
        libc::SYS_gettid,
        libc::SYS_getpid,
        libc::SYS_nanosleep,
        libc::SYS_clock_nanosleep,
        libc::SYS_clock_gettime,
        libc::SYS_getrandom,
        // Signals to itself: abort() on a failed allocation, stack guards.
        libc::SYS_rt_sigprocmask,
        libc::SYS_rt_sigaction,
        libc::SYS_rt_sigreturn,
        libc::SYS_sigaltstack,
        libc::SYS_tgkill,
        libc::SYS_close,
        libc::SYS_exit,
        libc::SYS_exit_group,
    ]
    .into_iter()
    .map(|call| (call, vec![]))
    .collect();
    // Mapped memory is never executable.
    rules.insert(libc::SYS_mmap, vec![no_exec()?]);
    rules.insert(libc::SYS_mprotect, vec![no_exec()?]);
    // Its pipes only: the request on 0, the answer on 1, diagnostics on 2.
    rules.insert(libc::SYS_read, vec![rule(vec![arg(0, Op::Eq, 0)?])?]);
    rules.insert(
        libc::SYS_write,
        vec![rule(vec![arg(0, Op::Eq, 1)?])?, rule(vec![arg(0, Op::Eq, 2)?])?],
    );
    // Threads, never processes.
    let thread = libc::CLONE_THREAD as u64;
    rules.insert(
        libc::SYS_clone,
        vec![rule(vec![arg(0, Op::MaskedEq(thread), thread)?])?],
    );
    // Naming its own threads (dav1d does).
    rules.insert(
        libc::SYS_prctl,
        vec![rule(vec![arg(0, Op::Eq, libc::PR_SET_NAME as u64)?])?],
    );
    Ok(rules)
}
