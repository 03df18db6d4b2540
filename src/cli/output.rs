//! What every command shares for printing: JSON or human output, colour only
//! on a terminal, messages on stderr.
use std::io::IsTerminal;
use std::path::PathBuf;

use serde_json::json;

use super::Cli;
use super::error::{Exit, Failure};

pub fn print_failure_json(f: &Failure) {
    let doc = f
        .json
        .clone()
        .unwrap_or_else(|| json!({"error": {"message": f.message, "exit_code": f.exit as u8}}));
    println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
}

/// Global settings every command reads.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub root_flag: Option<PathBuf>,
    pub flake_flag: Option<PathBuf>,
    pub json: bool,
    /// Colour on stdout: a terminal, no `--no-color`, no `NO_COLOR`.
    pub color: bool,
    /// Progress bars and spinners: stderr is a terminal and output is not JSON-only.
    pub progress: bool,
    pub quiet: bool,
    pub verbose: u8,
}

impl Ctx {
    pub fn new(cli: &Cli) -> Self {
        let no_color =
            cli.globals.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = !no_color && std::io::stdout().is_terminal();
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(!no_color && std::io::stderr().is_terminal());
        Ctx {
            root_flag: cli.globals.root.clone(),
            flake_flag: cli.globals.flake.clone(),
            json: cli.globals.json,
            color,
            progress: std::io::stderr().is_terminal() && !cli.globals.quiet,
            quiet: cli.globals.quiet,
            verbose: cli.globals.verbose,
        }
    }

    /// The repository root: `--root`, else the nearest ancestor of the current
    /// directory holding `openspec/` or `flake.nix`.
    pub fn root(&self) -> Result<PathBuf, Failure> {
        if let Some(r) = &self.root_flag {
            if !r.is_dir() {
                return Err(Failure::usage(format!(
                    "--root {}: not a directory; pass an existing repository directory",
                    r.display()
                )));
            }
            return Ok(absolute(r));
        }
        let cwd = std::env::current_dir().map_err(|e| {
            Failure::usage(format!("cannot read the current directory: {e}")).caused_by(e)
        })?;
        super::find_root(&cwd).ok_or_else(|| {
            Failure::usage(format!(
                "no repository root: neither {} nor any parent holds openspec/ or flake.nix; run `openspec init` or pass --root DIR",
                cwd.display()
            ))
        })
    }

    /// The flake directory: `--flake`, else the root.
    pub fn flake_dir(&self) -> Result<PathBuf, Failure> {
        match &self.flake_flag {
            Some(f) if f.is_dir() => Ok(absolute(f)),
            Some(f) => Err(Failure::usage(format!(
                "--flake {}: not a directory; pass the directory holding flake.nix",
                f.display()
            ))),
            None => self.root(),
        }
    }

    /// Print a JSON document on stdout, streamed (a `hosts --json` of a large
    /// flake is tens of megabytes; it is never built in memory whole).
    pub fn print_json(&self, doc: &impl serde::Serialize) {
        self.print_with(|out| serde_json::to_writer_pretty(out, doc).map_err(Into::into));
    }

    /// Print on stdout what `write` produces, then a newline.
    pub fn print_with(&self, write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) {
        use std::io::Write;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let written = write(&mut out)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush());
        if let Err(e) = written {
            eprintln!("error: cannot write the report: {e}");
        }
        crate::timing::phase("write the report");
    }

    /// Exit 1 after a report was printed: say why on stderr, in one line
    /// (under `--json` stdout holds only the report; stderr is free).
    pub fn refuse(&self, why: &str) -> Exit {
        self.error(why);
        Exit::Refused
    }

    pub fn error(&self, msg: &str) {
        eprintln!(
            "{} {msg}",
            console::style("error:").red().bold().for_stderr()
        );
    }

    pub fn warn(&self, msg: &str) {
        if !self.quiet {
            eprintln!(
                "{} {msg}",
                console::style("warning:").yellow().bold().for_stderr()
            );
        }
    }
}

fn absolute(p: &std::path::Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
