//! `openspec nixos-check` against real Nix on fixture flakes.
mod verify_support;

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use verify_support::{Fixture, Host, host, processes_with, wait_until};

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn run(f: &Fixture, args: &[&str]) -> Output {
    f.openspec().args(args).output().expect("openspec runs")
}

#[test]
fn every_host_is_evaluated_built_and_recorded() {
    let f = Fixture::new(&[("alpha", Host::Ok), ("beta", Host::Ok), ("gamma", Host::Ok)]);
    let junit = f.path().join("junit.xml");
    let out = run(
        &f,
        &[
            "nixos-check",
            "c1",
            "--jobs",
            "2",
            "--json",
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(doc["change"], "c1");
    assert_eq!(doc["nix"]["version"], "2.8.0");
    assert_eq!(
        doc["summary"]["total"], 3,
        "default hosts are all hosts: {doc:#}"
    );
    assert_eq!(doc["summary"]["succeeded"], 3);
    assert_eq!(doc, f.report(), "stdout and the saved report agree");
    for name in ["alpha", "beta", "gamma"] {
        let h = host(&doc, name);
        assert_eq!(h["status"], "built", "{h:#}");
        let drv = h["drv_path"].as_str().unwrap();
        assert!(drv.ends_with(&format!("-nixos-system-{name}.drv")), "{drv}");
        let outp = h["out_path"].as_str().unwrap();
        assert!(std::path::Path::new(outp).exists());
        assert!(h["eval_seconds"].as_f64().unwrap() > 0.0);
        assert!(h["closure"]["head_bytes"].as_u64().unwrap() > 0);
        assert_eq!(
            h["log"],
            format!("openspec/changes/c1/verification/{name}.log")
        );
        assert!(f.path().join(h["log"].as_str().unwrap()).is_file());
        // The GC root lives in the change's folder and points at the output.
        let root = f.verification().join("gcroots").join(name);
        assert_eq!(std::fs::read_link(&root).unwrap().to_str().unwrap(), outp);
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase").count(), 3, "{xml}");
    // Only the change's folder holds GC roots of this run.
    let ours: Vec<_> = std::fs::read_dir("/nix/var/nix/gcroots/auto")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter(|t| t.starts_with(f.path()))
        .collect();
    assert_eq!(ours.len(), 3, "{ours:?}");
    assert!(
        ours.iter()
            .all(|t| t.starts_with(f.verification().join("gcroots")))
    );
}

#[test]
fn keep_going_reports_eval_error_and_failing_builder_and_builds_the_rest() {
    let f = Fixture::new(&[
        ("alpha", Host::Ok),
        ("bad", Host::EvalError),
        ("failing", Host::BuildFails),
        ("omega", Host::Ok),
    ]);
    let junit = f.path().join("junit.xml");
    let out = run(
        &f,
        &[
            "nixos-check",
            "c1",
            "--all-hosts",
            "--keep-going",
            "--jobs",
            "2",
            "--json",
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out);
    assert_eq!(doc["summary"]["failed"], 2, "{doc:#}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<failure").count(), 2, "{xml}");
    assert!(
        xml.contains("eval-failed") && xml.contains("build-failed"),
        "{xml}"
    );
    assert_eq!(host(&doc, "alpha")["status"], "built");
    assert_eq!(host(&doc, "omega")["status"], "built");
    let bad = host(&doc, "bad");
    assert_eq!(bad["status"], "eval-failed");
    let err = bad["error"].as_str().unwrap();
    assert!(
        err.starts_with("error:") && err.contains("broken module in hosts/bad"),
        "{err}"
    );
    let failing = host(&doc, "failing");
    assert_eq!(failing["status"], "build-failed");
    assert!(failing["drv_path"].as_str().is_some());
    assert!(
        failing["error"]
            .as_str()
            .unwrap()
            .contains("failed with exit code 3"),
        "{failing:#}"
    );
    let log = std::fs::read_to_string(f.verification().join("failing.log")).unwrap();
    assert!(log.contains("building failing fails on purpose"), "{log}");
    // An evaluation error in the middle of an evaluator's chunk ends that
    // host only: the hosts after it get a fresh evaluator.
    let out = run(
        &f,
        &[
            "nixos-check",
            "c1",
            "--hosts",
            "alpha,bad,omega",
            "--chunk-size",
            "3",
            "--keep-going",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out);
    assert_eq!(host(&doc, "alpha")["status"], "built", "{doc:#}");
    assert_eq!(host(&doc, "bad")["status"], "eval-failed");
    assert_eq!(host(&doc, "omega")["status"], "built");
    let bad_log = std::fs::read_to_string(f.verification().join("bad.log")).unwrap();
    assert!(bad_log.contains("broken module in hosts/bad"), "{bad_log}");
    let alpha_log = std::fs::read_to_string(f.verification().join("alpha.log")).unwrap();
    assert!(!alpha_log.contains("broken module"), "{alpha_log}");
    // Human output names the failures too.
    let out = run(&f, &["nixos-check", "c1", "--all-hosts", "--keep-going"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FAILED") && text.contains("broken module in hosts/bad"),
        "{text}"
    );
}

#[test]
fn fail_fast_stops_after_the_first_failure() {
    let f = Fixture::new(&[
        ("alpha", Host::Ok),
        ("bad", Host::EvalError),
        ("failing", Host::BuildFails),
        ("slow", Host::SlowBuild(40)),
    ]);
    let out = run(
        &f,
        &[
            "nixos-check",
            "c1",
            "--hosts",
            "bad,alpha",
            "--jobs",
            "1",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out);
    assert_eq!(host(&doc, "bad")["status"], "eval-failed");
    assert_eq!(host(&doc, "alpha")["status"], "skipped", "{doc:#}");

    let start = Instant::now();
    let out = run(
        &f,
        &[
            "nixos-check",
            "c1",
            "--hosts",
            "failing,slow",
            "--jobs",
            "1",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out);
    assert_eq!(host(&doc, "failing")["status"], "build-failed");
    let slow = host(&doc, "slow")["status"].as_str().unwrap().to_string();
    assert!(slow == "skipped" || slow == "cancelled", "{doc:#}");
    assert!(start.elapsed() < Duration::from_secs(30));
    assert!(wait_until(10, || processes_with(&f.marker).is_empty()));
}

#[test]
fn timeout_stops_a_slow_build_and_the_others_finish() {
    let f = Fixture::new(&[("alpha", Host::Ok), ("slow", Host::SlowBuild(120))]);
    let start = Instant::now();
    let out = run(
        &f,
        &[
            "nixos-check",
            "c1",
            "--all-hosts",
            "--keep-going",
            "--timeout",
            "3",
            "--json",
        ],
    );
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out);
    let slow = host(&doc, "slow");
    assert_eq!(slow["status"], "timeout", "{doc:#}");
    assert!(slow["error"].as_str().unwrap().contains("timed out"));
    assert_eq!(host(&doc, "alpha")["status"], "built");
    assert!(took < Duration::from_secs(25), "took {took:?}");
    assert!(
        wait_until(10, || processes_with(&f.marker).is_empty()),
        "builder still running: {:?}",
        processes_with(&f.marker)
    );
}

#[test]
fn timeout_stops_a_slow_evaluation_and_the_chunk_goes_on() {
    let f = Fixture::new(&[("alpha", Host::Ok), ("spin", Host::EvalSpins)]);
    let start = Instant::now();
    let out = run(
        &f,
        &[
            "nixos-check",
            "c1",
            "--hosts",
            "spin,alpha",
            "--chunk-size",
            "2",
            "--keep-going",
            "--timeout",
            "2",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out);
    let spin = host(&doc, "spin");
    assert_eq!(spin["status"], "timeout", "{doc:#}");
    assert!(
        spin["error"]
            .as_str()
            .unwrap()
            .contains("evaluation timed out")
    );
    assert!(spin["drv_path"].is_null());
    assert_eq!(host(&doc, "alpha")["status"], "built", "{doc:#}");
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(
        wait_until(10, || processes_with(&f.nix_marker).is_empty()),
        "evaluator left running: {:?}",
        processes_with(&f.nix_marker)
    );
}

#[test]
fn sigint_kills_every_child_and_leaves_a_partial_report() {
    let f = Fixture::new(&[
        ("alpha", Host::Ok),
        ("slow1", Host::SlowBuild(120)),
        ("slow2", Host::SlowBuild(120)),
    ]);
    let mut child = f
        .openspec()
        .args([
            "nixos-check",
            "c1",
            "--all-hosts",
            "--keep-going",
            "--jobs",
            "2",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    assert!(
        wait_until(60, || processes_with(&f.marker).len() >= 2),
        "the slow builders never started"
    );
    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT");
    let start = Instant::now();
    let out = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "did not exit after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!out.success(), "exit status after SIGINT: {out:?}");
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let doc: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(doc["interrupted"], true);
    let report = f.report();
    assert_eq!(report["interrupted"], true);
    for name in ["slow1", "slow2"] {
        assert_eq!(host(&report, name)["status"], "cancelled", "{report:#}");
    }
    // Nothing of ours is left: no builder, no nix process.
    assert!(
        wait_until(10, || processes_with(&f.marker).is_empty()
            && processes_with(&f.nix_marker).is_empty()),
        "left behind: builders {:?}, nix {:?}",
        processes_with(&f.marker),
        processes_with(&f.nix_marker)
    );
}

#[test]
fn dry_run_prints_the_plan_and_runs_nothing() {
    let f = Fixture::new(&[("alpha", Host::Ok), ("beta", Host::Ok)]);
    let out = run(
        &f,
        &["nixos-check", "c1", "--all-hosts", "--dry-run", "--json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(doc["dry_run"], true);
    let alpha = host(&doc, "alpha");
    let cmds: Vec<&str> = alpha["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        cmds[0].starts_with("nix eval --json") && cmds[0].contains("\"alpha\""),
        "{cmds:?}"
    );
    assert!(
        cmds[1].starts_with("nix build --json") && cmds[1].contains("gcroots/alpha"),
        "{cmds:?}"
    );
    assert!(!f.verification().exists(), "a dry run wrote files");
    let out = run(&f, &["nixos-check", "c1", "--hosts", "beta", "--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("nothing was run") && text.contains("nix build"),
        "{text}"
    );
    assert!(!f.verification().exists());
}

/// An unknown `--hosts` name stops the check before any evaluation, with
/// the closest known name; nothing is written.
#[test]
fn unknown_host_stops_before_anything_runs() {
    let f = Fixture::new(&[("alpha", Host::Ok)]);
    let out = run(
        &f,
        &["nixos-check", "c1", "--hosts", "alpha,alpa", "--json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let doc = json_of(&out);
    let err = doc["error"]["message"].as_str().unwrap();
    assert!(
        err.contains("unknown host(s) in --hosts: \"alpa\"; did you mean \"alpha\"?"),
        "{err}"
    );
    assert_eq!(doc["hosts"], serde_json::json!([]));
    assert!(
        !f.verification().exists(),
        "nothing runs, nothing is written"
    );
}

#[test]
fn missing_nix_is_an_environment_error() {
    let f = Fixture::new(&[("alpha", Host::Ok)]);
    let empty = tempfile::tempdir().unwrap();
    let out = f
        .openspec()
        .env("PATH", empty.path())
        .args(["nixos-check", "c1", "--all-hosts", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc = json_of(&out);
    let msg = doc["error"]["message"].as_str().unwrap();
    assert!(msg.contains("nix is not installed"), "{msg}");
}

#[test]
fn broken_flake_and_unknown_change_are_clear_errors() {
    let f = Fixture::new(&[("alpha", Host::Ok)]);
    verify_support::write(
        f.path(),
        "flake.nix",
        "{ outputs = { self }: { nixosConfigurations = ; }; }\n",
    );
    let out = run(&f, &["nixos-check", "c1", "--all-hosts", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let msg = json_of(&out)["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("cannot list the hosts") && msg.contains("syntax error"),
        "{msg}"
    );
    let out = run(&f, &["nixos-check", "no-such-change", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let msg = json_of(&out)["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("no change \"no-such-change\""), "{msg}");
}

#[test]
fn without_a_change_the_report_goes_where_asked() {
    let f = Fixture::new(&[("alpha", Host::Ok)]);
    let report = f.path().join("out/check.json");
    let out = run(
        &f,
        &[
            "nixos-check",
            "--hosts",
            "alpha",
            "--eval-only",
            "--report",
            report.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(host(&doc, "alpha")["status"], "evaluated");
    assert!(host(&doc, "alpha")["out_path"].is_null());
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(saved["hosts"], doc["hosts"]);
    assert!(f.path().join("out/check.logs/alpha.log").is_file());
    assert_eq!(host(&doc, "alpha")["log"], "out/check.logs/alpha.log");
    assert!(!f.verification().exists());
}

#[test]
fn remote_building_flags_reach_every_nix_call() {
    let f = Fixture::new(&[("alpha", Host::Ok)]);
    let out = run(
        &f,
        &[
            "nixos-check",
            "c1",
            "--hosts",
            "alpha",
            "--builders",
            "",
            "--eval-store",
            "auto",
            "--option",
            "max-jobs",
            "1",
            "--option",
            "cores",
            "1",
            "--json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(host(&json_of(&out), "alpha")["status"], "built");
    let log = std::fs::read_to_string(f.verification().join("alpha.log")).unwrap();
    let build = log.lines().find(|l| l.starts_with("$ nix build")).unwrap();
    assert!(
        build.contains("--builders ''")
            && build.contains("--eval-store auto")
            && build.contains("--option max-jobs 1 --option cores 1"),
        "{build}"
    );
    // A store Nix cannot reach is an environment error with Nix's own words.
    let out = run(
        &f,
        &[
            "nixos-check",
            "c1",
            "--hosts",
            "alpha",
            "--store",
            "unix:///tmp/openspec-test-no-such-daemon.sock",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let msg = json_of(&out)["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("cannot connect to socket"), "{msg}");
}
