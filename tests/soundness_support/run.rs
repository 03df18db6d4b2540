//! Runs the openspec binary with a deadline: a hanging analysis must fail
//! the test with a message, not stall the suite.
use std::ffi::OsString;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Ran {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Each call gets this long (the target is milliseconds; debug builds on a busy 2-core machine are slower).
pub const DEADLINE: Duration = Duration::from_secs(60);

pub fn openspec(args: &[OsString]) -> Result<Ran, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let err = std::fs::File::create(&err_path).map_err(|e| e.to_string())?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_openspec"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run openspec: {e}"))?;
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "openspec {} did not finish within {}s",
                args.iter()
                    .map(|a| a.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" "),
                DEADLINE.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Ok(Ran {
        code: status.code(),
        stdout: std::fs::read(&out_path).map_err(|e| e.to_string())?,
        stderr: std::fs::read(&err_path).map_err(|e| e.to_string())?,
    })
}
