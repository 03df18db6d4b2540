//! The one way openspec writes a file that matters: a temporary file in the
//! same directory, fsync, rename. A reader never sees a half-written file.
use std::io::Write;
use std::path::Path;

/// Write `bytes` to `path` atomically (temp file in the same directory, fsync, rename).
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
pub fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    injected_fault(path)?;
    let mut f = std::fs::File::create_new(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// fsync a directory so renames and removals in it are durable.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Fault injection for tests (root ignores permissions, so tests cannot make
/// a write fail otherwise): when `OPENSPEC_FAULT_WRITE` is set, a write whose
/// path contains that text fails.
fn injected_fault(path: &Path) -> std::io::Result<()> {
    match std::env::var_os("OPENSPEC_FAULT_WRITE") {
        Some(v) if !v.is_empty() && path.to_string_lossy().contains(&*v.to_string_lossy()) => Err(
            std::io::Error::other("injected write failure (OPENSPEC_FAULT_WRITE)"),
        ),
        _ => Ok(()),
    }
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
