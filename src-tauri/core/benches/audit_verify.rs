//! Audit log throughput: time single appends (one fsync each, as every console action does),
//! build a 100,000-entry log file through the public API (batches of 1,000 entries, one fsync per
//! batch, so the run takes seconds rather than the minutes 100,000 fsyncs take), reopen it, and
//! verify it from disk against its anchor. Prints numbers only; nothing is asserted.
//!
//! Run: `cargo bench --bench audit_verify` (`AUDIT_BENCH_ENTRIES`, `AUDIT_BENCH_SINGLE` change the
//! log size and the number of single fsynced appends timed).

use std::time::{Duration, Instant};

use akv_core::audit::{Actor, AuditAction, AuditLog, NewEntry};
use chrono::{TimeZone, Utc};

fn per_second(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
}

fn env_count(name: &str, default: u64) -> Result<u64, Box<dyn std::error::Error>> {
    match std::env::var(name) {
        Ok(value) => Ok(value.parse()?),
        Err(_) => Ok(default),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let entries: u64 = env_count("AUDIT_BENCH_ENTRIES", 100_000)?;
    let single_appends: u64 = env_count("AUDIT_BENCH_SINGLE", 1_000)?.min(entries);
    const BATCH: u64 = 1_000;
    let dir = tempfile::TempDir::new()?;
    let path = dir.path().join("bench.audit.jsonl");
    let actor = Actor {
        user: "Dana Reyes".to_string(),
        role: "Admin".to_string(),
        identity: Some("entra".to_string()),
        upn: Some("dana@contoso.com".to_string()),
        oid: Some("00000000-0000-4000-8000-00000000d4a4".to_string()),
    };
    let start_time = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .ok_or("invalid start time")?;
    let vendors = [
        "ninjaone",
        "sentinelone",
        "connectwise-manage",
        "datto-rmm",
        "meraki",
        "pax8",
    ];
    let entry = |i: u64| {
        let vendor = vendors[(i % vendors.len() as u64) as usize];
        let action = if i.is_multiple_of(3) {
            AuditAction::Rotate
        } else {
            AuditAction::Retrieve
        };
        NewEntry::new(action)
            .vendor(vendor)
            .key_name(vendor)
            .note(format!(
                "Benchmark entry {i}: rotated by schedule, new expiry in 90 days"
            ))
    };

    let (mut log, _) = AuditLog::open(&path)?;
    let started = Instant::now();
    for i in 0..single_appends {
        log.append(
            entry(i),
            &actor,
            start_time + chrono::Duration::seconds(i as i64),
        )?;
    }
    let singles = started.elapsed();

    let started = Instant::now();
    let mut next = single_appends;
    while next < entries {
        let end = (next + BATCH).min(entries);
        let batch = (next..end).map(entry).collect();
        log.append_batch(
            batch,
            &actor,
            start_time + chrono::Duration::seconds(next as i64),
        )?;
        next = end;
    }
    let build = started.elapsed();
    let anchor = log.head().ok_or("empty log")?;
    drop(log);
    let file_bytes = std::fs::metadata(&path)?.len();

    let started = Instant::now();
    let (log, opened) = AuditLog::open(&path)?;
    let reopen = started.elapsed();

    let started = Instant::now();
    let report = log.verify(Some(&anchor));
    let verify = started.elapsed();

    let started = Instant::now();
    let csv = log.to_csv(&report);
    let csv_time = started.elapsed();

    println!("audit_verify: {entries} entries, file {file_bytes} bytes");
    println!(
        "single appends (fsync each): {single_appends} in {:.3} s, {:.0} appends/s, {:.0} us/append",
        singles.as_secs_f64(),
        per_second(single_appends, singles),
        singles.as_secs_f64() * 1e6 / single_appends.max(1) as f64
    );
    let batched = entries - single_appends;
    println!(
        "build rest (batches of {BATCH}, fsync per batch): {batched} in {:.3} s, {:.0} entries/s",
        build.as_secs_f64(),
        per_second(batched, build)
    );
    println!(
        "reopen (read + parse {} entries): {:.3} s, {:.0} entries/s",
        opened.entries,
        reopen.as_secs_f64(),
        per_second(opened.entries, reopen)
    );
    println!(
        "verify with anchor (re-read from disk): {:.3} s, {:.0} entries/s, intact={}",
        verify.as_secs_f64(),
        per_second(report.entries_checked, verify),
        report.intact
    );
    println!(
        "csv export: {:.3} s, {} bytes",
        csv_time.as_secs_f64(),
        csv.len()
    );
    Ok(())
}
