//! Differential test against the real OpenSpec 1.13.2 (npm
//! `@fission-ai/openspec@1.13.2`, installed by tests/run.sh into
//! `$HOME/.cache/openspec-ref/1.13.2`, or `OPENSPEC_REF_PREFIX`). Both tools
//! run on the same trees: the rule fixtures below, the pantherOS-shaped
//! corpus and trees a seeded generator writes from the shapes of the format.
//! Compared: the verdict per item and the exit code of `validate --all
//! --json`, completedTasks/totalTasks of `list --json`, and for every change
//! the outcome of `archive <id> --yes --json` (exit code, whether the change
//! moved) and the bytes of `openspec/specs/` afterwards.
//! Without the reference this test fails with the reason.
mod parity_support;
mod spec_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use parity_support::*;
use spec_support::{PROPOSAL, PURPOSE, Tree, main_spec};

const REQ_OK: &str = "### Requirement: Late Fees\nThe system SHALL charge late fees.\n\n#### Scenario: Late\n- **WHEN** a payment is late\n- **THEN** a fee is charged";

/// The cases of issue 12 and the rules 1.11 to 1.13.2 added, one change each
/// (their own capabilities), in one tree.
fn rules_tree() -> Tree {
    let t = Tree::new();
    // A folder that only wraps a nested change.
    t.write(
        "openspec/changes/mobile/refresh-token/proposal.md",
        PROPOSAL,
    );
    t.write(
        "openspec/changes/mobile/refresh-token/specs/auth/spec.md",
        "## ADDED Requirements\n### Requirement: Refresh\nThe app SHALL refresh tokens.\n\n#### Scenario: r\n- **WHEN** expired\n- **THEN** refreshed\n",
    );
    // RENAMED: FROM A, FROM B, TO C, TO D.
    t.spec(
        "billing-rn",
        &main_spec(
            "billing-rn",
            &[
                "### Requirement: A\nIt SHALL a.\n\n#### Scenario: a\n- ok",
                "### Requirement: B\nIt SHALL b.\n\n#### Scenario: b\n- ok",
            ],
        ),
    );
    t.change(
        "rename-interleaved",
        &[(
            "billing-rn",
            "## RENAMED Requirements\n- FROM: `### Requirement: A`\n- FROM: `### Requirement: B`\n- TO: `### Requirement: C`\n- TO: `### Requirement: D`\n",
        )],
    );
    // ADDED `late  fees` beside `Late Fees`.
    t.spec("billing-case", &main_spec("billing-case", &[REQ_OK]));
    t.change(
        "add-case-variant",
        &[(
            "billing-case",
            "## ADDED Requirements\n### Requirement: late  fees\nThe system SHALL charge late fees twice.\n\n#### Scenario: Twice\n- **WHEN** late\n- **THEN** twice\n",
        )],
    );
    // A change without delta specs.
    t.change("no-deltas", &[]);
    // A Purpose that runs straight into `## Requirements`.
    t.spec(
        "tight",
        &format!("# tight Specification\n\n## Purpose\n{PURPOSE}\n## Requirements\n\n{REQ_OK}\n"),
    );
    t.change(
        "add-to-tight",
        &[(
            "tight",
            "## ADDED Requirements\n### Requirement: Receipts\nThe system SHALL send receipts.\n\n#### Scenario: r\n- **WHEN** paid\n- **THEN** receipt\n",
        )],
    );
    // Numbered and other list markers with checkboxes.
    t.change(
        "numbered-tasks",
        &[(
            "numbered",
            "## ADDED Requirements\n### Requirement: N\nIt SHALL n.\n\n#### Scenario: n\n- ok\n",
        )],
    );
    t.write(
        "openspec/changes/numbered-tasks/tasks.md",
        "## 1. Work\n1. [ ] Do it\n2. [x] Done it\n3) [X] Also\n+ [~] Partial\n* [] Empty\n- [ ] Dash\n",
    );
    // Tasks with list items and no checkbox.
    t.change(
        "prose-tasks",
        &[(
            "prose",
            "## ADDED Requirements\n### Requirement: P\nIt SHALL p.\n\n#### Scenario: p\n- ok\n",
        )],
    );
    t.write(
        "openspec/changes/prose-tasks/tasks.md",
        "## Tasks\n- write it\n- test it\n",
    );
    // REMOVED with `*` and `+` bullets.
    t.spec(
        "rm-bullets",
        &main_spec(
            "rm-bullets",
            &[
                "### Requirement: X\nIt SHALL x.\n\n#### Scenario: x\n- ok",
                "### Requirement: Y\nIt SHALL y.\n\n#### Scenario: y\n- ok",
                "### Requirement: Z\nIt SHALL z.\n\n#### Scenario: z\n- ok",
            ],
        ),
    );
    t.change(
        "remove-bullets",
        &[(
            "rm-bullets",
            "## REMOVED Requirements\n* `### Requirement: X`\n+ `### Requirement: Y`\n",
        )],
    );
    // Two ADDED sections.
    t.change(
        "two-added",
        &[(
            "twice",
            "## ADDED Requirements\n### Requirement: One\nIt SHALL one.\n\n#### Scenario: o\n- ok\n\n## ADDED Requirements\n### Requirement: Two\nIt SHALL two.\n\n#### Scenario: t\n- ok\n",
        )],
    );
    // A requirement outside the delta sections.
    t.change(
        "outside",
        &[(
            "outside",
            "## ADDED Requirements\n### Requirement: In\nIt SHALL in.\n\n#### Scenario: i\n- ok\n\n## Notes\n### Requirement: Out\nIt SHALL out.\n\n#### Scenario: o\n- ok\n",
        )],
    );
    // Trailing `###` after a name; MODIFIED matching it.
    t.spec(
        "hashes",
        &main_spec(
            "hashes",
            &["### Requirement: Hash ###\nIt SHALL hash.\n\n#### Scenario: h\n- ok"],
        ),
    );
    t.change(
        "modify-hashes",
        &[(
            "hashes",
            "## MODIFIED Requirements\n### Requirement: Hash\nIt SHALL hash better.\n\n#### Scenario: h\n- ok\n",
        )],
    );
    // A CRLF main spec.
    t.spec(
        "crlf",
        &main_spec(
            "crlf",
            &["### Requirement: C\nIt SHALL c.\n\n#### Scenario: c\n- ok"],
        )
        .replace('\n', "\r\n"),
    );
    t.change(
        "add-crlf",
        &[(
            "crlf",
            "## ADDED Requirements\n### Requirement: D\nIt SHALL d.\n\n#### Scenario: d\n- ok\n",
        )],
    );
    // A TBD purpose.
    t.spec(
        "tbd",
        "# tbd Specification\n\n## Purpose\nTBD - created by archiving change x. Update Purpose after archive.\n\n## Requirements\n\n### Requirement: T\nIt SHALL t.\n\n#### Scenario: t\n- ok\n",
    );
    // An empty scenario.
    t.change(
        "empty-scenario",
        &[(
            "empty-sc",
            "## ADDED Requirements\n### Requirement: E\nIt SHALL e.\n\n#### Scenario: nothing\n",
        )],
    );
    // Delta headers in a file other than spec.md.
    t.change(
        "stray-delta",
        &[(
            "stray",
            "## ADDED Requirements\n### Requirement: S\nIt SHALL s.\n\n#### Scenario: s\n- ok\n",
        )],
    );
    t.write(
        "openspec/changes/stray-delta/specs/stray/notes.md",
        "## ADDED Requirements\n### Requirement: Hidden\nIt SHALL hide.\n\n#### Scenario: h\n- ok\n",
    );
    // RENAMED to a case variant of an existing requirement.
    t.spec(
        "rn-case",
        &main_spec(
            "rn-case",
            &[
                "### Requirement: Old\nIt SHALL old.\n\n#### Scenario: o\n- ok",
                "### Requirement: Taken Name\nIt SHALL t.\n\n#### Scenario: t\n- ok",
            ],
        ),
    );
    t.change(
        "rename-case",
        &[(
            "rn-case",
            "## RENAMED Requirements\n- FROM: `### Requirement: Old`\n- TO: `### Requirement: taken  name`\n",
        )],
    );
    t
}

/// The pantherOS-shaped corpus.
fn corpus_tree() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openspec-pantheros")
}

/// Requirement names a generated tree draws from; case/space variants on
/// purpose.
const NAMES: &[&str] = &[
    "Login",
    "login",
    "Log  In",
    "Logout",
    "Session",
    "Token ###",
    "Audit",
];

fn block(rng: &mut Rng, name: &str) -> String {
    let mut s = format!("### Requirement: {name}\n");
    match rng.below(10) {
        0 => s.push_str("It does things.\n"),
        1 => {}
        _ => s.push_str(&format!(
            "The system SHALL handle {}.\n",
            name.to_lowercase()
        )),
    }
    match rng.below(10) {
        0 => {}
        1 => s.push_str("\n#### Scenario: empty\n"),
        _ => {
            for k in 0..=rng.below(2) {
                s.push_str(&format!(
                    "\n#### Scenario: case {k}\n- **WHEN** it happens\n- **THEN** it works\n"
                ));
            }
        }
    }
    s
}

/// One generated tree under `dir`: its names carry the prefix `g<seed>-`.
fn generate(seed: u64, dir: &Path) {
    let mut rng = Rng::new(seed);
    let p = format!("g{seed}");
    let w = |rel: &str, text: &str| {
        let f = dir.join(rel);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    };
    std::fs::create_dir_all(dir.join("openspec/changes/archive")).unwrap();
    std::fs::create_dir_all(dir.join("openspec/specs")).unwrap();
    // Main specs.
    let ncaps = rng.below(3);
    let mut caps: Vec<(String, Vec<String>)> = Vec::new();
    for j in 0..ncaps {
        let cap = format!("{p}-cap{j}");
        let mut names: Vec<String> = Vec::new();
        for _ in 0..=rng.below(3) {
            let n = rng.pick(NAMES).to_string();
            let key = n.to_lowercase().replace(' ', "");
            if !names
                .iter()
                .any(|m| m.to_lowercase().replace(' ', "") == key)
            {
                names.push(n);
            }
        }
        let purpose = match rng.below(10) {
            0 => "TBD - created by archiving change x. Update Purpose after archive.".to_string(),
            1 => "Short.".to_string(),
            2 => format!("TODO: {PURPOSE}"),
            _ => PURPOSE.to_string(),
        };
        let gap = if rng.chance(20) { "" } else { "\n" };
        let mut s =
            format!("# {cap} Specification\n\n## Purpose\n{purpose}\n{gap}## Requirements\n");
        for n in &names {
            s.push('\n');
            s.push_str(&block(&mut rng, n));
        }
        if rng.chance(10) {
            s = s.replace('\n', "\r\n");
        }
        w(&format!("openspec/specs/{cap}/spec.md"), &s);
        caps.push((cap, names));
    }
    // One or two changes.
    for c in 0..=rng.below(2) {
        let id = format!("{p}-change{c}");
        let base = format!("openspec/changes/{id}");
        if rng.chance(85) {
            w(&format!("{base}/proposal.md"), PROPOSAL);
        }
        let marks = ["-", "*", "+", "1.", "2)"];
        let boxes = ["[ ]", "[x]", "[X]", "[~]", "[]"];
        if rng.chance(80) {
            let mut tasks = String::from("## 1. Work\n");
            for k in 0..rng.below(4) {
                if rng.chance(15) {
                    tasks.push_str(&format!("- plain item {k}\n"));
                } else {
                    tasks.push_str(&format!(
                        "{} {} 1.{k} Step\n",
                        rng.pick(&marks),
                        rng.pick(&boxes)
                    ));
                }
            }
            w(&format!("{base}/tasks.md"), &tasks);
        }
        let ndeltas = rng.below(3);
        for d in 0..ndeltas {
            let existing = !caps.is_empty() && rng.chance(70);
            let (cap, names) = if existing {
                caps[rng.below(caps.len())].clone()
            } else {
                (format!("{p}-new{c}{d}"), Vec::new())
            };
            let mut s = String::new();
            if !existing && rng.chance(30) {
                s.push_str("## Purpose\nA new capability for the generated tree.\n\n");
            }
            let mut any = false;
            for _ in 0..=rng.below(3) {
                match rng.below(5) {
                    0 | 1 => {
                        s.push_str("## ADDED Requirements\n");
                        for _ in 0..=rng.below(2) {
                            let n = rng.pick(NAMES).to_string();
                            s.push_str(&block(&mut rng, &n));
                            s.push('\n');
                        }
                    }
                    2 => {
                        s.push_str("## MODIFIED Requirements\n");
                        let n = if !names.is_empty() && rng.chance(75) {
                            names[rng.below(names.len())]
                                .trim_end_matches(" ###")
                                .to_string()
                        } else {
                            rng.pick(NAMES).to_string()
                        };
                        s.push_str(&block(&mut rng, &n));
                        s.push('\n');
                    }
                    3 => {
                        s.push_str("## REMOVED Requirements\n");
                        let n = if !names.is_empty() && rng.chance(75) {
                            names[rng.below(names.len())].clone()
                        } else {
                            rng.pick(NAMES).to_string()
                        };
                        let bullet = rng.pick(&["-", "*", "+"]).to_string();
                        s.push_str(&format!("{bullet} `### Requirement: {n}`\n\n"));
                    }
                    _ => {
                        s.push_str("## RENAMED Requirements\n");
                        let from = if !names.is_empty() && rng.chance(75) {
                            names[rng.below(names.len())].clone()
                        } else {
                            rng.pick(NAMES).to_string()
                        };
                        let to = rng
                            .pick(&["Renamed", "Audit", "login", "Other Name"])
                            .to_string();
                        s.push_str(&format!("- FROM: `### Requirement: {from}`\n"));
                        if rng.chance(85) {
                            s.push_str(&format!("- TO: `### Requirement: {to}`\n"));
                        }
                        s.push('\n');
                    }
                }
                any = true;
            }
            if !any || rng.chance(5) {
                s.push_str("Just notes.\n");
            }
            if rng.chance(8) {
                // A requirement outside the delta sections (a warning; not applied).
                s.push_str(
                    "## Notes\n### Requirement: Stray\nIt SHALL stray.\n\n#### Scenario: s\n- ok\n",
                );
            }
            w(&format!("{base}/specs/{cap}/spec.md"), &s);
        }
        if !dir.join(&base).exists() {
            w(&format!("{base}/design.md"), "# Design\n");
        }
    }
}

/// A difference between the two tools, by name.
type Diffs = BTreeSet<String>;

/// Compare validate (plain and `--strict`) and list on one tree; `label`
/// prefixes the names.
fn compare_read(pkg: &Path, root: &Path, label: &str, diffs: &mut Diffs) {
    let (r_val, r_strict, r_list, o_val, o_strict, o_list) = std::thread::scope(|s| {
        let a = s.spawn(|| {
            reference_run(
                pkg,
                root,
                &["validate", "--all", "--json", "--no-interactive"],
            )
        });
        let b = s.spawn(|| reference_run(pkg, root, &["list", "--json"]));
        let c = s.spawn(|| {
            reference_run(
                pkg,
                root,
                &[
                    "validate",
                    "--all",
                    "--strict",
                    "--json",
                    "--no-interactive",
                ],
            )
        });
        let o_val = ours_run(root, &["validate", "--all", "--json"]);
        let o_strict = ours_run(root, &["validate", "--all", "--strict", "--json"]);
        let o_list = ours_run(root, &["list", "--json"]);
        (
            a.join().unwrap(),
            c.join().unwrap(),
            b.join().unwrap(),
            o_val,
            o_strict,
            o_list,
        )
    });
    for (what, r, o) in [
        ("validate", &r_val, &o_val),
        ("validate --strict", &r_strict, &o_strict),
    ] {
        if r.code != o.code {
            diffs.insert(format!(
                "{label}: {what} exit {} (1.13.2: {})",
                o.code, r.code
            ));
        }
        let (rv, ov) = (verdicts(&r.json()), verdicts(&o.json()));
        for id in rv.keys().chain(ov.keys()).collect::<BTreeSet<_>>() {
            if rv.get(id) != ov.get(id) {
                diffs.insert(format!(
                    "{label}: {what} {id}: ours {:?}, 1.13.2 {:?}",
                    ov.get(id),
                    rv.get(id)
                ));
            }
        }
    }
    // Warnings: how many each item has (the words are each tool's own).
    let (rw, ow) = (
        issue_counts(&r_val.json(), "WARNING"),
        issue_counts(&o_val.json(), "WARNING"),
    );
    for id in rw.keys().chain(ow.keys()).collect::<BTreeSet<_>>() {
        if rw.get(id) != ow.get(id) {
            diffs.insert(format!(
                "{label}: warnings {id}: ours {:?}, 1.13.2 {:?}",
                ow.get(id),
                rw.get(id)
            ));
        }
    }
    let (rt, ot) = (tasks(&r_list.json()), tasks(&o_list.json()));
    for id in rt.keys().chain(ot.keys()).collect::<BTreeSet<_>>() {
        if rt.get(id) != ot.get(id) {
            diffs.insert(format!(
                "{label}: list {id}: ours {:?}, 1.13.2 {:?}",
                ot.get(id),
                rt.get(id)
            ));
        }
    }
}

/// Archive every change of every tree with both tools (each in its own copy)
/// and compare the outcome and `openspec/specs/`.
fn compare_archives(pkg: &Path, trees: &[(String, PathBuf)], diffs: &mut Diffs) -> usize {
    let work = tempfile::tempdir().expect("tempdir");
    let mut jobs: Vec<(String, String, PathBuf, PathBuf)> = Vec::new();
    for (label, root) in trees {
        for id in change_dirs(root) {
            let n = jobs.len();
            let r = work.path().join(format!("r{n}"));
            let o = work.path().join(format!("o{n}"));
            copy_tree(root, &r);
            copy_tree(root, &o);
            jobs.push((label.clone(), id, r, o));
        }
    }
    let ref_jobs: Vec<(PathBuf, String)> = jobs
        .iter()
        .map(|(_, id, r, _)| (r.clone(), id.clone()))
        .collect();
    let (ref_codes, our_codes) = std::thread::scope(|s| {
        let h = s.spawn(|| reference_archive_batch(pkg, &ref_jobs, 2));
        let ours: Vec<i32> = jobs
            .iter()
            .map(|(_, id, _, o)| ours_run(o, &["archive", id, "--yes", "--json"]).code)
            .collect();
        (h.join().unwrap(), ours)
    });
    for (k, (label, id, r, o)) in jobs.iter().enumerate() {
        let (rm, rs) = archive_state(r, id);
        let (om, os) = archive_state(o, id);
        if ref_codes[k] != our_codes[k] || rm != om {
            diffs.insert(format!(
                "{label}: archive {id}: ours exit {} moved {om}, 1.13.2 exit {} moved {rm}",
                our_codes[k], ref_codes[k]
            ));
        }
        if rs != os {
            let files: Vec<&String> = rs
                .keys()
                .chain(os.keys())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .filter(|f| rs.get(*f) != os.get(*f))
                .collect();
            if std::env::var_os("OPENSPEC_PARITY_DEBUG").is_some() {
                for f in &files {
                    let show = |m: &std::collections::BTreeMap<String, Vec<u8>>| {
                        m.get(*f).map(|b| String::from_utf8_lossy(b).into_owned())
                    };
                    eprintln!(
                        "--- {label} {id} {f} ours:\n{:?}\n--- 1.13.2:\n{:?}",
                        show(&os),
                        show(&rs)
                    );
                }
            }
            diffs.insert(format!("{label}: archive {id}: specs differ in {files:?}"));
        }
    }
    jobs.len()
}

fn report(diffs: &Diffs) -> String {
    diffs.iter().map(|d| format!("  {d}\n")).collect()
}

#[test]
fn rule_fixtures_and_corpus_match_1_13_2() {
    let pkg = reference();
    let rules = rules_tree();
    let corpus = tempfile::tempdir().unwrap();
    copy_tree(&corpus_tree(), corpus.path());
    let mut diffs = Diffs::new();
    compare_read(&pkg, rules.root(), "rules", &mut diffs);
    compare_read(&pkg, corpus.path(), "corpus", &mut diffs);
    let n = compare_archives(
        &pkg,
        &[
            ("rules".into(), rules.root().to_path_buf()),
            ("corpus".into(), corpus.path().to_path_buf()),
        ],
        &mut diffs,
    );
    eprintln!("rule fixtures and corpus: {n} archives compared");
    let known: Diffs = KNOWN_FIXTURE_DIFFERENCES
        .iter()
        .copied()
        .chain(DELIBERATE_FIXTURE_DIFFERENCES.iter().map(|(d, _)| *d))
        .map(str::to_string)
        .collect();
    assert_eq!(diffs, known, "differences from 1.13.2:\n{}", report(&diffs));
}

/// Where we still differ from 1.13.2 on the fixtures, by name. The test
/// fails when this list is not exactly what is observed, so a fix (or a new
/// difference) updates it.
const KNOWN_FIXTURE_DIFFERENCES: &[&str] = &[
    // Deliberate: a change with tracking.json is archived only once verified
    // (the lifecycle's gate); 1.13.2 does not read tracking.json.
    "corpus: archive tracked-security: ours exit 1 moved false, 1.13.2 exit 0 moved true",
    "corpus: archive tracked-security: specs differ in [\"secrets-model/spec.md\"]",
];

/// Where we differ from 1.13.2 on purpose, with the reason; exact, as above.
const DELIBERATE_FIXTURE_DIFFERENCES: &[(&str, &str)] = &[
    (
        "corpus: validate --strict tracked-security: ours Some(false), 1.13.2 Some(true)",
        "tracked-security is a `security` change (tracking.json): its proposal lacks the kind's `## Risk Assessment` section, a warning only this openspec knows (pantherOS proposal kinds), so --strict fails it",
    ),
    (
        "corpus: warnings tracked-security: ours Some(1), 1.13.2 Some(0)",
        "the same warning, counted",
    ),
];

#[test]
fn generated_trees_match_1_13_2() {
    let pkg = reference();
    let count: u64 = std::env::var("OPENSPEC_PARITY_TREES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    // To look at a tree by hand: OPENSPEC_PARITY_WRITE=<dir> writes the
    // trees there (t<seed>/) and compares nothing.
    if let Some(dir) = std::env::var_os("OPENSPEC_PARITY_WRITE") {
        for seed in 1..=count {
            generate(seed, &PathBuf::from(&dir).join(format!("t{seed}")));
        }
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let combined = work.path().join("combined");
    let mut trees = Vec::new();
    for seed in 1..=count {
        let dir = work.path().join(format!("t{seed}"));
        generate(seed, &dir);
        copy_tree(&dir, &combined);
        trees.push((format!("seed {seed}"), dir));
    }
    let mut diffs = Diffs::new();
    compare_read(&pkg, &combined, "generated", &mut diffs);
    let n = compare_archives(&pkg, &trees, &mut diffs);
    eprintln!(
        "generated: {count} trees, {n} archives compared, {} differences",
        diffs.len()
    );
    let known: Diffs = KNOWN_GENERATED_DIFFERENCES
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        diffs,
        known,
        "differences from 1.13.2 on generated trees:\n{}",
        report(&diffs)
    );
}

/// Where we still differ from 1.13.2 on generated trees, by name; exact, as
/// above.
const KNOWN_GENERATED_DIFFERENCES: &[&str] = &[];

/// The cases of issue 12 with the outcome 1.13.2 gives them (found by running
/// it; `rule_fixtures_and_corpus_match_1_13_2` keeps checking that), asserted
/// on our binary alone.
#[test]
fn issue_cases_have_the_1_13_2_outcome() {
    let t = rules_tree();
    let archive = |id: &str| {
        let work = tempfile::tempdir().unwrap();
        copy_tree(t.root(), work.path());
        let run = ours_run(work.path(), &["archive", id, "--yes", "--json"]);
        let (moved, specs) = archive_state(work.path(), id);
        (run, moved, specs)
    };
    // A folder wrapping a nested change is not a change.
    let (run, moved, _) = archive("mobile");
    assert_eq!((run.code, moved), (1, false), "{}", run.stdout);
    assert_eq!(
        run.json()["status"][0]["code"],
        "archive_change_is_namespace_folder"
    );
    // FROM A, FROM B, TO C, TO D: both bad lines reported, archive refused.
    let v = ours_run(t.root(), &["validate", "rename-interleaved", "--json"]).json();
    let lines: Vec<u64> = v["items"][0]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["level"] == "ERROR")
        .filter_map(|i| i["line"].as_u64())
        .collect();
    assert_eq!(lines, [2, 5], "{v}");
    let (run, moved, _) = archive("rename-interleaved");
    assert_eq!((run.code, moved), (1, false));
    // ADDED `late  fees` beside `Late Fees`: refused.
    let (run, moved, specs) = archive("add-case-variant");
    assert_eq!((run.code, moved), (1, false));
    assert!(!String::from_utf8_lossy(&specs["billing-case/spec.md"]).contains("late  fees"));
    // No delta specs: archived with nothing to merge.
    let (run, moved, _) = archive("no-deltas");
    assert_eq!((run.code, moved), (0, true), "{}", run.stdout);
    // A blank line is written before `## Requirements`.
    let (run, _, specs) = archive("add-to-tight");
    assert_eq!(run.code, 0);
    assert!(
        String::from_utf8_lossy(&specs["tight/spec.md"])
            .contains(&format!("{PURPOSE}\n\n## Requirements\n"))
    );
    // Numbered and other list markers count as tasks.
    let list = ours_run(t.root(), &["list", "--json"]).json();
    assert_eq!(tasks(&list)["numbered-tasks"], (2, 6), "{list}");
}
