//! `openspec completions`: the shell completion script, generated from the
//! same clap definition the binary parses with, so it never drifts, plus a
//! small addition per shell that asks the hidden `openspec __complete` for
//! the names only the repository knows: change ids, spec ids, host names
//! and artifact ids (dynamic completion).
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

/// The completion script for `shell`, for the binary named `openspec`:
/// clap's static script and, for bash, zsh and fish, the dynamic part.
pub fn script(shell: clap_complete::Shell) -> String {
    use clap_complete::Shell;
    let mut cmd = super::Cli::command();
    let mut buf = Vec::new();
    // Generating into memory cannot fail; writing stdout can (closed pipe), and is handled by the caller.
    clap_complete::generate(shell, &mut cmd, "openspec", &mut buf);
    let mut out = String::from_utf8_lossy(&buf).into_owned();
    out.push_str(match shell {
        Shell::Bash => BASH_DYNAMIC,
        Shell::Zsh => ZSH_DYNAMIC,
        Shell::Fish => FISH_DYNAMIC,
        _ => "",
    });
    out
}

/// bash: names from `openspec __complete` replace clap's answer (file
/// names, `[ITEM]` placeholders) where the command expects one.
const BASH_DYNAMIC: &str = r#"
# Names only the repository knows (change, spec, host and artifact ids).
_openspec_dynamic() {
    local cur="${COMP_WORDS[COMP_CWORD]}" names
    names="$(command openspec __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)"
    if [[ -n "$names" ]]; then
        local IFS=$'
'
        COMPREPLY=($(compgen -W "$names" -- "$cur"))
        return 0
    fi
    _openspec "$@"
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _openspec_dynamic -o nosort -o bashdefault -o default openspec
else
    complete -F _openspec_dynamic -o bashdefault -o default openspec
fi
"#;

/// zsh: names from `openspec __complete` where the command expects one,
/// clap's `_openspec` elsewhere.
const ZSH_DYNAMIC: &str = r#"
# Names only the repository knows (change, spec, host and artifact ids).
_openspec_dynamic() {
    local -a names
    names=(${(f)"$(command openspec __complete -- "${(@)words[2,CURRENT]}" 2>/dev/null)"})
    if (( ${#names} )); then
        compadd -a names
    else
        _openspec "$@"
    fi
}
compdef _openspec_dynamic openspec
"#;

/// fish: names from `openspec __complete`, offered beside clap's answers.
const FISH_DYNAMIC: &str = r#"
# Names only the repository knows (change, spec, host and artifact ids).
function __fish_openspec_dynamic
    command openspec __complete -- (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null
end
complete -c openspec -f -a '(__fish_openspec_dynamic)'
"#;

/// `openspec __complete -- <words…> <current>`: the words after `openspec`
/// on the line being completed, the last one the (possibly empty) word
/// under the cursor.
#[derive(clap::Args, Debug)]
pub struct CompleteArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    pub words: Vec<String>,
}

/// Print the names that fit the word under the cursor, one per line (none
/// where the command expects no name of the repository). Never fails: a
/// line it cannot read, or a repository it cannot open, gives no names.
pub fn run_complete(args: CompleteArgs, ctx: &Ctx) -> CmdResult {
    let words: Vec<&str> = args.words.iter().map(String::as_str).collect();
    let Some((cur, before)) = words.split_last() else {
        return Ok(Exit::Ok);
    };
    let want = wanted(before, cur);
    let mut names = names(want, before, ctx);
    let (prefix, typed) = match want {
        // `--hosts a,b,` completes the part after the last comma.
        Wanted::Hosts => match cur.rfind(',') {
            Some(i) => (&cur[..=i], &cur[i + 1..]),
            None => ("", *cur),
        },
        _ => ("", *cur),
    };
    // A host already in the list is not offered again.
    let listed: Vec<&str> = prefix.split(',').collect();
    names.retain(|n| n.starts_with(typed) && !listed.contains(&n.as_str()));
    names.sort();
    names.dedup();
    let mut out = String::new();
    for n in names {
        out.push_str(prefix);
        out.push_str(&n);
        out.push('\n');
    }
    write_stdout(out.as_bytes())?;
    Ok(Exit::Ok)
}

/// What the word under the cursor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Nothing,
    Changes,
    Specs,
    Items,
    Hosts,
    Artifacts,
}

/// Read the words before the cursor against the clap definition: the
/// subcommand path, whether the previous word is an option taking a value,
/// and how many positional arguments the command already has.
fn wanted(before: &[&str], cur: &str) -> Wanted {
    let mut cmd = super::Cli::command();
    cmd.build();
    let mut path: Vec<String> = Vec::new();
    let mut node = &cmd;
    let mut positionals = 0usize;
    let mut item_type: Option<&str> = None;
    let mut pending: Option<String> = None;
    for w in before {
        if let Some(flag) = pending.take() {
            if flag == "type" {
                item_type = Some(w);
            }
            continue;
        }
        if *w == "--" {
            continue;
        }
        if let Some(long) = w.strip_prefix("--") {
            if long.contains('=') {
                continue;
            }
            let takes = node
                .get_arguments()
                .chain(cmd.get_arguments())
                .find(|a| a.get_long() == Some(long))
                .is_some_and(|a| a.get_action().takes_values());
            if takes {
                pending = Some(long.to_string());
            }
            continue;
        }
        if let Some(short) = w.strip_prefix('-').filter(|s| s.chars().count() == 1) {
            let c = short.chars().next().unwrap_or_default();
            let arg = node
                .get_arguments()
                .chain(cmd.get_arguments())
                .find(|a| a.get_short() == Some(c));
            if let Some(a) = arg.filter(|a| a.get_action().takes_values()) {
                pending = Some(a.get_long().unwrap_or_default().to_string());
            }
            continue;
        }
        if w.starts_with('-') {
            continue;
        }
        if positionals == 0
            && let Some(sub) = node.find_subcommand(w)
        {
            path.push(sub.get_name().to_string());
            node = sub;
            continue;
        }
        positionals += 1;
    }
    if let Some(flag) = pending {
        return match flag.as_str() {
            "change" => Wanted::Changes,
            "host" | "hosts" => Wanted::Hosts,
            _ => Wanted::Nothing,
        };
    }
    if cur.starts_with('-') || positionals > 0 {
        return Wanted::Nothing;
    }
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    match path.as_slice() {
        ["show" | "validate"] => match item_type {
            Some("spec") => Wanted::Specs,
            Some("change") => Wanted::Changes,
            _ => Wanted::Items,
        },
        ["spec", "show" | "validate"] => Wanted::Specs,
        ["change", "show" | "validate"]
        | ["archive" | "impact" | "nixos-check" | "status" | "review" | "code-impl"] => {
            Wanted::Changes
        }
        ["instructions"] => Wanted::Artifacts,
        _ => Wanted::Nothing,
    }
}

/// The names of `want`, from the repository `--root` (in the words, else
/// the global flag, else the nearest) names.
fn names(want: Wanted, before: &[&str], ctx: &Ctx) -> Vec<String> {
    let flag = |name: &str| {
        before
            .iter()
            .position(|w| *w == name)
            .and_then(|i| before.get(i + 1))
            .map(std::path::PathBuf::from)
    };
    let mut ctx = ctx.clone();
    if let Some(r) = flag("--root") {
        ctx.root_flag = Some(r);
    }
    if let Some(f) = flag("--flake") {
        ctx.flake_flag = Some(f);
    }
    let repo = || {
        ctx.root()
            .ok()
            .map(|r| crate::spec::Repo::new(&r))
            .filter(|r| r.dir.is_dir())
    };
    let changes = || {
        repo()
            .and_then(|r| r.change_ids(false).ok())
            .unwrap_or_default()
    };
    let specs = || repo().and_then(|r| r.spec_ids().ok()).unwrap_or_default();
    match want {
        Wanted::Nothing => Vec::new(),
        Wanted::Changes => changes(),
        Wanted::Specs => specs(),
        Wanted::Items => changes().into_iter().chain(specs()).collect(),
        Wanted::Artifacts => crate::spec::schema::artifact_ids()
            .into_iter()
            .chain(["apply", "archive"])
            .map(str::to_string)
            .collect(),
        Wanted::Hosts => ctx
            .flake_dir()
            .ok()
            .and_then(|d| crate::flake::load_lazy(&d).ok())
            .map(|m| m.hosts.iter().map(|h| h.name.clone()).collect())
            .unwrap_or_default(),
    }
}

/// Write a generated document to stdout; a closed pipe is an environment error, not a panic.
pub(super) fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Failure::usage(format!("cannot write to stdout: {e}")).caused_by(e))
}
