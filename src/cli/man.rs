//! `openspec man`: the man page in roff, generated from the clap definition.
//! On stdout by default (`openspec man | man -l -`); `--out-dir` writes one
//! page per command (openspec.1, openspec-impact.1, …) for packagers.
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use serde_json::json;

use super::{CmdResult, Ctx, Exit, Failure};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Write openspec.1 and one page per subcommand into DIR instead of printing openspec.1
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let pages = pages()
        .map_err(|e| Failure::usage(format!("cannot render the man page: {e}")).caused_by(e))?;
    let Some(dir) = args.out_dir else {
        let main = pages.first().map(|p| p.roff.as_str()).unwrap_or_default();
        if ctx.json {
            ctx.print_json(&json!({"file": "openspec.1", "roff": main}));
        } else {
            super::completions::write_stdout(main.as_bytes())?;
        }
        return Ok(Exit::Ok);
    };
    let written = write_pages(&dir, &pages)?;
    if ctx.json {
        ctx.print_json(&json!({"out_dir": dir, "written": written}));
    } else if !ctx.quiet {
        eprintln!("wrote {} man pages to {}", written.len(), dir.display());
    }
    Ok(Exit::Ok)
}

/// One rendered page: its file name (`openspec-impact.1`) and roff text.
pub struct Page {
    pub file: String,
    pub roff: String,
}

/// The top-level page first, then one per visible subcommand.
pub fn pages() -> std::io::Result<Vec<Page>> {
    let mut cmd = super::Cli::command().disable_help_subcommand(true);
    // build() gives subcommands their display names (openspec-impact), which name the pages.
    cmd.build();
    let mut pages = Vec::new();
    collect(cmd, &mut pages)?;
    Ok(pages)
}

fn collect(cmd: clap::Command, pages: &mut Vec<Page>) -> std::io::Result<()> {
    let subs: Vec<clap::Command> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    let man = clap_mangen::Man::new(cmd);
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    pages.push(Page {
        file: man.get_filename(),
        roff: String::from_utf8_lossy(&roff).into_owned(),
    });
    for sub in subs {
        collect(sub, pages)?;
    }
    Ok(())
}

fn write_pages(dir: &Path, pages: &[Page]) -> Result<Vec<String>, Failure> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Failure::usage(format!(
            "--out-dir {}: cannot create the directory: {e}; pass a writable directory",
            dir.display()
        ))
        .caused_by(e)
    })?;
    let mut written = Vec::new();
    for page in pages {
        let path = dir.join(&page.file);
        crate::fsutil::write_atomic(&path, page.roff.as_bytes()).map_err(|e| {
            Failure::usage(format!("{}: cannot write: {e}", path.display())).caused_by(e)
        })?;
        written.push(page.file.clone());
    }
    Ok(written)
}
