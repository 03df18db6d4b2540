//! JUnit XML of a run, one test case per host, for CI dashboards.
use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::report::{CheckReport, HostStatus};

pub fn render(report: &CheckReport) -> Result<String, quick_junit::SerializeError> {
    let mut suite = TestSuite::new("nixos-check");
    for h in &report.hosts {
        let status = match h.status {
            HostStatus::Built | HostStatus::Evaluated => TestCaseStatus::success(),
            HostStatus::Skipped | HostStatus::Cancelled | HostStatus::Pending => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(h.status.as_str());
                s
            }
            failed => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(failed.as_str());
                if let Some(e) = &h.error {
                    s.set_description(e.as_str());
                }
                s
            }
        };
        let mut case = TestCase::new(h.name.as_str(), status);
        case.set_classname("nixosConfigurations");
        let secs = h.eval_seconds.unwrap_or(0.0) + h.build_seconds.unwrap_or(0.0);
        case.set_time(Duration::from_secs_f64(secs.max(0.0)));
        suite.add_test_case(case);
    }
    let mut junit = Report::new("openspec nixos-check");
    junit.set_time(Duration::from_secs_f64(report.wall_seconds.max(0.0)));
    junit.add_test_suite(suite);
    junit.to_string()
}

pub fn save(report: &CheckReport, path: &Path) -> std::io::Result<()> {
    let xml = render(report).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(path, xml.as_bytes())
}
