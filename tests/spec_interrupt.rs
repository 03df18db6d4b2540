//! SIGKILL at random points of a real archive: after the documented recovery
//! step (`openspec archive --recover`), every run leaves `openspec/` either
//! byte-for-byte as before or byte-for-byte as after a complete archive.
mod spec_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use spec_support::{Tree, main_spec, req};

const OK: &str = "The system SHALL work.";

/// `snapshot` with the `history` of tracking files dropped: it records the
/// time and revision of the archive, which differ from run to run.
fn stable(mut snap: BTreeMap<String, Option<Vec<u8>>>) -> BTreeMap<String, Option<Vec<u8>>> {
    for (k, v) in snap.iter_mut() {
        if k.ends_with("tracking.json")
            && let Some(bytes) = v
            && let Ok(serde_json::Value::Object(mut m)) = serde_json::from_slice(bytes)
        {
            m.remove("history");
            *bytes = serde_json::to_vec(&m).expect("JSON");
        }
    }
    snap
}

fn fixture() -> Tree {
    let t = Tree::new();
    t.spec(
        "auth",
        &main_spec(
            "auth",
            &[&req("Login", OK, &["ok"]), &req("Legacy", OK, &["old"])],
        ),
    );
    t.spec(
        "net",
        &main_spec("net", &[&req("Firewall", OK, &["closed"])]),
    );
    t.spec(
        "disks",
        &main_spec(
            "disks",
            &[&req("Disko", OK, &["layout"]), &req("Swap", OK, &["swap"])],
        ),
    );
    t.change(
        "big",
        &[
            ("auth", &format!("## RENAMED Requirements\n- FROM: `### Requirement: Login`\n- TO: `### Requirement: Sign in`\n## REMOVED Requirements\n- `### Requirement: Legacy`\n## ADDED Requirements\n{}", req("Tokens", OK, &["t"]))),
            ("net", &format!("## MODIFIED Requirements\n{}", req("Firewall", "The firewall SHALL drop by default.", &["closed", "logged"]))),
            ("disks", "## REMOVED Requirements\n- `### Requirement: Swap`\n"),
            ("fresh/nested", &format!("## ADDED Requirements\n{}", req("New", OK, &["n"]))),
        ],
    );
    t.write(
        "openspec/changes/big/tracking.json",
        r#"{"kind":"host","phase":3,"state":"verified","created":"2026-01-01T00:00:00Z","reviews":[]}"#,
    );
    t
}

fn run(root: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_openspec"))
        .arg("--root")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn")
}

const ARCHIVE: &[&str] = &[
    "archive",
    "big",
    "--yes",
    "--lessons",
    "Order the host rebuilds.",
    "--json",
];

/// xorshift: enough randomness for kill times, reproducible from the printed seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn sigkill_at_random_points_leaves_old_or_new_state() {
    let old = stable(fixture().snapshot());
    let reference = fixture();
    let started = Instant::now();
    let status = run(reference.root(), ARCHIVE).wait().unwrap();
    let full = started.elapsed();
    assert!(status.success());
    let new = stable(reference.snapshot());
    assert_ne!(old, new);

    let runs: usize = std::env::var("SPEC_KILL_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    let window = (full.as_micros() as u64 * 12 / 10).max(1);
    let (mut olds, mut news, mut recovered) = (0, 0, 0);
    for i in 0..runs {
        let t = fixture();
        let delay = if i == 0 { 0 } else { rng.next() % window };
        let mut child = run(t.root(), ARCHIVE);
        std::thread::sleep(Duration::from_micros(delay));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let before_recovery = stable(t.snapshot());
        if before_recovery != old && before_recovery != new {
            recovered += 1;
        }
        let status = run(t.root(), &["archive", "--recover", "--json"])
            .wait()
            .unwrap();
        assert!(
            status.success(),
            "run {i} (seed {seed}, delay {delay}us): recovery failed"
        );
        let after: BTreeMap<_, _> = stable(t.snapshot());
        if after == old {
            olds += 1;
        } else if after == new {
            news += 1;
        } else {
            let diff: Vec<_> = after
                .keys()
                .filter(|k| old.get(*k) != after.get(*k) && new.get(*k) != after.get(*k))
                .collect();
            panic!(
                "run {i} (seed {seed}, delay {delay}us): neither old nor new state; differing paths {diff:?}; all: {:?}",
                after.keys().collect::<Vec<_>>()
            );
        }
    }
    eprintln!(
        "{runs} kills over a {window}us window (seed {seed}): {olds} old, {news} new, {recovered} needed recovery"
    );
    assert!(olds >= 1, "the kill at 0us must leave the old state");
}
