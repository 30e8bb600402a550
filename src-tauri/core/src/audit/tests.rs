//! Behaviour of the log as the console and a technician see it: append, reopen, verify against
//! tampering done to the file on disk, torn-line recovery, demo mode and the CSV.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use tempfile::TempDir;

use super::chain::LineRecord;
use super::*;

fn actor() -> Actor {
    Actor {
        user: "Dana Reyes".into(),
        role: "Admin".into(),
        identity: Some("entra".into()),
        upn: Some("dana@contoso.com".into()),
        oid: Some("00000000-0000-4000-8000-00000000d4a4".into()),
    }
}

fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 30, second % 60)
        .single()
        .expect("valid date")
}

/// A varied entry, so lines differ in every field.
fn sample(i: u64) -> NewEntry {
    match i % 4 {
        0 => NewEntry::new(AuditAction::Rotate)
            .vendor("ninjaone")
            .key_name("ninjaone")
            .note(format!("Scheduled rotation {i}")),
        1 => NewEntry::new(AuditAction::Retrieve)
            .vendor("sentinelone")
            .key_name("sentinelone--eu")
            .note(format!("Copied to clipboard {i}")),
        2 => NewEntry::new(AuditAction::Test)
            .vendor("meraki")
            .key_name("meraki")
            .failed("forbidden-by-rbac")
            .note(format!("Test ping {i}")),
        _ => NewEntry::new(AuditAction::Connect).note(format!("Connected {i}")),
    }
}

fn log_path(dir: &TempDir) -> PathBuf {
    dir.path().join("vault-msp-api-keyvault.audit.jsonl")
}

/// Open a log in `dir` and append `count` entries.
fn file_log(dir: &TempDir, count: u64) -> AuditLog {
    let (mut log, _) = AuditLog::open(&log_path(dir)).expect("open");
    for i in 1..=count {
        log.append(sample(i), &actor(), at(i as u32))
            .expect("append");
    }
    log
}

fn read_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("read log");
    assert!(text.ends_with('\n'), "every line ends with a newline");
    text.lines().map(str::to_string).collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).expect("write log");
}

fn problem(report: &VerifyReport) -> &Problem {
    report.problem.as_ref().expect("a problem is reported")
}

#[test]
fn entries_are_numbered_and_each_links_to_the_previous_hash() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 5);
    let entries = log.entries();
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0].seq, 1);
    assert_eq!(entries[0].prev_hash, GENESIS_HASH);
    for pair in entries.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq + 1);
        assert_eq!(pair[1].prev_hash, pair[0].hash);
        assert_ne!(pair[1].hash, pair[0].hash);
    }
    assert_eq!(
        log.head(),
        Some(Anchor {
            seq: 5,
            hash: entries[4].hash.clone()
        })
    );
}

#[test]
fn intact_log_verifies_with_the_anchor_and_says_when_the_anchor_is_missing() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 10);
    let anchor = log.head().expect("head");

    let anchored = log.verify(Some(&anchor));
    assert!(anchored.intact, "{anchored:?}");
    assert_eq!(anchored.entries_checked, 10);
    assert_eq!(anchored.anchor, AnchorCheck::Matched);
    assert_eq!(anchored.problem, None);
    assert!(
        anchored.summary.contains("the vault's anchor matches"),
        "{}",
        anchored.summary
    );

    let unanchored = log.verify(None);
    assert!(unanchored.intact);
    assert_eq!(unanchored.anchor, AnchorCheck::NotAvailable);
    assert!(
        unanchored.summary.contains("anchor was not available"),
        "{}",
        unanchored.summary
    );
}

#[test]
fn one_byte_edited_in_a_middle_entry_is_reported_as_edited() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 9);
    let path = log_path(&dir);
    let mut lines = read_lines(&path);
    assert!(lines[4].contains("\"user\":\"Dana Reyes\""));
    lines[4] = lines[4].replacen("Dana Reyes", "Dana Reyez", 1);
    write_lines(&path, &lines);

    let report = log.verify(Some(&log.head().expect("head")));
    assert!(!report.intact);
    assert_eq!(report.entries_checked, 4);
    let problem = problem(&report);
    assert_eq!(problem.kind, ProblemKind::Edited);
    assert_eq!(problem.seq, Some(5));
    assert_eq!(problem.line, Some(5));
    assert_eq!(
        problem.message,
        "Entry #5 was edited after it was written (its content no longer matches its hash)."
    );
    assert_eq!(
        report.summary,
        "Not intact: entry #5 was changed after it was written."
    );
}

#[test]
fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 8);
    let path = log_path(&dir);
    let mut lines = read_lines(&path);
    let mut record: LineRecord = serde_json::from_str(&lines[3]).expect("parse");
    record.note = "Nothing to see here".into();
    let record = record.seal().expect("seal");
    lines[3] = String::from_utf8(record.to_line().expect("line"))
        .expect("utf-8")
        .trim_end()
        .to_string();
    write_lines(&path, &lines);

    let report = log.verify(None);
    assert!(!report.intact);
    let problem = problem(&report);
    assert_eq!(problem.kind, ProblemKind::Edited);
    assert_eq!(problem.seq, Some(5));
    assert!(
        problem.message.contains("no longer links to entry #4"),
        "{}",
        problem.message
    );
}

#[test]
fn a_deleted_middle_line_is_reported_as_deleted() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 10);
    let path = log_path(&dir);
    let mut lines = read_lines(&path);
    lines.remove(6); // entry #7
    write_lines(&path, &lines);

    let report = log.verify(Some(&log.head().expect("head")));
    assert!(!report.intact);
    let problem = problem(&report);
    assert_eq!(problem.kind, ProblemKind::Deleted);
    assert_eq!(problem.seq, Some(7));
    assert_eq!(
        problem.message,
        "Entry #7 is missing: the log jumps from #6 to #8 (1 entry was deleted)."
    );
    assert_eq!(report.entries_checked, 6);
}

#[test]
fn deleted_first_lines_are_reported() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 6);
    let path = log_path(&dir);
    let lines = read_lines(&path);
    write_lines(&path, &lines[2..]);

    let report = log.verify(None);
    let problem = problem(&report);
    assert_eq!(problem.kind, ProblemKind::Deleted);
    assert_eq!(
        problem.message,
        "Entries #1 to #2 are missing: the log starts at #3 (2 entries were deleted)."
    );
}

#[test]
fn two_swapped_lines_are_reported_as_reordered() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 10);
    let path = log_path(&dir);
    let mut lines = read_lines(&path);
    lines.swap(3, 4); // #4 and #5
    write_lines(&path, &lines);

    let report = log.verify(Some(&log.head().expect("head")));
    assert!(!report.intact);
    let problem = problem(&report);
    assert_eq!(problem.kind, ProblemKind::Reordered);
    assert_eq!(problem.seq, Some(5));
    assert_eq!(problem.line, Some(4));
    assert_eq!(
        problem.message,
        "Entry #5 is on line 4, before entry #4: the log's lines were reordered."
    );
}

#[test]
fn a_duplicated_line_is_reported_as_reordered() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 5);
    let path = log_path(&dir);
    let mut lines = read_lines(&path);
    let copy = lines[1].clone();
    lines.insert(3, copy);
    write_lines(&path, &lines);

    let problem = problem(&log.verify(None)).clone();
    assert_eq!(problem.kind, ProblemKind::Reordered);
    assert_eq!(problem.seq, Some(2));
    assert!(
        problem.message.contains("appears again on line 4"),
        "{}",
        problem.message
    );
}

#[test]
fn a_cut_off_tail_is_caught_by_the_anchor_only() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 100);
    let anchor = log.head().expect("head");
    let path = log_path(&dir);
    let lines = read_lines(&path);
    write_lines(&path, &lines[..97]);

    let anchored = log.verify(Some(&anchor));
    assert!(!anchored.intact);
    assert_eq!(anchored.anchor, AnchorCheck::Mismatch);
    let problem = problem(&anchored);
    assert_eq!(problem.kind, ProblemKind::TruncatedTail);
    assert_eq!(problem.seq, Some(98));
    assert_eq!(
        problem.message,
        "The log ends at #97 but the vault's anchor says #100 was written: the last 3 entries were cut off."
    );

    // Without the anchor the chain itself is sound, and the report says what it could not check.
    let unanchored = log.verify(None);
    assert!(unanchored.intact);
    assert_eq!(unanchored.entries_checked, 97);
    assert_eq!(unanchored.anchor, AnchorCheck::NotAvailable);
    assert!(unanchored.summary.contains("anchor was not available"));
    assert!(
        unanchored
            .summary
            .contains("cut-off tail could not be ruled out")
    );
}

#[test]
fn an_emptied_log_is_caught_by_the_anchor() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 4);
    let anchor = log.head().expect("head");
    std::fs::write(log_path(&dir), b"").expect("empty the log");

    let report = log.verify(Some(&anchor));
    assert!(!report.intact);
    assert_eq!(
        problem(&report).message,
        "The log is empty but the vault's anchor says #4 was written: all 4 entries were removed."
    );
}

#[test]
fn a_log_rebuilt_from_scratch_is_caught_by_the_anchor_hash() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 6);
    let anchor = log.head().expect("head");
    drop(log);

    // An attacker rewrites history with a fresh, internally consistent chain of the same length.
    std::fs::remove_file(log_path(&dir)).expect("remove");
    let (mut forged, _) = AuditLog::open(&log_path(&dir)).expect("open");
    for i in 1..=6 {
        forged
            .append(
                NewEntry::new(AuditAction::Test).note(format!("forged {i}")),
                &actor(),
                at(1),
            )
            .expect("append");
    }

    let report = forged.verify(Some(&anchor));
    assert!(!report.intact);
    assert_eq!(report.anchor, AnchorCheck::Mismatch);
    let problem = problem(&report);
    assert_eq!(problem.kind, ProblemKind::Rewritten);
    assert_eq!(problem.seq, Some(6));
    assert!(
        problem
            .message
            .starts_with("Entry #6 does not match the vault's anchor")
    );
}

#[test]
fn entries_written_after_the_anchor_still_verify() {
    let dir = TempDir::new().expect("tempdir");
    let mut log = file_log(&dir, 3);
    let anchor = log.head().expect("head");
    log.append(sample(9), &actor(), at(9)).expect("append");
    let report = log.verify(Some(&anchor));
    assert!(report.intact, "{report:?}");
    assert_eq!(report.anchor, AnchorCheck::Matched);
    assert!(
        report.summary.contains("#3 matches the vault's anchor"),
        "{}",
        report.summary
    );
}

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

#[test]
fn entries_hold_only_what_the_caller_gave() {
    let dir = TempDir::new().expect("tempdir");
    let (mut log, _) = AuditLog::open(&log_path(&dir)).expect("open");
    let new_entry = NewEntry::new(AuditAction::Purge)
        .vendor("datto-rmm")
        .key_name("datto-rmm--backup")
        .refused("purge-protected")
        .note("Purge refused: purge protection is on");
    let who = Actor {
        user: "Sam Lee".into(),
        role: "L2".into(),
        identity: Some("unverified".into()),
        upn: None,
        oid: None,
    };
    let stored = log.append(new_entry.clone(), &who, at(7)).expect("append");

    // The stored line has exactly these fields; each string is the caller's, unchanged.
    let line: serde_json::Value =
        serde_json::from_str(&read_lines(&log_path(&dir))[0]).expect("json");
    let object = line.as_object().expect("object");
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    let mut expected_keys = vec![
        "v",
        "seq",
        "timestamp",
        "action",
        "vendor",
        "key_name",
        "user",
        "identity",
        "upn",
        "oid",
        "role",
        "client",
        "vault",
        "installation",
        "outcome",
        "error_code",
        "note",
        "prev_hash",
        "hash",
    ];
    let mut sorted_keys = keys.clone();
    sorted_keys.sort_unstable();
    expected_keys.sort_unstable();
    assert_eq!(sorted_keys, expected_keys);
    assert_eq!(line["vendor"], "datto-rmm");
    assert_eq!(line["key_name"], "datto-rmm--backup");
    assert_eq!(line["user"], "Sam Lee");
    assert_eq!(line["role"], "L2");
    assert_eq!(line["action"], "purge");
    assert_eq!(line["outcome"], "refused");
    assert_eq!(line["error_code"], "purge-protected");
    assert_eq!(line["note"], "Purge refused: purge protection is on");
    assert_eq!(line["timestamp"], "2025-03-01T09:30:07.000Z");
    assert_eq!(line["v"], 2);
    assert_eq!(line["identity"], "unverified");
    assert!(line["upn"].is_null());
    assert_eq!(stored.note, new_entry.note);

    // Absent optional fields stay absent (null), nothing is filled in for them.
    log.append(NewEntry::new(AuditAction::Disconnect), &who, at(8))
        .expect("append");
    let second: serde_json::Value =
        serde_json::from_str(&read_lines(&log_path(&dir))[1]).expect("json");
    assert!(second["vendor"].is_null());
    assert!(second["key_name"].is_null());
    assert!(second["error_code"].is_null());
    assert_eq!(second["note"], "");
}

#[test]
fn csv_has_hash_columns_and_the_verification_result() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 3);
    let report = log.verify(Some(&log.head().expect("head")));
    let bytes = log.to_csv(&report);
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    let rows: Vec<&str> = text.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert_eq!(
        rows[0],
        "seq,timestamp (UTC),action,vendor,key name,user,identity,upn,object id,role,client,vault,installation,outcome,error code,note,prev hash,hash"
    );
    assert_eq!(rows.len(), 1 + 3 + 1);
    let first = log.entries()[0].clone();
    assert_eq!(
        rows[1],
        format!(
            "1,2025-03-01T09:30:01.000Z,retrieve,sentinelone,sentinelone--eu,Dana Reyes,entra,\
             dana@contoso.com,00000000-0000-4000-8000-00000000d4a4,Admin,,,,ok,,\
             Copied to clipboard 1,{GENESIS_HASH},{}",
            first.hash
        )
    );
    assert!(rows[2].contains(",test,meraki,meraki,Dana Reyes,entra,"));
    assert!(rows[2].contains(",Admin,,,,failed,forbidden-by-rbac,"));
    assert!(rows[3].ends_with(&log.entries()[2].hash));
    assert!(
        rows[4].starts_with("verification,intact,\"Intact: all 3 entries are unchanged"),
        "{}",
        rows[4]
    );
    assert!(
        rows.iter()
            .all(|r| r.matches(',').count() >= 17 || r.starts_with("verification")),
        "every entry row has 18 cells"
    );

    // A tampered log exports the failure.
    let mut lines = read_lines(&log_path(&dir));
    lines.swap(0, 1);
    write_lines(&log_path(&dir), &lines);
    let tampered = log.verify(None);
    let text = String::from_utf8(log.to_csv(&tampered)[3..].to_vec()).expect("utf-8");
    let last = text
        .trim_end()
        .lines()
        .last()
        .expect("last row")
        .to_string();
    assert!(
        last.starts_with("verification,NOT INTACT,Not intact: entries are out of order"),
        "{last}"
    );
    assert!(last.contains("reordered"), "{last}");
}

#[test]
fn csv_neutralises_formulas_in_caller_text() {
    let mut log = AuditLog::in_memory();
    log.append(
        NewEntry::new(AuditAction::Update).note("=HYPERLINK(\"http://x\")"),
        &actor(),
        at(1),
    )
    .expect("append");
    let text = String::from_utf8(log.to_csv(&log.verify(None))[3..].to_vec()).expect("utf-8");
    assert!(text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{text}");
}

#[test]
fn every_error_has_its_own_code_and_a_hint() {
    let path = PathBuf::from("/data/akv/vault.jsonl");
    let io = || std::io::Error::other("disk full");
    let errors = [
        AuditError::Open {
            path: path.clone(),
            source: io(),
        },
        AuditError::InUse { path: path.clone() },
        AuditError::Write {
            path: path.clone(),
            source: io(),
        },
        AuditError::Repair {
            path: path.clone(),
            torn_path: path.with_extension("jsonl.torn"),
            source: io(),
        },
        AuditError::Unusable {
            path: path.clone(),
            source: io(),
        },
        AuditError::Encode("bad json".into()),
    ];
    let mut codes: Vec<&str> = errors.iter().map(AuditError::code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    for error in &errors {
        assert!(error.code().starts_with("audit-"));
        assert!(!error.hint().is_empty());
        assert!(error.to_string().ends_with('.'), "{error}");
    }
    assert!(errors[2].hint().contains("/data/akv"));
}

#[test]
fn action_ids_match_the_stored_names() {
    for action in AuditAction::ALL {
        let json = serde_json::to_value(action).expect("json");
        assert_eq!(json, action.id());
        assert!(!action.label().is_empty());
    }
    assert_eq!(AuditAction::ProfileChange.id(), "profile-change");
    assert_eq!(AuditAction::LogRecovery.id(), "log-recovery");
}

#[test]
fn a_last_entry_number_edited_to_the_maximum_is_refused_without_a_panic() {
    let dir = TempDir::new().expect("tempdir");
    let path = log_path(&dir);
    drop(file_log(&dir, 2));
    let mut lines = read_lines(&path);
    let mut last: LineRecord = serde_json::from_str(&lines[1]).expect("parse");
    last.seq = u64::MAX;
    let resealed = last.seal().expect("seal");
    lines[1] = String::from_utf8(resealed.to_line().expect("line"))
        .expect("utf-8")
        .trim_end()
        .to_string();
    write_lines(&path, &lines);

    let (mut log, _) = AuditLog::open(&path).expect("open");
    let error = log
        .append(sample(3), &actor(), at(3))
        .expect_err("no entry after #u64::MAX");
    assert_eq!(error.code(), "audit-sequence-exhausted");
    assert_eq!(read_lines(&path).len(), 2, "nothing was appended");
}

#[test]
fn a_new_segment_links_to_the_anchored_head_and_verifies_only_from_there() {
    let dir = TempDir::new().expect("tempdir");
    let path = log_path(&dir);
    let link = Anchor {
        seq: 41,
        hash: "ab".repeat(32),
    };
    let (mut log, _) = AuditLog::open(&path).expect("open");
    log.link_to(link.clone()).expect("empty log links");
    for i in 1..=3 {
        log.append(sample(i), &actor(), at(i as u32))
            .expect("append");
    }
    assert_eq!(log.entries()[0].seq, 42);
    assert_eq!(log.entries()[0].prev_hash, link.hash);
    let expect = Expectations {
        start: link.clone(),
        anchor: AnchorExpectation::Present(log.head().expect("head")),
        installation: None,
    };
    assert!(
        log.verify_against(&expect).intact,
        "{:?}",
        log.verify_against(&expect)
    );
    // Nothing of the segment anchored yet: the link itself is the anchor.
    let unanchored = Expectations {
        anchor: AnchorExpectation::Present(link.clone()),
        ..expect.clone()
    };
    let report = log.verify_against(&unanchored);
    assert!(report.intact);
    assert!(
        report.summary.contains("could not be anchored"),
        "{}",
        report.summary
    );
    // The same file checked from genesis is not a chain start.
    assert!(!log.verify(None).intact);
    // A log with entries cannot be relinked.
    assert!(log.link_to(Anchor::genesis()).is_err());
}

#[test]
fn a_log_with_entries_and_no_anchor_in_the_vault_is_not_intact() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 3);
    let report = log.verify_against(&Expectations {
        start: Anchor::genesis(),
        anchor: AnchorExpectation::Missing,
        installation: None,
    });
    assert!(!report.intact);
    assert_eq!(report.anchor, AnchorCheck::Missing);
    assert_eq!(problem(&report).kind, ProblemKind::AnchorMissing);
    // An empty log with no anchor is a new installation, not a problem.
    let empty_dir = TempDir::new().expect("tempdir");
    let (empty, _) = AuditLog::open(&log_path(&empty_dir)).expect("open");
    assert!(
        empty
            .verify_against(&Expectations {
                start: Anchor::genesis(),
                anchor: AnchorExpectation::Missing,
                installation: None,
            })
            .intact
    );
}

#[test]
fn entries_of_another_installation_are_not_this_pcs_log() {
    let dir = TempDir::new().expect("tempdir");
    let (mut log, _) = AuditLog::open(&log_path(&dir)).expect("open");
    log.set_context(LogContext {
        client: Some("Contoso".into()),
        vault: Some("contoso-kv".into()),
        installation: Some("pc-original".into()),
    });
    for i in 1..=2 {
        log.append(sample(i), &actor(), at(i as u32))
            .expect("append");
    }
    let head = log.head().expect("head");
    let report = log.verify_against(&Expectations {
        start: Anchor::genesis(),
        anchor: AnchorExpectation::Present(head),
        installation: Some("pc-renamed".into()),
    });
    assert!(!report.intact);
    assert_eq!(problem(&report).kind, ProblemKind::OtherInstallation);
    assert!(problem(&report).message.contains("pc-original"));
}
