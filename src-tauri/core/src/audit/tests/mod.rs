//! Behaviour of the log as the console and a technician see it. Here: the chain, and verify
//! against tampering done to the file on disk; `file`: the file itself (reopen, torn lines, a
//! second window, failed writes, demo mode); `entries`: what an entry holds and the CSV.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use tempfile::TempDir;

use super::chain::LineRecord;
use super::*;

mod entries;
mod file;

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

/// A log long enough to be checked on several threads: problems in any part, and across the
/// boundary between two threads' parts, are reported at the right line, as on one thread.
#[test]
fn a_long_log_checked_in_parallel_reports_the_same_first_problem() {
    const COUNT: u64 = 10_000;
    let dir = TempDir::new().expect("tempdir");
    let (mut log, _) = AuditLog::open(&log_path(&dir)).expect("open");
    log.append_batch((1..=COUNT).map(sample).collect(), &actor(), at(1))
        .expect("append");
    let head = log.head().expect("head");
    let report = log.verify(Some(&head));
    assert!(report.intact, "{}", report.summary);
    assert_eq!(report.entries_checked, COUNT);

    let path = log_path(&dir);
    let original = read_lines(&path);
    // Line 9,001 lies in the last part on any number of threads up to 8.
    let mut edited = original.clone();
    edited[9_000] = edited[9_000].replacen("clipboard 9001", "clipboard 9OO1", 1);
    assert_ne!(
        edited[9_000], original[9_000],
        "the sample line was changed"
    );
    write_lines(&path, &edited);
    let problem_at = log.verify(Some(&head)).problem.expect("a problem");
    assert_eq!(problem_at.kind, ProblemKind::Edited);
    assert_eq!(problem_at.line, Some(9_001));

    // The two halves' boundary on two threads: lines 5,000 and 5,001 swapped.
    let mut swapped = original.clone();
    swapped.swap(4_999, 5_000);
    write_lines(&path, &swapped);
    let problem_at = log.verify(Some(&head)).problem.expect("a problem");
    assert_eq!(problem_at.kind, ProblemKind::Reordered);
    assert_eq!(problem_at.seq, Some(5_001));
    assert_eq!(problem_at.line, Some(5_000));

    // A damaged line early on wins over a later edit.
    edited[2] = "{not json".to_string();
    write_lines(&path, &edited);
    let problem_at = log.verify(Some(&head)).problem.expect("a problem");
    assert_eq!(problem_at.kind, ProblemKind::Unreadable);
    assert_eq!(problem_at.line, Some(3));
}
