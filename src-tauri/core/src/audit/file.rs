//! The JSON Lines file behind a connected vault's log: opening (with torn-tail repair), durable
//! appends that never leave a half line, and the lock that keeps two console windows from
//! forking the chain.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::chain::LineRecord;
use super::error::AuditError;
use super::{AuditEntry, OpenReport, TornTail};
use crate::files::sync_data_durably;

pub(crate) struct FileLog {
    path: PathBuf,
    file: File,
    /// Held (and locked) for as long as the log is open. A separate file is locked rather than
    /// the log itself because Windows locks are mandatory and would stop `verify` from re-reading
    /// the log by path.
    _lock: File,
    /// Set when a failed append may have left bytes that could not be cut off at once: the next
    /// append cuts the file back to this length first.
    cut_back_to: Option<u64>,
}

pub(crate) struct Opened {
    pub log: FileLog,
    pub entries: Vec<AuditEntry>,
    pub report: OpenReport,
}

/// `<log file name><suffix>` in the log's folder.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "audit.jsonl".into());
    name.push(suffix);
    path.with_file_name(name)
}

pub(crate) fn torn_path(path: &Path) -> PathBuf {
    sibling(path, ".torn")
}

fn lock_path(path: &Path) -> PathBuf {
    sibling(path, ".lock")
}

/// Make a newly created file's directory entry durable (POSIX needs the directory fsynced;
/// Windows has no directory handles for this and makes the entry durable with the file).
fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        crate::files::sync_durably(&File::open(parent)?)?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn open_error(path: &Path) -> impl FnOnce(io::Error) -> AuditError + '_ {
    move |source| AuditError::Open {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn open(path: &Path) -> Result<Opened, AuditError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(open_error(path))?;
    }

    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(path))
        .map_err(open_error(path))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(AuditError::InUse {
                path: path.to_path_buf(),
            });
        }
        // Some network file systems cannot lock; the log still works, just unguarded.
        Err(TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => {}
        Err(TryLockError::Error(e)) => return Err(open_error(path)(e)),
    }

    // Read and write, not append: on Windows an append-only handle lacks FILE_WRITE_DATA, so the
    // torn-tail repair's `set_len` would fail there (rust-lang/rust#105437) and block the
    // connect for good. Appends seek to the end themselves; the lock makes this the only writer.
    let (mut file, created) = match OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(file) => (file, true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => (
            OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(open_error(path))?,
            false,
        ),
        Err(e) => return Err(open_error(path)(e)),
    };
    if created {
        sync_parent(path).map_err(open_error(path))?;
    }

    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut bytes))
        .map_err(open_error(path))?;

    let torn_tail = if bytes.last().is_some_and(|&b| b != b'\n') {
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let moved_to = move_torn_tail_aside(path, &file, &bytes[complete..], complete as u64)?;
        let torn_bytes = (bytes.len() - complete) as u64;
        bytes.truncate(complete);
        Some(TornTail {
            bytes: torn_bytes,
            moved_to: moved_to.display().to_string(),
        })
    } else {
        None
    };

    // Empty pieces: the split's last one after the final newline, or a blank line (verify
    // reports those).
    let lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .collect();
    let parsed = super::lines::map_lines(&lines, |line| {
        serde_json::from_slice::<LineRecord>(line)
            .ok()
            .and_then(|r| r.to_entry())
    });
    let unreadable_lines = parsed.iter().filter(|entry| entry.is_none()).count() as u64;
    let entries: Vec<_> = parsed.into_iter().flatten().collect();

    let report = OpenReport {
        created,
        entries: entries.len() as u64,
        unreadable_lines,
        torn_tail,
    };
    Ok(Opened {
        log: FileLog {
            path: path.to_path_buf(),
            file,
            _lock: lock,
            cut_back_to: None,
        },
        entries,
        report,
    })
}

/// Copy the torn bytes to `<log>.torn` (appended, durably) and only then cut the log back to its
/// last complete line, so a crash in between leaves the bytes in both places, never in neither.
///
/// A repair whose cut failed (or was interrupted) is retried at the next open with the same torn
/// bytes; they are then already the last record of `.torn` and are not copied a second time.
fn move_torn_tail_aside(
    path: &Path,
    file: &File,
    torn: &[u8],
    complete_len: u64,
) -> Result<PathBuf, AuditError> {
    let torn_path = torn_path(path);
    let repair_error = |source| AuditError::Repair {
        path: path.to_path_buf(),
        torn_path: torn_path.clone(),
        source,
    };
    let existed = torn_path.exists();
    let mut aside = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(&torn_path)
        .map_err(repair_error)?;
    // Each moved tail ends with a newline so several recoveries stay apart in the .torn file.
    let record = [torn, b"\n"].concat();
    if !ends_with(&mut aside, &record).map_err(repair_error)? {
        aside
            .write_all(&record)
            .and_then(|()| sync_data_durably(&aside))
            .map_err(repair_error)?;
    }
    if !existed {
        sync_parent(&torn_path).map_err(repair_error)?;
    }
    file.set_len(complete_len)
        .and_then(|()| sync_data_durably(file))
        .map_err(repair_error)?;
    Ok(torn_path)
}

/// Whether the file's last bytes are `tail` (reads only that many bytes from the end).
fn ends_with(file: &mut File, tail: &[u8]) -> io::Result<bool> {
    let len = file.metadata()?.len();
    let Ok(tail_len) = u64::try_from(tail.len()) else {
        return Ok(false);
    };
    if len < tail_len {
        return Ok(false);
    }
    let mut last = vec![0; tail.len()];
    file.seek(SeekFrom::Start(len - tail_len))?;
    file.read_exact(&mut last)?;
    Ok(last == tail)
}

impl FileLog {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append complete lines and fsync them. On any failure the file is cut back to where it
    /// was, so a failed append never leaves a partial line behind.
    pub fn append_lines(&mut self, lines: &[u8]) -> Result<(), AuditError> {
        append_durably(&mut self.file, lines, &mut self.cut_back_to).map_err(
            |failure| match failure {
                AppendFailure::StillUncut(source) => AuditError::Unusable {
                    path: self.path.clone(),
                    source,
                },
                AppendFailure::Write(source) => AuditError::Write {
                    path: self.path.clone(),
                    source,
                },
            },
        )
    }

    #[cfg(test)]
    pub fn replace_handle_for_test(&mut self, file: File) -> File {
        std::mem::replace(&mut self.file, file)
    }
}

/// The file operations an append needs: a trait so tests can make a write fail half-way, which a
/// real disk rarely does on demand.
trait AppendTarget {
    fn current_len(&self) -> io::Result<u64>;
    fn append_bytes(&mut self, bytes: &[u8]) -> io::Result<()>;
    fn flush_to_disk(&self) -> io::Result<()>;
    fn cut_to(&self, len: u64) -> io::Result<()>;
}

impl AppendTarget for File {
    fn current_len(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
    fn append_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        // The handle is not in append mode (see `open`): every append starts at the end.
        Seek::seek(self, SeekFrom::End(0))?;
        Write::write_all(self, bytes)
    }
    fn flush_to_disk(&self) -> io::Result<()> {
        sync_data_durably(self)
    }
    fn cut_to(&self, len: u64) -> io::Result<()> {
        File::set_len(self, len)
    }
}

#[derive(Debug)]
enum AppendFailure {
    /// Bytes of an earlier failed append are still there and could not be cut off.
    StillUncut(io::Error),
    Write(io::Error),
}

/// Write `bytes` at the end and fsync; on failure cut the target back to its previous length. If
/// that cut fails too, remember the length in `cut_back_to` and retry the cut before the next
/// write, refusing to write after a partial line.
fn append_durably(
    target: &mut impl AppendTarget,
    bytes: &[u8],
    cut_back_to: &mut Option<u64>,
) -> Result<(), AppendFailure> {
    if let Some(len) = *cut_back_to {
        target
            .cut_to(len)
            .and_then(|()| target.flush_to_disk())
            .map_err(AppendFailure::StillUncut)?;
        *cut_back_to = None;
    }
    let before = target.current_len().map_err(AppendFailure::Write)?;
    let written = target
        .append_bytes(bytes)
        .and_then(|()| target.flush_to_disk());
    if let Err(source) = written {
        let untouched = target.current_len().is_ok_and(|len| len == before);
        if !untouched {
            let cut = target.cut_to(before).and_then(|()| target.flush_to_disk());
            if cut.is_err() {
                *cut_back_to = Some(before);
            }
        }
        return Err(AppendFailure::Write(source));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};

    /// A target that can fail a write half-way, fail the fsync, or refuse to be cut.
    #[derive(Default)]
    struct FlakyTarget {
        data: RefCell<Vec<u8>>,
        write_only: Option<usize>,
        fail_sync: bool,
        fail_cut: Cell<bool>,
    }

    impl AppendTarget for FlakyTarget {
        fn current_len(&self) -> io::Result<u64> {
            Ok(self.data.borrow().len() as u64)
        }
        fn append_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
            match self.write_only {
                Some(n) if n < bytes.len() => {
                    self.data.borrow_mut().extend_from_slice(&bytes[..n]);
                    Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
                }
                _ => {
                    self.data.borrow_mut().extend_from_slice(bytes);
                    Ok(())
                }
            }
        }
        fn flush_to_disk(&self) -> io::Result<()> {
            if self.fail_sync {
                Err(io::Error::other("fsync failed"))
            } else {
                Ok(())
            }
        }
        fn cut_to(&self, len: u64) -> io::Result<()> {
            if self.fail_cut.get() {
                return Err(io::Error::other("cannot truncate"));
            }
            self.data.borrow_mut().truncate(len as usize);
            Ok(())
        }
    }

    #[test]
    fn a_repair_retried_after_a_failed_cut_keeps_one_copy_of_the_torn_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("contoso.jsonl");
        std::fs::write(&path, b"{\"seq\":1}\n{\"seq\":2,\"ti").expect("write");
        let torn = b"{\"seq\":2,\"ti";
        let complete = 10;
        // A handle that cannot be cut stands for Windows' append-only handle: the copy is made,
        // the cut fails, and the connect is retried.
        let read_only = File::open(&path).expect("open");
        for _ in 0..2 {
            assert!(matches!(
                move_torn_tail_aside(&path, &read_only, torn, complete),
                Err(AuditError::Repair { .. })
            ));
        }
        let writable = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .expect("open");
        move_torn_tail_aside(&path, &writable, torn, complete).expect("repair");
        assert_eq!(
            std::fs::read(torn_path(&path)).expect("torn"),
            [&torn[..], b"\n"].concat(),
            "the torn bytes are kept once, not once per attempt"
        );
        assert_eq!(std::fs::read(&path).expect("log"), b"{\"seq\":1}\n");

        // A later crash that tears a different line is still added.
        std::fs::write(&path, b"{\"seq\":1}\n{\"se").expect("write");
        move_torn_tail_aside(&path, &writable, b"{\"se", complete).expect("repair");
        assert_eq!(
            std::fs::read(torn_path(&path)).expect("torn"),
            [&torn[..], b"\n{\"se\n"].concat()
        );
    }

    #[test]
    fn an_append_after_a_repair_follows_the_last_complete_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("contoso.jsonl");
        std::fs::write(&path, b"{\"seq\":1}\n{\"seq\":2,\"ti").expect("write");
        let mut opened = open(&path).expect("open");
        assert!(opened.report.torn_tail.is_some());
        opened.log.append_lines(b"{\"seq\":2}\n").expect("append");
        assert_eq!(
            std::fs::read(&path).expect("log"),
            b"{\"seq\":1}\n{\"seq\":2}\n",
            "no gap of zero bytes where the torn line was"
        );
    }

    fn target_with(existing: &[u8]) -> FlakyTarget {
        FlakyTarget {
            data: RefCell::new(existing.to_vec()),
            ..FlakyTarget::default()
        }
    }

    #[test]
    fn a_write_that_stops_half_way_is_cut_back() {
        let mut target = FlakyTarget {
            write_only: Some(7),
            ..target_with(b"{\"seq\":1}\n")
        };
        let mut cut_back_to = None;
        let result = append_durably(&mut target, b"{\"seq\":2}\n", &mut cut_back_to);
        assert!(matches!(result, Err(AppendFailure::Write(_))));
        assert_eq!(target.data.borrow().as_slice(), b"{\"seq\":1}\n");
        assert_eq!(cut_back_to, None);
    }

    #[test]
    fn a_failed_fsync_takes_the_unconfirmed_line_back_out() {
        let mut target = FlakyTarget {
            fail_sync: true,
            ..target_with(b"{\"seq\":1}\n")
        };
        let mut cut_back_to = None;
        assert!(append_durably(&mut target, b"{\"seq\":2}\n", &mut cut_back_to).is_err());
        assert_eq!(target.data.borrow().as_slice(), b"{\"seq\":1}\n");
    }

    #[test]
    fn a_half_line_that_cannot_be_cut_blocks_writes_until_it_is() {
        let mut target = FlakyTarget {
            write_only: Some(4),
            ..target_with(b"A\n")
        };
        target.fail_cut.set(true);
        let mut cut_back_to = None;
        assert!(append_durably(&mut target, b"BBBBBBBB\n", &mut cut_back_to).is_err());
        assert_eq!(cut_back_to, Some(2));

        // Still cannot cut: nothing is written after the half line.
        target.write_only = None;
        let result = append_durably(&mut target, b"C\n", &mut cut_back_to);
        assert!(matches!(result, Err(AppendFailure::StillUncut(_))));
        assert_eq!(target.data.borrow().as_slice(), b"A\nBBBB");

        // Once the cut works, the half line goes and the new line follows the last complete one.
        target.fail_cut.set(false);
        append_durably(&mut target, b"C\n", &mut cut_back_to).expect("append");
        assert_eq!(target.data.borrow().as_slice(), b"A\nC\n");
        assert_eq!(cut_back_to, None);
    }
}
