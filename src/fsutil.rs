//! The one way openspec writes a file that matters: a temporary file in the
//! same directory, fsync, rename. A reader never sees a half-written file.
//!
//! With the `fault-injection` cargo feature (tests only), a write can be made
//! to fail on purpose; see `injected_fault`.
use std::io::Write;
use std::path::Path;

/// Write `bytes` to `path` atomically (temp file `.openspec-tmp-*` in the
/// same directory, fsync, rename, then a best-effort fsync of the directory).
/// An existing file is replaced.
///
/// Errors: the `io::Error` of creating, writing, syncing or renaming; the
/// temp file is removed on failure and `path` is left as it was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    injected_fault(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".openspec-tmp-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // The rename is durable only once the directory entry is on disk.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Write `bytes` to a new file at `path` (which must not exist) and fsync it,
/// without renaming: the staging half of a multi-file operation that renames
/// everything later.
///
/// Errors: `AlreadyExists` when `path` exists, else the `io::Error` of
/// creating, writing or syncing (a partly written file may remain).
pub fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    injected_fault(path)?;
    let mut f = std::fs::File::create_new(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// fsync a directory so renames and removals in it are durable (best effort:
/// failures are ignored).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Fault injection for tests (root ignores permissions, so tests cannot make
/// a write fail otherwise): when `OPENSPEC_FAULT_WRITE` is set to a non-empty
/// text, a write whose path (as lossy UTF-8) contains that text fails with an
/// `io::ErrorKind::Other` error before anything is written.
///
/// Compiled only with the `fault-injection` cargo feature, which the test
/// suite turns on; builds without it (every `cargo build`, the released
/// binary) use the no-op below and never read the variable.
#[cfg(feature = "fault-injection")]
fn injected_fault(path: &Path) -> std::io::Result<()> {
    match std::env::var_os("OPENSPEC_FAULT_WRITE") {
        Some(v) if !v.is_empty() && path.to_string_lossy().contains(&*v.to_string_lossy()) => Err(
            std::io::Error::other("injected write failure (OPENSPEC_FAULT_WRITE)"),
        ),
        _ => Ok(()),
    }
}

/// Without the `fault-injection` feature no write is ever made to fail.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
fn injected_fault(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.md");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn fails_when_target_is_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("occupied");
        std::fs::create_dir(&p).unwrap();
        assert!(write_atomic(&p, b"x").is_err());
        assert!(p.is_dir());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
