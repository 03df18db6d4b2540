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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Exited(ExitStatus),
    TimedOut,
    Stopped,
}

/// Start `cmd` as the leader of a new process group.
pub fn spawn_group(mut cmd: Command, stdout: Stdio, stderr: Stdio) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    cmd.spawn()
}

/// Run `cmd` in a new process group until it exits, `deadline` passes or any
/// of `stop` is set.
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

/// Stop the child's whole process group and reap the child.
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
