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
    let path = cmd.get_bin_name().unwrap_or(cmd.get_name()).to_string();
    let has_args = cmd.get_arguments().any(|a| !a.is_hide_set());
    let has_version = cmd.get_version().is_some() || cmd.get_long_version().is_some();
    let man = clap_mangen::Man::new(cmd);
    // clap_mangen's sections, with EXIT STATUS and EXAMPLES before VERSION.
    let mut roff = Vec::new();
    man.render_title(&mut roff)?;
    man.render_name_section(&mut roff)?;
    man.render_synopsis_section(&mut roff)?;
    man.render_description_section(&mut roff)?;
    if has_args {
        man.render_options_section(&mut roff)?;
    }
    if !subs.is_empty() {
        man.render_subcommands_section(&mut roff)?;
    }
    roff.extend_from_slice(exit_status().as_bytes());
    roff.extend_from_slice(examples_section(&path).as_bytes());
    if has_version {
        man.render_version_section(&mut roff)?;
    }
    pages.push(Page {
        file: man.get_filename(),
        roff: String::from_utf8_lossy(&roff).into_owned(),
    });
    for sub in subs {
        collect(sub, pages)?;
    }
    Ok(())
}

/// Text for roff: backslashes and hyphens escaped, no line starting with a
/// control character.
fn roff_text(s: &str) -> String {
    let t = s.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with(['.', '\'']) {
        format!("\\&{t}")
    } else {
        t
    }
}

/// The EXIT STATUS section: the codes every command shares (`cli::error`).
fn exit_status() -> String {
    let mut out = String::from(".SH \"EXIT STATUS\"\n");
    for (code, what) in [
        ("0", "Success."),
        (
            "1",
            "An item is invalid, an operation was refused (archive, review gates), a host failed to evaluate or build, or a prediction was missed.",
        ),
        (
            "2",
            "A usage or environment error: bad arguments, no repository root, no nix or git, an unreadable flake, or a command this openspec does not carry.",
        ),
    ] {
        out.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff_text(what)));
    }
    out.push_str(&format!(
        ".PP\n{}\n",
        roff_text(
            "With --json, exactly one JSON document is printed on stdout whatever the exit status."
        )
    ));
    out
}

/// The EXAMPLES section of the page for the command `path` (`openspec
/// impact`, `openspec spec list`).
fn examples_section(path: &str) -> String {
    let mut out = String::from(".SH EXAMPLES\n");
    let found = examples(path);
    let fallback = [(
        format!("{path} --help"),
        "Every option of this command, with its meaning.".to_string(),
    )];
    let list: Vec<(String, String)> = if found.is_empty() {
        fallback.to_vec()
    } else {
        found
            .iter()
            .map(|(c, w)| (c.to_string(), w.to_string()))
            .collect()
    };
    for (cmd, what) in list {
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff_text(&cmd),
            roff_text(&what)
        ));
    }
    out
}

/// Example command lines per command page.
fn examples(path: &str) -> &'static [(&'static str, &'static str)] {
    match path {
        "openspec" => &[
            (
                "openspec impact --base origin/main",
                "Hosts and modules a branch affects, with reasons.",
            ),
            (
                "openspec nixos-check add-vpn --jobs 4",
                "Evaluate and build the hosts change add-vpn affects, four at a time.",
            ),
            (
                "openspec validate --all --strict",
                "Check every change and spec; warnings fail too.",
            ),
            (
                "openspec archive add-vpn --yes",
                "Merge the change's deltas into the specs and archive it.",
            ),
        ],
        "openspec init" => &[(
            "openspec init",
            "Create openspec/ in the current repository.",
        )],
        "openspec new" => &[
            (
                "openspec new harden-ssh --kind security",
                "A security proposal with its required sections.",
            ),
            (
                "openspec new change add-vpn",
                "OpenSpec's form of the same command.",
            ),
        ],
        "openspec list" => &[
            ("openspec list", "Active changes with task progress."),
            (
                "openspec list --specs --json",
                "Specs with requirement counts, as JSON.",
            ),
        ],
        "openspec show" => &[
            (
                "openspec show add-vpn --json --deltas-only",
                "The deltas of change add-vpn.",
            ),
            (
                "openspec show add-vpn --diff",
                "Each MODIFIED requirement as a diff against the main spec.",
            ),
            (
                "openspec show networking --type spec --json -r 1",
                "The first requirement of spec networking.",
            ),
        ],
        "openspec view" => &[(
            "openspec view",
            "Changes, their progress and the specs at a glance.",
        )],
        "openspec validate" => &[
            (
                "openspec validate add-vpn --strict",
                "One change; warnings fail too.",
            ),
            (
                "openspec validate --all --json --report findings",
                "Only the items with errors or warnings, as JSON.",
            ),
        ],
        "openspec archive" => &[
            (
                "openspec archive add-vpn --yes",
                "Merge and archive without asking.",
            ),
            (
                "openspec archive docs-only --skip-specs --yes",
                "Archive without touching the specs.",
            ),
        ],
        "openspec nixos-check" => &[
            (
                "openspec nixos-check add-vpn",
                "Build the hosts the change affects.",
            ),
            (
                "openspec nixos-check --all-hosts --eval-only --json",
                "Evaluate every host, without building.",
            ),
        ],
        "openspec hosts" => &[(
            "openspec hosts --json",
            "Every host with its dependency files.",
        )],
        "openspec graph" => &[(
            "openspec graph --host yoga --format dot | dot -Tsvg > yoga.svg",
            "Draw one host's module graph.",
        )],
        "openspec impact" => &[
            (
                "openspec impact --base origin/main",
                "What a pull request affects.",
            ),
            (
                "openspec impact --files modules/ssh.nix --format github-matrix",
                "A CI matrix of the hosts one file reaches.",
            ),
            (
                "openspec impact add-vpn",
                "Declared and computed scope of a proposal.",
            ),
        ],
        "openspec completions" => &[
            (
                "source <(openspec completions bash)",
                "Completion in the current bash, change, spec and host names included.",
            ),
            (
                "openspec completions fish > ~/.config/fish/completions/openspec.fish",
                "Install for fish.",
            ),
        ],
        "openspec man" => &[(
            "openspec man --out-dir share/man/man1",
            "One page per command, for packagers.",
        )],
        "openspec spec" | "openspec spec list" => &[(
            "openspec spec list --long",
            "Spec ids with titles and requirement counts.",
        )],
        "openspec spec show" => &[(
            "openspec spec show networking --json -r 1",
            "The first requirement of spec networking.",
        )],
        "openspec spec validate" => &[(
            "openspec spec validate networking --strict",
            "One spec; warnings fail too.",
        )],
        "openspec change" | "openspec change list" => &[(
            "openspec change list --json",
            "Changes with delta and task counts.",
        )],
        "openspec change show" => &[(
            "openspec change show add-vpn --json --deltas-only",
            "The deltas of change add-vpn.",
        )],
        "openspec change validate" => &[(
            "openspec change validate add-vpn --json",
            "One change, as JSON.",
        )],
        "openspec update" => &[(
            "openspec update",
            "Refresh what openspec generated in this repository.",
        )],
        "openspec instructions" => &[
            (
                "openspec instructions proposal --change add-vpn --json",
                "How to write the proposal, with the kind's template.",
            ),
            (
                "openspec instructions apply --change add-vpn",
                "Context files, tasks and state for implementing.",
            ),
        ],
        "openspec schemas" => &[(
            "openspec schemas --json",
            "The workflow schema and its artifacts.",
        )],
        "openspec templates" => &[(
            "openspec templates --json",
            "The template file of each artifact.",
        )],
        "openspec context" => &[(
            "openspec context --json",
            "The OpenSpec root commands act on.",
        )],
        _ => &[],
    }
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
