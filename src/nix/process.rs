//! Child processes we can always stop: each runs in its own process group,
//! is polled rather than blocked on, and on a timeout or a stop request gets
//! SIGTERM (Nix then kills its builders, which run in their own sessions),
//! then SIGKILL for whatever is left in the group. Every child is reaped.
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, kill_process_group, waitid};

/// How long Nix gets to clean up after SIGTERM before SIGKILL.
const GRACE: Duration = Duration::from_secs(5);

/// How a watched child ended. In every case it has been reaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It exited by itself with this status.
    Exited(ExitStatus),
    /// The deadline passed; its group got SIGTERM, then SIGKILL.
    TimedOut,
    /// A stop flag was set; its group got SIGTERM, then SIGKILL.
    Stopped,
}

/// Start `cmd` as the leader of a new process group, stdin from `/dev/null`.
/// Errors: the spawn's own `io::Error`.
pub fn spawn_group(mut cmd: Command, stdout: Stdio, stderr: Stdio) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    cmd.spawn()
}

/// Run `cmd` in a new process group until it exits, `deadline` passes or any
/// of `stop` is set. The child is polled with a back-off from 1 ms to 20 ms.
/// On a deadline or stop, the group gets SIGTERM, up to 5 s to exit, then
/// SIGKILL (see [`terminate_group`]); the stop flags win when both apply.
///
/// Errors: the `io::Error` of spawning or of polling the child.
pub fn run_watched(
    cmd: Command,
    stdout: Stdio,
    stderr: Stdio,
    deadline: Option<Instant>,
    stop: &[&AtomicBool],
) -> std::io::Result<Outcome> {
    let mut child = spawn_group(cmd, stdout, stderr)?;
    let mut delay = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Outcome::Exited(status));
        }
        let stopped = stop.iter().any(|f| f.load(Ordering::SeqCst));
        let timed_out = deadline.is_some_and(|d| Instant::now() >= d);
        if stopped || timed_out {
            terminate_group(&mut child);
            return Ok(if stopped {
                Outcome::Stopped
            } else {
                Outcome::TimedOut
            });
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(Duration::from_millis(20));
    }
}

/// True once the child has exited; it stays a zombie (its pid, and so its
/// process group id, cannot be reused) until `wait` reaps it.
fn exited_unreaped(pid: Pid) -> bool {
    let opts = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    !matches!(waitid(WaitId::Pid(pid), opts), Ok(None))
}

/// Stop the child's whole process group and reap the child: SIGTERM to the
/// group, up to 5 s for the leader to exit, then SIGKILL to the group.
/// Signal and wait failures are ignored (the child may already be gone).
pub fn terminate_group(child: &mut Child) {
    let pid = Pid::from_child(child);
    let _ = kill_process_group(pid, Signal::TERM);
    let until = Instant::now() + GRACE;
    while !exited_unreaped(pid) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    // The leader is gone (or ignored us); anything left in its group goes now,
    // while the unreaped leader still pins the group id.
    let _ = kill_process_group(pid, Signal::KILL);
    let _ = child.wait();
}

/// Adopt orphaned descendants (Linux): Nix starts each builder in its own
/// session, so a builder whose Nix process died before killing it would be
/// out of our reach; as a subreaper we become its parent instead of init.
/// Process-wide: only a command that owns the whole process calls this.
pub fn adopt_orphans() {
    let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
}

/// Our children: every `/proc/<pid>/stat` whose `ppid` field is our pid.
fn children() -> Vec<Pid> {
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let pid: i32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // The command name may hold spaces; the fields after it do not.
            let after = stat.rsplit_once(')')?.1;
            let ppid: i32 = after.split_whitespace().nth(1)?.parse().ok()?;
            (ppid == me).then(|| Pid::from_raw(pid)).flatten()
        })
        .collect()
}

/// Kill and reap every child still around once all our `Child` handles were
/// waited for: orphans adopted through `adopt_orphans`, with their groups.
/// Only call this when no other child of ours is meant to be running.
pub fn sweep_orphans() {
    for _ in 0..10 {
        let left = children();
        if left.is_empty() {
            return;
        }
        for pid in &left {
            let _ = kill_process_group(*pid, Signal::KILL);
            let _ = rustix::process::kill_process(*pid, Signal::KILL);
        }
        for pid in left {
            let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
        }
    }
}
