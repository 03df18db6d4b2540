//! Which of the process's categories a change falls in ("When to use
//! OpenSpec" and the three phases), computed from the changed files and
//! their syntax at the base and at the head, each finding with the file,
//! line and attribute path that triggered it.
//!
//! Only the changed files are read, on both sides (`facts`); definitions
//! and option declarations are compared over all of them together, so a
//! module moved from one file to another changes nothing, and a comment or
//! a reformat changes nothing. The triggers:
//!
//! | category | triggered by |
//! |---|---|
//! | `architecture` | a host added, removed or moved to another folder; a module list of flake.nix (a host's `modules`) or of a helper changed; a module's `imports` changed (not a host's own file's: that is host configuration); a folder of modules added or removed |
//! | `breaking` | an option declaration removed or renamed; a host removed; a flake input removed or fetched from elsewhere (flake.nix `inputs`, the lock's `original`); `system.stateVersion` changed |
//! | `security-model` | a definition under `networking.firewall`, `networking.nftables`, `services.openssh`, `services.fail2ban`, `security`, `users.users.*` groups, authorized keys and passwords, `users.groups.*.members`, `users.mutableUsers`, `sops`, `age`, `services.onepassword-secrets`, `programs._1password(-gui)`, `boot.kernelParams`, `nix.settings.trusted-users`/`allowed-users`; secrets tooling (sops, agenix, opnix, 1Password) added to or removed from a module list or the inputs; a key or secret file (`.pub`, `.age`, `secrets.yaml`, `.sops.yaml`) changed |
//! | `performance` | a definition under `nix.settings`, `nix.gc`, `nix.optimise`, `nix.buildMachines`, `nix.distributedBuilds`, `boot.kernelPackages`, `boot.kernel.sysctl`, `powerManagement`, `zramSwap`, `services.tlp`, `services.thermald`, `services.auto-cpufreq`, `services.power-profiles-daemon`, `hardware.cpu` |
//! | `new-capability` | a new module file (not a move of a deleted one, not a host's own file); a new flake input; a new host |
//! | `hardware` (phase 1) | a code change to a hardware, disko or facter file (a name starting with `hardware` or `disko`, containing `facter`, or in a `hardware` folder); a definition under `hardware`, `fileSystems`, `swapDevices`, `disko`, `facter`, the kernel module lists |
//! | `module-interface` (phase 2) | an option declaration added, changed, removed or renamed |
//! | `host-configuration` (phase 3) | a code change to a file in a host's folder (the folder of a file the host's entry names, when it is under `hosts/`, `machines/` or `systems/` or named after the host); a host's own attribute in flake.nix changed; a host added or removed |
//!
//! Without a base (files given by hand) nothing can be compared: every
//! definition and declaration in a changed file counts, and what needs both
//! sides (added, removed, renamed, moved) is not reported.
//! A file that does not parse is judged by its path.
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::flake::FlakeModel;

pub mod facts;

use facts::{Facts, Item};

/// Every category, in the order the process lists them.
pub const CATEGORIES: [&str; 8] = [
    "architecture",
    "breaking",
    "security-model",
    "performance",
    "new-capability",
    "hardware",
    "module-interface",
    "host-configuration",
];

/// What put a change in a category.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// One of [`CATEGORIES`].
    pub category: &'static str,
    /// The repository path of the file.
    pub file: String,
    /// The 1-based line on `side`; `null` for a file judged whole.
    pub line: Option<u32>,
    /// The attribute path (`services.openssh.settings.PasswordAuthentication`,
    /// `inputs.nixpkgs.url`, `nixosConfigurations.yoga`); `null` for a file
    /// judged whole.
    pub attr: Option<String>,
    /// `base` when what triggered is only in the base (a removal), else `head`.
    pub side: &'static str,
    /// What changed, in words.
    pub detail: String,
    /// Findings of one group in one file are shown as one.
    #[serde(skip)]
    group: String,
}

/// The sorted, distinct category names of `findings`.
pub fn names(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| f.category.to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// A definition rule: a definition at or below `pattern` (`*` matches any
/// name) puts the change in `category`.
struct Rule {
    category: &'static str,
    pattern: &'static str,
    what: &'static str,
}

const fn rule(category: &'static str, pattern: &'static str, what: &'static str) -> Rule {
    Rule {
        category,
        pattern,
        what,
    }
}

const SECURITY: &str = "security-model";
const PERFORMANCE: &str = "performance";
const HARDWARE: &str = "hardware";

const RULES: &[Rule] = &[
    rule(SECURITY, "networking.firewall", "firewall"),
    rule(SECURITY, "networking.nftables", "firewall"),
    rule(SECURITY, "services.openssh", "SSH server"),
    rule(SECURITY, "services.fail2ban", "intrusion blocking"),
    rule(SECURITY, "security", "security settings"),
    rule(SECURITY, "users.users.*.extraGroups", "user groups"),
    rule(SECURITY, "users.users.*.group", "user groups"),
    rule(
        SECURITY,
        "users.users.*.openssh.authorizedKeys",
        "authorized keys",
    ),
    rule(SECURITY, "users.users.*.hashedPassword", "user passwords"),
    rule(
        SECURITY,
        "users.users.*.hashedPasswordFile",
        "user passwords",
    ),
    rule(SECURITY, "users.users.*.password", "user passwords"),
    rule(SECURITY, "users.users.*.passwordFile", "user passwords"),
    rule(SECURITY, "users.users.*.initialPassword", "user passwords"),
    rule(
        SECURITY,
        "users.users.*.initialHashedPassword",
        "user passwords",
    ),
    rule(SECURITY, "users.groups.*.members", "user groups"),
    rule(SECURITY, "users.mutableUsers", "user accounts"),
    rule(SECURITY, "sops", "secrets (sops-nix)"),
    rule(SECURITY, "age", "secrets (agenix)"),
    rule(SECURITY, "services.onepassword-secrets", "secrets (opnix)"),
    rule(SECURITY, "programs._1password", "1Password"),
    rule(SECURITY, "programs._1password-gui", "1Password"),
    rule(
        SECURITY,
        "systemd.services.*polkit*",
        "authentication agents",
    ),
    rule(
        SECURITY,
        "systemd.user.services.*polkit*",
        "authentication agents",
    ),
    rule(SECURITY, "boot.kernelParams", "kernel parameters"),
    rule(SECURITY, "nix.settings.trusted-users", "Nix daemon users"),
    rule(SECURITY, "nix.settings.allowed-users", "Nix daemon users"),
    rule("breaking", "system.stateVersion", "state version"),
    rule(PERFORMANCE, "nix.settings", "Nix settings"),
    rule(PERFORMANCE, "nix.gc", "Nix store upkeep"),
    rule(PERFORMANCE, "nix.optimise", "Nix store upkeep"),
    rule(PERFORMANCE, "nix.buildMachines", "remote builds"),
    rule(PERFORMANCE, "nix.distributedBuilds", "remote builds"),
    rule(PERFORMANCE, "boot.kernelPackages", "kernel"),
    rule(PERFORMANCE, "boot.kernel.sysctl", "kernel tuning"),
    rule(PERFORMANCE, "powerManagement", "power management"),
    rule(PERFORMANCE, "zramSwap", "zram swap"),
    rule(PERFORMANCE, "services.tlp", "power tuning"),
    rule(PERFORMANCE, "services.thermald", "power tuning"),
    rule(PERFORMANCE, "services.auto-cpufreq", "power tuning"),
    rule(
        PERFORMANCE,
        "services.power-profiles-daemon",
        "power tuning",
    ),
    rule(PERFORMANCE, "hardware.cpu", "CPU tuning"),
    rule(HARDWARE, "hardware", "hardware settings"),
    rule(HARDWARE, "fileSystems", "file systems"),
    rule(HARDWARE, "swapDevices", "file systems"),
    rule(HARDWARE, "disko", "disk layout"),
    rule(HARDWARE, "facter", "hardware report"),
    rule(
        HARDWARE,
        "boot.initrd.availableKernelModules",
        "kernel modules",
    ),
    rule(HARDWARE, "boot.initrd.kernelModules", "kernel modules"),
    rule(HARDWARE, "boot.kernelModules", "kernel modules"),
    rule(HARDWARE, "boot.extraModulePackages", "kernel modules"),
];

/// Names that mark secrets tooling in a module list entry or an input.
const SECRETS_TOOLING: &[&str] = &["sops", "agenix", "opnix", "onepassword", "1password"];

/// Folder names under which a host's own files sit.
const HOST_FOLDERS: &[&str] = &["hosts", "machines", "systems"];

/// Whether a definition at `path` can define something at or below
/// `pattern`: one is a prefix of the other (a definition above the
/// pattern has a value the syntax cannot see into). In a pattern, `*`
/// matches any name and `*x*` any name containing `x`.
fn matches(path: &[String], pattern: &str) -> bool {
    if path.is_empty() {
        return false;
    }
    path.iter().zip(pattern.split('.')).all(|(a, b)| {
        a == b
            || a == "*"
            || b == "*"
            || b.strip_prefix('*')
                .and_then(|x| x.strip_suffix('*'))
                .is_some_and(|part| !part.is_empty() && a.contains(part))
    })
}

/// One version of a changed file.
enum Version {
    /// No base to compare with.
    Unknown,
    /// Not on this side.
    Absent,
    /// Not a `.nix` file.
    Data,
    /// A `.nix` file that does not parse.
    Unreadable,
    /// A `.nix` file, read.
    Nix(Box<Facts>),
}

impl Version {
    fn of(model: Option<&FlakeModel>, rel: &str) -> Version {
        let Some(model) = model else {
            return Version::Unknown;
        };
        let Some(tree) = model.tree.as_deref() else {
            return Version::Absent;
        };
        if !tree.is_file(rel) {
            return Version::Absent;
        }
        if !rel.ends_with(".nix") {
            return Version::Data;
        }
        match tree
            .nix_file(rel)
            .and_then(|f| facts::read(f, rel == "flake.nix"))
        {
            Some(f) => Version::Nix(Box::new(f)),
            None => Version::Unreadable,
        }
    }

    fn facts(&self) -> Option<&Facts> {
        match self {
            Version::Nix(f) => Some(f),
            _ => None,
        }
    }

    fn present(&self) -> bool {
        !matches!(self, Version::Absent)
    }
}

/// A definition or declaration that differs between the sides.
struct Diff<'a> {
    key: String,
    item: &'a Item,
    file: &'a str,
    side: &'static str,
    /// `added`, `removed` or `changed`.
    how: &'static str,
}

/// Items of both sides compared by path. Over all the changed files
/// together, a version on one side that the other side does not hold (as
/// many times) differs; each such version is reported in its own file as
/// `added` (its file had no item at that path), `removed` (its file has
/// none any more) or `changed`. A version moved between files unchanged
/// is no difference. Without a base every item of the head is `defined`.
fn compare<'a>(
    base: &[(&'a str, &'a Item)],
    head: &[(&'a str, &'a Item)],
    unknown_base: bool,
) -> Vec<Diff<'a>> {
    type Side<'a> = BTreeMap<String, Vec<(&'a str, &'a Item)>>;
    let group = |items: &[(&'a str, &'a Item)]| -> Side<'a> {
        let mut m: Side<'a> = BTreeMap::new();
        for (f, i) in items {
            m.entry(i.path.join(".")).or_default().push((f, i));
        }
        m
    };
    let (b, h) = (group(base), group(head));
    let keys: BTreeSet<&String> = b.keys().chain(h.keys()).collect();
    let none = vec![];
    let mut out = vec![];
    for key in keys {
        let (bv, hv) = (b.get(key).unwrap_or(&none), h.get(key).unwrap_or(&none));
        if unknown_base {
            out.extend(hv.iter().map(|(file, item)| Diff {
                key: key.clone(),
                item,
                file,
                side: "head",
                how: "defined",
            }));
            continue;
        }
        // What one side holds beyond the other, as a multiset. A version
        // its own file still holds is matched there first, so an equal
        // version in another file cannot stand in for it (and a change in
        // that other file is not shown here); only then do versions match
        // across files (a move).
        let extra = |this: &Vec<(&'a str, &'a Item)>, other: &Vec<(&'a str, &'a Item)>| {
            let mut left: Vec<(&str, &str)> =
                other.iter().map(|(f, i)| (*f, i.holds.as_str())).collect();
            let mut take = |same_file: bool, (f, i): &(&'a str, &'a Item)| match left
                .iter()
                .position(|(lf, lh)| *lh == i.holds && (!same_file || lf == f))
            {
                Some(p) => {
                    left.swap_remove(p);
                    false
                }
                None => true,
            };
            let unmatched: Vec<(&'a str, &'a Item)> =
                this.iter().filter(|v| take(true, v)).copied().collect();
            unmatched
                .into_iter()
                .filter(|v| take(false, v))
                .collect::<Vec<_>>()
        };
        let (new, old) = (extra(hv, bv), extra(bv, hv));
        let in_file = |v: &Vec<(&str, &Item)>, f: &str| v.iter().any(|(x, _)| *x == f);
        for (file, item) in &new {
            out.push(Diff {
                key: key.clone(),
                item,
                file,
                side: "head",
                how: if in_file(bv, file) {
                    "changed"
                } else {
                    "added"
                },
            });
        }
        // Old versions whose file holds no new one: removed there, or
        // changed into a version another file held before (then shown at
        // the head's line of this file).
        for (file, item) in old.iter().filter(|(f, _)| !in_file(&new, f)) {
            let now = hv.iter().find(|(f, _)| f == file);
            out.push(Diff {
                key: key.clone(),
                item: now.map_or(item, |(_, i)| i),
                file,
                side: if now.is_some() { "head" } else { "base" },
                how: if now.is_some() { "changed" } else { "removed" },
            });
        }
    }
    out
}

/// The categories of the change from `base` to `head` over the `changed`
/// files (repository paths, normalised); `lock` holds flake.lock's text at
/// the base and at the head when it changed and both were read. `base` is
/// `None` when there is no base to compare (files given by hand).
pub fn findings(
    head: &FlakeModel,
    base: Option<&FlakeModel>,
    changed: &[String],
    lock: Option<&(Option<String>, Option<String>)>,
) -> Vec<Finding> {
    let mut out = Collector::default();
    let unknown_base = base.is_none();
    let versions: Vec<(&str, Version, Version)> = changed
        .iter()
        .map(|c| (c.as_str(), Version::of(base, c), Version::of(Some(head), c)))
        // A comment or a reformat: nothing to categorise.
        .filter(
            |(_, b, h)| !matches!((b.facts(), h.facts()), (Some(x), Some(y)) if x.code == y.code),
        )
        .collect();
    let host_folders = HostFolders::new(head, base);
    let new_files: BTreeSet<&str> = versions
        .iter()
        .filter(|(_, b, _)| matches!(b, Version::Absent))
        .map(|(f, _, _)| *f)
        .collect();

    // Definitions and declarations, compared over every changed file at once.
    let items = |pick: fn(&Facts) -> &Vec<Item>, on_base: bool| -> Vec<(&str, &Item)> {
        versions
            .iter()
            .flat_map(|(f, b, h)| {
                let v = if on_base { b } else { h };
                v.facts()
                    .into_iter()
                    .flat_map(move |x| pick(x).iter().map(move |i| (*f, i)))
            })
            .collect()
    };
    let defs = compare(
        &items(|f| &f.defs, true),
        &items(|f| &f.defs, false),
        unknown_base,
    );
    // The first changed definition of each file, to point file-level findings at.
    let mut first_def: BTreeMap<&str, &Diff> = BTreeMap::new();
    for d in &defs {
        let e = first_def.entry(d.file).or_insert(d);
        if d.item.line < e.item.line {
            *e = d;
        }
        for r in RULES.iter().filter(|r| matches(&d.item.path, r.pattern)) {
            // A definition in a new file (a new host's `system.stateVersion`)
            // breaks nothing that was there. Without a base, a definition is there but not known to have changed.
            if r.category == "breaking" && (new_files.contains(d.file) || d.how == "defined") {
                continue;
            }
            out.push(
                r.category,
                d.file,
                Some(d.item.line),
                Some(d.key.clone()),
                d.side,
                format!("{}: `{}` {}", r.what, d.key, d.how),
                format!("rule {}", r.what),
            );
        }
    }
    option_findings(
        &compare(
            &items(|f| &f.options, true),
            &items(|f| &f.options, false),
            unknown_base,
        ),
        &mut out,
    );

    // Files.
    let deleted_code: BTreeSet<&str> = versions
        .iter()
        .filter(|(_, _, h)| !h.present())
        .filter_map(|(_, b, _)| b.facts().map(|f| f.code.as_str()))
        .collect();
    for (file, b, h) in &versions {
        let at = first_def
            .get(file)
            .map(|d| (Some(d.item.line), Some(d.key.clone()), d.side));
        let (line, attr, side) =
            at.unwrap_or((None, None, if h.present() { "head" } else { "base" }));
        if matches!(b, Version::Unreadable) || matches!(h, Version::Unreadable) {
            by_path(file, b, h, &host_folders, &mut out);
            continue;
        }
        if let (Some(bf), Some(hf)) = (b.facts(), h.facts()) {
            list_findings(file, bf, hf, host_folders.label(file), &mut out);
            if *file == "flake.nix" {
                flake_findings(bf, hf, &mut out);
            }
        }
        // A file-level finding only when nothing in the file said more.
        if is_hardware_file(file) && !out.has(HARDWARE, file) {
            out.push(
                HARDWARE,
                file,
                line,
                attr.clone(),
                side,
                format!("hardware file `{file}` changed"),
                "hardware file".into(),
            );
        }
        if let Some(host) = host_folders.label(file)
            && !out.has("host-configuration", file)
        {
            out.push(
                "host-configuration",
                file,
                line,
                attr.clone(),
                side,
                format!("file of {host} changed"),
                "host file".into(),
            );
        }
        if is_secret_file(file) {
            out.push(
                SECURITY,
                file,
                None,
                None,
                side,
                format!("key or secret file `{file}` changed"),
                "secret file".into(),
            );
        }
        // A new module file, unless it is a deleted one moved here.
        if matches!(b, Version::Absent)
            && let Some(f) = h.facts()
            && f.module
            && file.ends_with(".nix")
            && *file != "flake.nix"
            && !deleted_code.contains(f.code.as_str())
            && host_folders.label(file).is_none()
            && !is_hardware_file(file)
        {
            out.push(
                "new-capability",
                file,
                Some(1),
                None,
                "head",
                format!("new module file `{file}`"),
                String::new(),
            );
        }
    }
    if let Some(base) = base {
        host_findings(head, base, &host_folders, &mut out);
        folder_findings(head, base, &versions, &host_folders, &mut out);
        if let Some((Some(old), Some(new))) = lock {
            lock_findings(old, new, &mut out);
        }
    }
    out.finish()
}

/// Findings, one per group and file.
#[derive(Default)]
struct Collector(Vec<Finding>);

impl Collector {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        category: &'static str,
        file: &str,
        line: Option<u32>,
        attr: Option<String>,
        side: &'static str,
        detail: String,
        group: String,
    ) {
        self.0.push(Finding {
            category,
            file: file.to_string(),
            line,
            attr,
            side,
            detail,
            group,
        });
    }

    fn has(&self, category: &str, file: &str) -> bool {
        self.0
            .iter()
            .any(|f| f.category == category && f.file == file)
    }

    /// Sorted by category, file and line; the findings of one group in one
    /// file become its first, with how many more there were.
    fn finish(mut self) -> Vec<Finding> {
        self.0.sort_by(|a, b| {
            (a.category, &a.file, a.line, &a.attr, &a.detail)
                .cmp(&(b.category, &b.file, b.line, &b.attr, &b.detail))
        });
        self.0.dedup_by(|a, b| {
            a.category == b.category && a.file == b.file && a.attr == b.attr && a.detail == b.detail
        });
        let mut out: Vec<Finding> = vec![];
        let mut more: BTreeMap<usize, usize> = BTreeMap::new();
        let mut first: BTreeMap<(&'static str, String, String), usize> = BTreeMap::new();
        for f in self.0 {
            if !f.group.is_empty() {
                let key = (f.category, f.file.clone(), f.group.clone());
                if let Some(&i) = first.get(&key) {
                    *more.entry(i).or_default() += 1;
                    continue;
                }
                first.insert(key, out.len());
            }
            out.push(f);
        }
        for (i, n) in more {
            out[i]
                .detail
                .push_str(&format!(" (and {n} more in this file)"));
        }
        out
    }
}

fn option_findings(diffs: &[Diff], out: &mut Collector) {
    // A declaration removed and one added that holds the same: a rename.
    let mut renamed_to: BTreeMap<&str, &Diff> = BTreeMap::new();
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    for r in diffs.iter().filter(|d| d.how == "removed") {
        if let Some(a) = diffs.iter().find(|a| {
            a.how == "added" && a.item.holds == r.item.holds && !taken.contains(a.key.as_str())
        }) {
            taken.insert(&a.key);
            renamed_to.insert(&r.key, a);
        }
    }
    for d in diffs {
        let opt = format!("options.{}", d.key);
        if d.how == "added" && taken.contains(d.key.as_str()) {
            continue;
        }
        if let Some(a) = renamed_to.get(d.key.as_str()) {
            let detail = format!("option `{}` renamed to `{}`", d.key, a.key);
            let to = format!("options.{}", a.key);
            for c in ["breaking", "module-interface"] {
                out.push(
                    c,
                    a.file,
                    Some(a.item.line),
                    Some(to.clone()),
                    "head",
                    detail.clone(),
                    String::new(),
                );
            }
            continue;
        }
        let detail = match d.how {
            "defined" => format!("option `{}` declared (no base to compare)", d.key),
            "added" => format!("option `{}` declared", d.key),
            "removed" => format!("option `{}` removed", d.key),
            _ => format!("option `{}` changed", d.key),
        };
        if d.how == "removed" {
            out.push(
                "breaking",
                d.file,
                Some(d.item.line),
                Some(opt.clone()),
                d.side,
                detail.clone(),
                String::new(),
            );
        }
        let group = if d.how == "defined" {
            "options".to_string()
        } else {
            String::new()
        };
        out.push(
            "module-interface",
            d.file,
            Some(d.item.line),
            Some(opt),
            d.side,
            detail,
            group,
        );
    }
}

/// Module lists of a file present on both sides.
fn list_findings(file: &str, b: &Facts, h: &Facts, host: Option<String>, out: &mut Collector) {
    let entries = |f: &Facts| -> BTreeMap<String, (Vec<(String, u32)>, u32)> {
        let mut m: BTreeMap<String, (Vec<(String, u32)>, u32)> = BTreeMap::new();
        for l in &f.lists {
            let e = m.entry(l.context.clone()).or_insert((vec![], l.line));
            e.0.extend(l.entries.iter().cloned());
        }
        m
    };
    let (bm, hm) = (entries(b), entries(h));
    let contexts: BTreeSet<&String> = bm.keys().chain(hm.keys()).collect();
    for ctx in contexts {
        // A host's list on one side only: the host's own finding.
        if ctx != "imports" && (!bm.contains_key(ctx) || !hm.contains_key(ctx)) {
            continue;
        }
        let none = (vec![], 0);
        let (be, bl) = bm.get(ctx).unwrap_or(&none);
        let (he, hl) = hm.get(ctx).unwrap_or(&none);
        let bset: BTreeSet<&str> = be.iter().map(|(e, _)| e.as_str()).collect();
        let hset: BTreeSet<&str> = he.iter().map(|(e, _)| e.as_str()).collect();
        let added: Vec<&(String, u32)> = he
            .iter()
            .filter(|(e, _)| !bset.contains(e.as_str()))
            .collect();
        let removed: Vec<&(String, u32)> = be
            .iter()
            .filter(|(e, _)| !hset.contains(e.as_str()))
            .collect();
        if added.is_empty() && removed.is_empty() {
            continue;
        }
        let shown = |e: &str| e.replace('\u{1f}', "");
        let mut what: Vec<String> = added
            .iter()
            .map(|(e, _)| format!("+{}", shown(e)))
            .collect();
        what.extend(removed.iter().map(|(e, _)| format!("-{}", shown(e))));
        let (line, side) = match added.first() {
            Some((_, l)) => (*l, "head"),
            None if *hl > 0 => (*hl, "head"),
            None => (removed.first().map(|(_, l)| *l).unwrap_or(*bl), "base"),
        };
        let list = if ctx == "imports" {
            "imports".to_string()
        } else {
            format!("module list `{ctx}`")
        };
        let detail = format!("{list} changed: {}", what.join(" "));
        match &host {
            Some(h) => out.push(
                "host-configuration",
                file,
                Some(line),
                Some(ctx.clone()),
                side,
                format!("{h}: {detail}"),
                String::new(),
            ),
            None => {
                let prefix = if file == "flake.nix" {
                    "host layout: "
                } else {
                    ""
                };
                out.push(
                    "architecture",
                    file,
                    Some(line),
                    Some(ctx.clone()),
                    side,
                    format!("{prefix}{detail}"),
                    String::new(),
                );
            }
        }
        for (e, l) in added.iter().chain(&removed) {
            let lower = e.to_lowercase();
            if let Some(tool) = SECRETS_TOOLING.iter().find(|t| lower.contains(*t)) {
                let side = if added.iter().any(|(x, _)| x == e) {
                    "head"
                } else {
                    "base"
                };
                out.push(
                    SECURITY,
                    file,
                    Some(*l),
                    Some(ctx.clone()),
                    side,
                    format!("secrets tooling ({tool}) in {list}: {}", shown(e)),
                    String::new(),
                );
            }
        }
    }
}

/// flake.nix on both sides: its inputs and its hosts' own attributes.
fn flake_findings(b: &Facts, h: &Facts, out: &mut Collector) {
    let names: BTreeSet<&String> = b.inputs.keys().chain(h.inputs.keys()).collect();
    for name in names {
        let attr = Some(format!("inputs.{name}"));
        let tooling = SECRETS_TOOLING.iter().find(|t| {
            name.to_lowercase().contains(*t)
                || [b.inputs.get(name), h.inputs.get(name)]
                    .iter()
                    .flatten()
                    .any(|i| i.source.to_lowercase().contains(*t))
        });
        let shown = |i: &facts::Input| {
            i.url
                .clone()
                .unwrap_or_else(|| i.source.replace(['\u{1f}', '\u{1d}'], " "))
        };
        let (side, line, detail, cats): (&str, u32, String, &[&'static str]) =
            match (b.inputs.get(name), h.inputs.get(name)) {
                (Some(old), None) => (
                    "base",
                    old.line,
                    format!("input `{name}` removed"),
                    &["breaking"],
                ),
                (None, Some(new)) => (
                    "head",
                    new.line,
                    format!("new input `{name}` from {}", shown(new)),
                    &["new-capability"],
                ),
                (Some(old), Some(new)) if old.source != new.source => (
                    "head",
                    new.line,
                    format!(
                        "input `{name}` now fetched from {} (was {})",
                        shown(new),
                        shown(old)
                    ),
                    &["breaking"],
                ),
                _ => continue,
            };
        for c in cats {
            out.push(
                c,
                "flake.nix",
                Some(line),
                attr.clone(),
                side,
                detail.clone(),
                String::new(),
            );
        }
        if let Some(t) = tooling {
            out.push(
                SECURITY,
                "flake.nix",
                Some(line),
                attr.clone(),
                side,
                format!("secrets tooling ({t}): {detail}"),
                String::new(),
            );
        }
    }
    let hosts = |f: &Facts| -> BTreeMap<String, (String, u32)> {
        f.hosts
            .iter()
            .map(|i| (i.path.join("."), (i.holds.clone(), i.line)))
            .collect()
    };
    let (bh, hh) = (hosts(b), hosts(h));
    for (key, (holds, line)) in &hh {
        if bh.get(key).is_some_and(|(old, _)| old != holds) {
            let name = key.rsplit('.').next().unwrap_or(key);
            out.push(
                "host-configuration",
                "flake.nix",
                Some(*line),
                Some(key.clone()),
                "head",
                format!("host `{name}`: its attribute in flake.nix changed"),
                String::new(),
            );
        }
    }
}

/// flake.lock: root inputs removed or fetched from elsewhere. New inputs
/// are flake.nix's to report.
fn lock_findings(old: &str, new: &str, out: &mut Collector) {
    use crate::flake::lock::Lock;
    let (Ok(a), Ok(b)) = (Lock::parse(old), Lock::parse(new)) else {
        return;
    };
    let line_of = |text: &str, name: &str| -> Option<u32> {
        let at = text.find(&format!("\"{name}\":"))?;
        Some(text[..at].matches('\n').count() as u32 + 1)
    };
    for name in a.inputs() {
        let attr = Some(format!("inputs.{name}"));
        match (a.original(&name), b.original(&name)) {
            (Some(_), None) => out.push(
                "breaking",
                "flake.lock",
                line_of(old, &name),
                attr,
                "base",
                format!("input `{name}` removed from the lock"),
                String::new(),
            ),
            (Some(x), Some(y)) if x != y => out.push(
                "breaking",
                "flake.lock",
                line_of(new, &name),
                attr,
                "head",
                format!("input `{name}` now locked from {y} (was {x})"),
                String::new(),
            ),
            _ => {}
        }
    }
}

/// Hosts on one side only, and hosts whose folder moved.
fn host_findings(head: &FlakeModel, base: &FlakeModel, folders: &HostFolders, out: &mut Collector) {
    let attr = |h: &crate::flake::Host| Some(format!("{}Configurations.{}", h.kind, h.name));
    for h in &head.hosts {
        match base.host(&h.name) {
            None => {
                let detail = format!("new host `{}`", h.name);
                for c in ["new-capability", "architecture", "host-configuration"] {
                    out.push(
                        c,
                        &h.entry.file,
                        Some(h.entry.line),
                        attr(h),
                        "head",
                        detail.clone(),
                        String::new(),
                    );
                }
            }
            Some(old) => {
                let (was, now) = (folders.of(&old.name, true), folders.of(&h.name, false));
                if !was.is_empty() && !now.is_empty() && was != now {
                    let show = |s: &BTreeSet<String>| {
                        s.iter()
                            .map(|f| format!("{f}/"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    out.push(
                        "architecture",
                        &h.entry.file,
                        Some(h.entry.line),
                        attr(h),
                        "head",
                        format!(
                            "host `{}` moved from {} to {}",
                            h.name,
                            show(&was),
                            show(&now)
                        ),
                        String::new(),
                    );
                }
            }
        }
    }
    for h in base.hosts.iter().filter(|h| head.host(&h.name).is_none()) {
        let detail = format!("host `{}` removed", h.name);
        for c in ["breaking", "architecture", "host-configuration"] {
            out.push(
                c,
                &h.entry.file,
                Some(h.entry.line),
                attr(h),
                "base",
                detail.clone(),
                String::new(),
            );
        }
    }
}

/// Folders of `.nix` files that exist on one side only (hosts' folders
/// are the hosts' findings).
fn folder_findings(
    head: &FlakeModel,
    base: &FlakeModel,
    versions: &[(&str, Version, Version)],
    folders: &HostFolders,
    out: &mut Collector,
) {
    let (Some(ht), Some(bt)) = (head.tree.as_deref(), base.tree.as_deref()) else {
        return;
    };
    let mut seen = BTreeSet::new();
    for (file, b, h) in versions {
        if !file.ends_with(".nix") || b.present() == h.present() {
            continue;
        }
        let added = h.present();
        // The outermost folder of the file that is on its side only.
        let mut dir = crate::flake::path::parent(file);
        let mut top = None;
        while !dir.is_empty() {
            if ht.is_dir(dir) != bt.is_dir(dir) {
                top = Some(dir);
            }
            dir = crate::flake::path::parent(dir);
        }
        let Some(top) = top else { continue };
        // A wired host's folder is the host's finding.
        if folders.host_of(&format!("{top}/x")).is_some()
            || folders.is_host_folder(top)
            || !seen.insert(top)
        {
            continue;
        }
        let (side, how) = if added {
            ("head", "added")
        } else {
            ("base", "removed")
        };
        let what = match folders.label(file) {
            Some(_) => "host folder",
            None => "module folder",
        };
        out.push(
            "architecture",
            top,
            None,
            None,
            side,
            format!("{what} `{top}/` {how}"),
            String::new(),
        );
    }
}

/// Where each host's own files are, on both sides.
struct HostFolders {
    /// folder -> host names, per side (base, head).
    sides: [BTreeMap<String, BTreeSet<String>>; 2],
}

impl HostFolders {
    fn new(head: &FlakeModel, base: Option<&FlakeModel>) -> Self {
        let of = |m: &FlakeModel| {
            let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for h in &m.hosts {
                for f in h.deps.own_files() {
                    let dir = crate::flake::path::parent(&f);
                    let named = dir
                        .split('/')
                        .any(|s| s == h.name || HOST_FOLDERS.contains(&s));
                    if !dir.is_empty() && named {
                        out.entry(dir.to_string())
                            .or_default()
                            .insert(h.name.clone());
                    }
                }
            }
            out
        };
        HostFolders {
            sides: [base.map(of).unwrap_or_default(), of(head)],
        }
    }

    /// The folders of host `name` on the base (`true`) or head side.
    fn of(&self, name: &str, on_base: bool) -> BTreeSet<String> {
        self.sides[usize::from(!on_base)]
            .iter()
            .filter(|(_, hosts)| hosts.contains(name))
            .map(|(f, _)| f.clone())
            .collect()
    }

    /// A host whose folder holds `file`, on either side.
    fn host_of(&self, file: &str) -> Option<&str> {
        self.sides.iter().rev().find_map(|side| {
            side.iter()
                .filter(|(dir, _)| file.starts_with(&format!("{dir}/")))
                .max_by_key(|(dir, _)| dir.len())
                .and_then(|(_, hosts)| hosts.iter().next().map(String::as_str))
        })
    }

    /// Whose host file `file` is, in words: `host `yoga``, or for a file
    /// under a `hosts/`, `machines/` or `systems/` folder that no host of
    /// the flake names, its folder (a host not wired in yet).
    fn label(&self, file: &str) -> Option<String> {
        if let Some(h) = self.host_of(file) {
            return Some(format!("host `{h}`"));
        }
        let dir = crate::flake::path::parent(file);
        let mut segs = dir.split('/');
        let under = segs
            .next()
            .is_some_and(|first| HOST_FOLDERS.contains(&first));
        (under && !dir.is_empty())
            .then(|| format!("host folder `{dir}/` (no host of the flake uses it)"))
    }

    fn is_host_folder(&self, dir: &str) -> bool {
        self.sides.iter().any(|s| {
            s.keys()
                .any(|f| f == dir || f.starts_with(&format!("{dir}/")))
        })
    }
}

/// A hardware, disko or facter file (Nix code or a JSON report), by its
/// name or folder.
fn is_hardware_file(file: &str) -> bool {
    let lower = file.to_lowercase();
    let mut segs: Vec<&str> = lower.split('/').collect();
    let name = segs.pop().unwrap_or("");
    if !(name.ends_with(".nix") || name.ends_with(".json")) {
        return false;
    }
    name.starts_with("hardware")
        || name.starts_with("disko")
        || name.contains("facter")
        || segs
            .iter()
            .any(|s| *s == "hardware" || *s == "disko" || *s == "facter")
}

/// A key or an encrypted secret, by its name.
fn is_secret_file(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file).to_lowercase();
    name.ends_with(".pub")
        || name.ends_with(".age")
        || name == ".sops.yaml"
        || (name.starts_with("secrets")
            && (name.ends_with(".yaml") || name.ends_with(".json") || name.ends_with(".env")))
}

/// A `.nix` file that does not parse on some side: its path is all there
/// is to judge it by.
fn by_path(file: &str, b: &Version, h: &Version, folders: &HostFolders, out: &mut Collector) {
    let side = if matches!(h, Version::Unreadable) {
        "head"
    } else {
        "base"
    };
    let why = format!("`{file}` does not parse on the {side} side, so only its path counts");
    let lower = file.to_lowercase();
    let _ = b;
    if [
        "security",
        "secrets",
        "ssh",
        "firewall",
        "sops",
        "agenix",
        "1password",
        "opnix",
    ]
    .iter()
    .any(|s| lower.contains(s))
    {
        out.push(SECURITY, file, None, None, side, why.clone(), String::new());
    }
    if is_hardware_file(file) {
        out.push(HARDWARE, file, None, None, side, why.clone(), String::new());
    }
    if folders.label(file).is_some() {
        out.push(
            "host-configuration",
            file,
            None,
            None,
            side,
            why,
            String::new(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_at_and_below_their_pattern() {
        let p = |s: &str| s.split('.').map(String::from).collect::<Vec<_>>();
        assert!(matches(
            &p("services.openssh.settings.X"),
            "services.openssh"
        ));
        assert!(matches(
            &p("users.users.alice.extraGroups"),
            "users.users.*.extraGroups"
        ));
        assert!(matches(
            &p("users.users.alice"),
            "users.users.*.extraGroups"
        ));
        assert!(!matches(
            &p("users.users.alice.isNormalUser"),
            "users.users.*.extraGroups"
        ));
        assert!(!matches(
            &p("environment.systemPackages"),
            "networking.firewall"
        ));
        assert!(!matches(&[], "security"));
        assert!(is_hardware_file("hosts/yoga/hardware.nix"));
        assert!(is_hardware_file("hosts/yoga/yoga-facter.json"));
        assert!(is_hardware_file("modules/hardware/asus.nix"));
        assert!(!is_hardware_file("docs/HARDWARE_DETECTION.md"));
        assert!(!is_hardware_file("modules/security/ssh.nix"));
        assert!(is_secret_file("modules/users/keys/alice.pub"));
        assert!(!is_secret_file("modules/users/alice.nix"));
    }
}
