//! `openspec completions`: the shell completion script, generated from the
//! same clap definition the binary parses with, so it never drifts.
use std::io::Write;

use clap::CommandFactory;
use serde_json::json;

use super::{CmdResult, Ctx, Exit, Failure};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Shell
    pub shell: clap_complete::Shell,
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let script = script(args.shell);
    if ctx.json {
        ctx.print_json(&json!({"shell": args.shell.to_string(), "script": script}));
        return Ok(Exit::Ok);
    }
    write_stdout(script.as_bytes())?;
    Ok(Exit::Ok)
}

/// The completion script for `shell`, for the binary named `openspec`.
pub fn script(shell: clap_complete::Shell) -> String {
    let mut cmd = super::Cli::command();
    let mut buf = Vec::new();
    // Generating into memory cannot fail; writing stdout can (closed pipe), and is handled by the caller.
    clap_complete::generate(shell, &mut cmd, "openspec", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Write a generated document to stdout; a closed pipe is an environment error, not a panic.
pub(super) fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Failure::usage(format!("cannot write to stdout: {e}")).caused_by(e))
}
