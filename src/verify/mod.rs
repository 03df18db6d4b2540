//! Parallel evaluation and builds of hosts, progress, reports.
