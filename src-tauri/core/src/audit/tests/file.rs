//! The log file: reopening, torn lines, one window per log, failed writes, demo mode.

use super::*;

#[test]
fn a_torn_last_line_is_reported_then_moved_aside_and_recorded_on_reopen() {
    let dir = TempDir::new().expect("tempdir");
    let path = log_path(&dir);
    let log = file_log(&dir, 5);
    let anchor = log.head().expect("head");

    // A crash in the middle of writing entry #6: part of a line, no newline.
    let torn = b"{\"v\":1,\"seq\":6,\"timestamp\":\"2025-03-01T09:31";
    let mut bytes = std::fs::read(&path).expect("read");
    let complete_len = bytes.len();
    bytes.extend_from_slice(torn);
    std::fs::write(&path, &bytes).expect("write");

    // Verify re-reads the file and reports it.
    let report = log.verify(Some(&anchor));
    assert!(!report.intact);
    let problem = problem(&report);
    assert_eq!(problem.kind, ProblemKind::TornLine);
    assert_eq!(problem.line, Some(6));
    assert_eq!(report.entries_checked, 5);
    assert!(
        problem
            .message
            .contains(&format!("({} bytes) is incomplete", torn.len()))
    );
    assert!(
        report.summary.starts_with("Needs attention"),
        "{}",
        report.summary
    );
    assert_eq!(report.anchor, AnchorCheck::Matched);
    drop(log);

    // Reopening moves the torn bytes aside and cuts the log back to its last complete line.
    let (mut log, opened) = AuditLog::open(&path).expect("reopen");
    let torn_tail = opened.torn_tail.clone().expect("torn tail reported");
    assert_eq!(torn_tail.bytes, torn.len() as u64);
    assert!(
        torn_tail.moved_to.ends_with(".audit.jsonl.torn"),
        "{}",
        torn_tail.moved_to
    );
    let aside = std::fs::read(&torn_tail.moved_to).expect("torn file");
    assert_eq!(aside, [&torn[..], b"\n"].concat());
    assert_eq!(std::fs::read(&path).expect("read").len(), complete_len);
    assert_eq!(opened.entries, 5);
    assert!(log.verify(Some(&anchor)).intact);

    // The next action first records the recovery, then itself; the chain continues intact.
    let rotated = log
        .append(sample(4), &actor(), at(40))
        .expect("append after recovery");
    assert_eq!(rotated.seq, 7);
    let recovery = &log.entries()[5];
    assert_eq!(recovery.seq, 6);
    assert_eq!(recovery.action, AuditAction::LogRecovery);
    assert_eq!(recovery.prev_hash, anchor.hash);
    assert!(recovery.note.contains(&format!("{} bytes", torn.len())));
    assert!(recovery.note.contains(".torn"));
    assert_eq!(recovery.user, "Dana Reyes");
    let after = log.verify(Some(&log.head().expect("head")));
    assert!(after.intact, "{after:?}");
    assert_eq!(after.entries_checked, 7);

    // Only once: a further append records no second recovery.
    let next = log.append(sample(5), &actor(), at(41)).expect("append");
    assert_eq!(next.seq, 8);
    assert_eq!(next.action, AuditAction::Retrieve);
}

#[test]
fn reopening_continues_the_sequence_and_the_chain() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 4);
    let before: Vec<AuditEntry> = log.entries().to_vec();
    drop(log);

    let (mut log, opened) = AuditLog::open(&log_path(&dir)).expect("reopen");
    assert!(!opened.created);
    assert_eq!(opened.entries, 4);
    assert_eq!(opened.torn_tail, None);
    assert_eq!(
        log.entries(),
        &before[..],
        "reloaded entries equal the written ones"
    );

    let next = log.append(sample(5), &actor(), at(5)).expect("append");
    assert_eq!(next.seq, 5);
    assert_eq!(next.prev_hash, before[3].hash);
    let report = log.verify(Some(&log.head().expect("head")));
    assert!(report.intact, "{report:?}");
    assert_eq!(report.entries_checked, 5);
}

#[test]
fn the_file_is_created_with_its_folder_and_every_append_is_on_disk() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir
        .path()
        .join("app-data")
        .join("audit")
        .join("vault-a.jsonl");
    let (mut log, opened) = AuditLog::open(&path).expect("open");
    assert!(opened.created);
    assert_eq!(opened.entries, 0);
    assert_eq!(log.path(), Some(path.as_path()));
    assert!(path.exists());

    for i in 1..=3 {
        log.append(sample(i), &actor(), at(i as u32))
            .expect("append");
        // Read back through a separate handle after each append: the line is complete on disk.
        let lines = read_lines(&path);
        assert_eq!(lines.len(), i as usize);
        let last: LineRecord = serde_json::from_str(&lines[i as usize - 1]).expect("parse");
        assert_eq!(last.seq, i);
    }
    assert!(log.verify(Some(&log.head().expect("head"))).intact);
}

/// On Windows `con.jsonl` is the console device, not a file: the log of a vault named `con` is
/// `con_.jsonl`, and it keeps and re-reads its entries like any other (run in the Wine lane).
#[test]
fn the_log_of_a_vault_named_like_a_windows_device_is_a_real_file() {
    let dir = TempDir::new().expect("tempdir");
    for vault in ["con", "aux", "nul", "prn", "com1", "lpt9"] {
        let path = crate::config::audit_log_path(dir.path(), vault);
        {
            let (mut log, opened) = AuditLog::open(&path).expect("open");
            assert!(opened.created, "{vault}");
            for i in 1..=2 {
                log.append(sample(i), &actor(), at(i as u32))
                    .expect("append");
            }
        }
        assert_eq!(
            read_lines(&path).len(),
            2,
            "{vault}: the entries are on disk"
        );
        let (_, reopened) = AuditLog::open(&path).expect("reopen");
        assert_eq!(reopened.entries, 2, "{vault}");
        assert!(!reopened.created, "{vault}");
    }
}

#[test]
fn a_second_window_cannot_open_the_same_log() {
    let dir = TempDir::new().expect("tempdir");
    let first = file_log(&dir, 1);
    let error = match AuditLog::open(&log_path(&dir)) {
        Ok(_) => panic!("second open succeeded"),
        Err(error) => error,
    };
    assert_eq!(error.code(), "audit-log-in-use");
    assert!(error.hint().contains("other console window"));
    drop(first);
    assert!(
        AuditLog::open(&log_path(&dir)).is_ok(),
        "the lock ends with the log"
    );
}

#[test]
fn a_failed_write_is_loud_and_leaves_no_half_line() {
    let dir = TempDir::new().expect("tempdir");
    let path = log_path(&dir);
    let mut log = file_log(&dir, 3);
    let bytes_before = std::fs::read(&path).expect("read");

    // Swap in a read-only handle so the write fails the way a full or vanished disk would.
    let read_only = std::fs::File::open(&path).expect("read-only handle");
    let Store::File(file) = &mut log.store else {
        panic!("file log expected")
    };
    let writable = file.replace_handle_for_test(read_only);

    let error = log
        .append(sample(4), &actor(), at(4))
        .expect_err("write must fail");
    assert_eq!(error.code(), "audit-write-failed");
    assert!(
        error
            .to_string()
            .starts_with("The audit entry could not be written to")
    );
    assert!(error.hint().contains("The action was not recorded"));
    assert_eq!(
        std::fs::read(&path).expect("read"),
        bytes_before,
        "no partial line"
    );
    assert_eq!(log.entries().len(), 3, "nothing recorded in memory either");
    assert!(log.verify(None).intact);

    // Once the disk is writable again the chain continues where it was.
    let Store::File(file) = &mut log.store else {
        panic!("file log expected")
    };
    file.replace_handle_for_test(writable);
    let next = log.append(sample(4), &actor(), at(4)).expect("append");
    assert_eq!(next.seq, 4);
    assert!(log.verify(Some(&log.head().expect("head"))).intact);
}

#[test]
fn a_bulk_rotation_writes_one_entry_per_key_all_or_nothing() {
    let dir = TempDir::new().expect("tempdir");
    let path = log_path(&dir);
    let mut log = file_log(&dir, 2);
    let bulk = |keys: &[&str]| -> Vec<NewEntry> {
        keys.iter()
            .map(|key| {
                NewEntry::new(AuditAction::Rotate)
                    .vendor(*key)
                    .key_name(*key)
                    .note("Bulk rotation")
            })
            .collect()
    };

    let stored = log
        .append_batch(bulk(&["ninjaone", "meraki", "pax8"]), &actor(), at(30))
        .expect("batch");
    let seqs: Vec<u64> = stored.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [3, 4, 5]);
    let vendors: Vec<&str> = stored.iter().filter_map(|e| e.vendor.as_deref()).collect();
    assert_eq!(vendors, ["ninjaone", "meraki", "pax8"]);
    assert_eq!(stored[0].prev_hash, log.entries()[1].hash);
    assert_eq!(read_lines(&path).len(), 5);
    assert!(log.verify(Some(&log.head().expect("head"))).intact);
    assert_eq!(
        log.append_batch(Vec::new(), &actor(), at(31))
            .expect("empty"),
        []
    );

    // A failed batch records none of its entries.
    let bytes_before = std::fs::read(&path).expect("read");
    let Store::File(file) = &mut log.store else {
        panic!("file log expected")
    };
    file.replace_handle_for_test(std::fs::File::open(&path).expect("read-only handle"));
    let error = log
        .append_batch(bulk(&["datto-rmm", "pax8"]), &actor(), at(32))
        .expect_err("write must fail");
    assert_eq!(error.code(), "audit-write-failed");
    assert_eq!(std::fs::read(&path).expect("read"), bytes_before);
    assert_eq!(log.entries().len(), 5);
}

#[test]
fn verify_reads_the_file_not_the_entries_in_memory() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 5);
    let path = log_path(&dir);
    let mut lines = read_lines(&path);
    lines[0] = lines[0].replacen("sentinelone--eu", "sentinelone--us", 1);
    write_lines(&path, &lines);

    assert_eq!(
        log.entries()[0].key_name.as_deref(),
        Some("sentinelone--eu")
    );
    let report = log.verify(None);
    assert_eq!(problem(&report).kind, ProblemKind::Edited);
    assert_eq!(problem(&report).seq, Some(1));
}

#[test]
fn a_missing_file_is_reported_not_verified() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 2);
    std::fs::remove_file(log_path(&dir)).expect("remove");
    let report = log.verify(Some(&log.head().expect("head")));
    assert!(!report.intact);
    assert_eq!(problem(&report).kind, ProblemKind::Unreadable);
    assert_eq!(
        report.summary,
        "Not verified: the audit log file could not be read."
    );
}

#[test]
fn damaged_lines_extra_fields_and_unknown_versions_are_unreadable() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 4);
    let path = log_path(&dir);
    let original = read_lines(&path);

    type Damage = fn(&str) -> String;
    let cases: [(&str, Damage); 4] = [
        ("not a valid log entry", |l| l[..l.len() - 10].to_string()),
        ("not a valid log entry", |l| {
            l.replacen("{", "{\"token\":\"abc\",", 1)
        }),
        ("log format version 3", |l| {
            l.replacen("{\"v\":2,", "{\"v\":3,\"new_field\":0,", 1)
        }),
        ("it is blank", |_| String::new()),
    ];
    for (expected, damage) in cases {
        let mut lines = original.clone();
        lines[2] = damage(&lines[2]);
        write_lines(&path, &lines);
        let report = log.verify(None);
        let problem = problem(&report);
        assert_eq!(problem.kind, ProblemKind::Unreadable, "{expected}");
        assert_eq!(problem.line, Some(3));
        assert!(
            problem
                .message
                .starts_with("Line 3 of the log cannot be read")
        );
        assert!(problem.message.contains(expected), "{}", problem.message);
    }
}

#[test]
fn opening_a_damaged_log_keeps_it_for_verify_and_keeps_appending() {
    let dir = TempDir::new().expect("tempdir");
    let path = log_path(&dir);
    drop(file_log(&dir, 4));
    let mut lines = read_lines(&path);
    lines[1] = "garbage".into();
    write_lines(&path, &lines);

    let (mut log, opened) = AuditLog::open(&path).expect("open");
    assert_eq!(opened.unreadable_lines, 1);
    assert_eq!(opened.entries, 3);
    assert_eq!(
        log.append(sample(5), &actor(), at(5)).expect("append").seq,
        5
    );
    let report = log.verify(None);
    assert_eq!(problem(&report).kind, ProblemKind::Unreadable);
    assert_eq!(problem(&report).line, Some(2));
}

#[test]
fn the_memory_log_behaves_like_the_file_log() {
    let dir = TempDir::new().expect("tempdir");
    let file = file_log(&dir, 12);
    let mut memory = AuditLog::in_memory();
    for i in 1..=12 {
        memory
            .append(sample(i), &actor(), at(i as u32))
            .expect("append");
    }
    assert_eq!(memory.path(), None);
    assert_eq!(memory.entries(), file.entries());
    assert_eq!(memory.head(), file.head());

    let anchor = file.head().expect("head");
    let memory_report = memory.verify(Some(&anchor));
    assert!(memory_report.intact);
    assert_eq!(memory_report, file.verify(Some(&anchor)));
    assert_eq!(memory.to_csv(&memory_report), file.to_csv(&memory_report));
    // The bytes demo mode holds are the bytes the file holds.
    let Store::Memory(held) = &memory.store else {
        panic!("memory log expected")
    };
    assert_eq!(held, &std::fs::read(log_path(&dir)).expect("read"));
}

#[test]
fn timestamps_are_utc_to_the_millisecond_and_survive_a_reload() {
    let dir = TempDir::new().expect("tempdir");
    let path = log_path(&dir);
    let (mut log, _) = AuditLog::open(&path).expect("open");
    let now = Utc
        .with_ymd_and_hms(2025, 6, 30, 23, 59, 59)
        .single()
        .expect("date")
        + chrono::Duration::nanoseconds(123_456_789);
    let entry = log.append(sample(1), &actor(), now).expect("append");
    assert_eq!(
        entry.timestamp.to_rfc3339(),
        "2025-06-30T23:59:59.123+00:00"
    );
    assert!(read_lines(&path)[0].contains("\"timestamp\":\"2025-06-30T23:59:59.123Z\""));
    drop(log);
    let (log, _) = AuditLog::open(&path).expect("reopen");
    assert_eq!(log.entries()[0], entry);
}
