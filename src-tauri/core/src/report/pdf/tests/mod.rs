//! Fixtures and PDF-reading helpers shared by the PDF report's tests (the tests sit in the child modules).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::draw::column_lefts;
use super::fallback::FontLibrary;
use super::fonts::{Face, Typesetter, fonts};
use super::layout::{Block, plan_section};
use super::*;
use crate::domain::catalog::{Category, catalog};
use crate::domain::keys::KeyStatus;
use crate::report::{
    AuditCheck, MissingVendor, ReportRow, ReportSummary, ScheduleRow, report_status,
};

mod front_page;
mod key_table;

/// The report must stay small enough to mail: subset fonts keep it so (§3 of the issue).
const MAX_BYTES_32_KEYS: usize = 150_000;
const MAX_BYTES_1000_KEYS: usize = 600_000;

const POPPLER_HINT: &str =
    "install the Debian package poppler-utils (apt-get install poppler-utils)";

fn generated_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 5, 0)
        .single()
        .expect("valid date")
}

/// A full key value as the vault would hold it. It is deliberately kept OUT of the report
/// input: only its masked form goes in, so neither it nor its marker may reach the PDF.
fn full_value(prefix: &str, index: usize) -> String {
    format!("{prefix}SECRET-MARKER-{index:04}-q7x5k2m9f3a8{index:04}")
}

fn masked_preview(prefix: &str, index: usize) -> String {
    let full = full_value(prefix, index);
    let last_four = &full[full.len() - 4..];
    format!("{}••••{last_four}", &full[..4])
}

fn day(offset: i64) -> String {
    (generated_at() + Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

pub(super) fn row(index: usize, vendor: String, category: Category, owner: String) -> ReportRow {
    let status = KeyStatus::ALL[index % KeyStatus::ALL.len()];
    let prefix: String = vendor
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(4)
        .collect::<String>()
        .to_lowercase();
    // Every seventh key carries its own interval, shorter than its category's.
    let interval_days = if index % 7 == 3 {
        30
    } else {
        category.default_interval_days()
    };
    let (days_to_due, expiry_offset): (Option<i64>, Option<i64>) = match status {
        KeyStatus::NoKey => (None, None),
        KeyStatus::Healthy => (Some(63), Some(200)),
        KeyStatus::DueSoon => (Some(9), Some(90)),
        KeyStatus::Overdue => (Some(-4 - (index % 40) as i64), Some(120)),
        KeyStatus::Expired => (Some(20), Some(-12 - (index % 30) as i64)),
        KeyStatus::Disabled => (Some(30), None),
    };
    let dash = "—".to_string();
    let next_due = days_to_due.map(day);
    let expiry = expiry_offset.map(day);
    let facts = crate::report::status::facts_for(status, days_to_due, expiry_offset, Utc::now());
    ReportRow {
        vendor,
        category,
        status: report_status(&facts),
        masked_preview: if status == KeyStatus::NoKey {
            dash.clone()
        } else {
            masked_preview(&prefix, index)
        },
        expiry: expiry.unwrap_or_else(|| dash.clone()),
        interval_days,
        last_rotated: days_to_due
            .map(|d| day(d - i64::from(interval_days)))
            .unwrap_or_else(|| dash.clone()),
        next_due: next_due.unwrap_or_else(|| dash.clone()),
        owner,
        used_by: dash,
    }
}

fn summary_of(rows: &[ReportRow], missing: usize) -> ReportSummary {
    let count = |label: &str| {
        rows.iter()
            .filter(|r| r.status.label.starts_with(label))
            .count()
    };
    ReportSummary {
        keys_stored: rows.len(),
        healthy: count("Healthy"),
        due_soon: count("Due"),
        overdue: count("Overdue"),
        expired: count("Expired"),
        disabled: count("Disabled"),
        vendors_without_key: missing,
    }
}

fn schedule_of(rows: &[ReportRow]) -> Vec<ScheduleRow> {
    Category::ALL
        .iter()
        .map(|&category| {
            let in_category: Vec<&ReportRow> =
                rows.iter().filter(|r| r.category == category).collect();
            ScheduleRow {
                category,
                interval_days: category.default_interval_days(),
                rationale: category.interval_rationale().to_string(),
                keys: in_category.len(),
                due: in_category
                    .iter()
                    .filter(|r| r.status.exception.is_some())
                    .count(),
                next_due: day(9),
            }
        })
        .collect()
}

pub(super) const MSP: &str = "Northwind IT Services";
pub(super) const CLIENT: &str = "Contoso Dental";

pub(super) fn intact_audit() -> AuditCheck {
    AuditCheck {
        intact: Some(true),
        line: "Audit log verified: 214 entries, hash chain intact and matching the head anchored in the vault (checked 2026-11-23 10:05 UTC).".to_string(),
    }
}

/// The report input as the service builds it: stored keys most urgent first, vendors without a
/// key in their own list.
pub(super) fn input_of(all: Vec<ReportRow>) -> ReportInput {
    let (mut rows, no_key): (Vec<ReportRow>, Vec<ReportRow>) =
        all.into_iter().partition(|r| r.status.label != "No key");
    rows.sort_by_key(|r| r.status.urgency);
    let missing: Vec<MissingVendor> = no_key
        .into_iter()
        .map(|r| MissingVendor {
            vendor: r.vendor,
            category: r.category,
        })
        .collect();
    ReportInput {
        msp_name: MSP.to_string(),
        client_name: CLIENT.to_string(),
        vault_label: "VAULT: MSP-API-KEYVAULT".to_string(),
        generated_at: generated_at(),
        operator: "Dana Reyes (Admin)".to_string(),
        summary: summary_of(&rows, missing.len()),
        schedule: schedule_of(&rows),
        rows,
        missing,
        audit: intact_audit(),
        rotations_in_period: Some(41),
        objects: Default::default(),
    }
}

const OWNERS: [&str; 6] = [
    "Dana Reyes",
    "Zoë Müller",
    "Marcus Lee",
    "東京 NOC",
    "Priya Natarajan",
    "Tom O'Neill",
];

/// The manual's 32 catalog vendors, as a real MSP stack would print (the layout's fixtures
/// were measured on them; the tools added since and the non-API kinds are left out).
pub(super) fn catalog_input() -> ReportInput {
    const ADDED: [&str; 8] = [
        "kaseya-vsa",
        "nable-ncentral",
        "connectwise-screenconnect",
        "bitdefender-gravityzone",
        "knowbe4",
        "cisco-duo",
        "hudu",
        "it-glue",
    ];
    let manual: Vec<_> = catalog()
        .iter()
        .filter(|v| !v.is_non_api() && !ADDED.contains(&v.id.as_str()))
        .collect();
    assert_eq!(
        manual.len(),
        32,
        "the catalog keeps the manual's 32 vendors"
    );
    let rows = manual
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            row(
                i,
                v.name.clone(),
                v.category,
                OWNERS[i % OWNERS.len()].to_string(),
            )
        })
        .collect();
    input_of(rows)
}

/// `count` synthetic rows with unique vendor and owner names.
pub(super) fn synthetic_input(count: usize) -> ReportInput {
    let rows = (0..count)
        .map(|i| {
            let vendor = &catalog()[i % catalog().len()];
            row(
                i,
                format!("Vendor {i:04} {}", vendor.name),
                vendor.category,
                format!("tech{i:04}"),
            )
        })
        .collect();
    input_of(rows)
}

pub(super) fn run_poppler(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("could not run {program} ({e}): {POPPLER_HINT}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(super) fn write_pdf(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write the PDF");
    path
}

/// `pdftotext -layout`, one string per page.
pub(super) fn pages_text(pdf: &Path) -> Vec<String> {
    let path = pdf.to_str().expect("utf-8 temp path");
    let text = run_poppler("pdftotext", &["-layout", "-enc", "UTF-8", path, "-"]);
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    // pdftotext ends every page with a form feed, so the last piece is empty.
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

fn artifacts_dir() -> PathBuf {
    let root = std::env::var_os("AKV_TEST_ARTIFACTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts"));
    let dir = root.join("pdf");
    std::fs::create_dir_all(&dir).expect("create the test-artifacts/pdf directory");
    dir
}

/// Page 1 as a PNG in test-artifacts/pdf, for a person to look at.
pub(super) fn keep_page_one(pdf: &Path, name: &str) -> PathBuf {
    let dir = artifacts_dir();
    std::fs::copy(pdf, dir.join(format!("{name}.pdf"))).expect("keep the PDF");
    let prefix = dir.join(format!("{name}-page1"));
    run_poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf.to_str().expect("utf-8 path"),
            prefix.to_str().expect("utf-8 path"),
        ],
    );
    let png = prefix.with_extension("png");
    assert!(png.exists(), "pdftoppm wrote no {}", png.display());
    png
}

fn page_of(pages: &[String], needle: &str) -> Option<usize> {
    pages.iter().position(|p| p.contains(needle))
}

/// Checks every report must pass: landscape Letter, "Page N of M" and the footer everywhere,
/// the header row on every page of the key table, and every key row whole on one page.
fn check_report(pdf: &Path, input: &ReportInput) -> Vec<String> {
    let info = run_poppler("pdfinfo", &[pdf.to_str().expect("utf-8 path")]);
    assert!(
        info.lines()
            .any(|l| l.starts_with("Page size:") && l.contains("792 x 612 pts")),
        "not landscape US Letter:\n{info}"
    );
    let pages = pages_text(pdf);
    let count = pages.len();
    let pages_line = info
        .lines()
        .find(|l| l.starts_with("Pages:"))
        .expect("pdfinfo prints the page count");
    assert_eq!(
        pages_line["Pages:".len()..].trim(),
        count.to_string(),
        "pdfinfo and pdftotext disagree on the page count"
    );
    for (i, page) in pages.iter().enumerate() {
        let label = format!("Page {} of {count}", i + 1);
        assert!(page.contains(&label), "page {} lacks {label:?}", i + 1);
        assert!(
            page.contains("masked previews only — no secret values are included"),
            "page {} lacks the footer",
            i + 1
        );
        if i > 0 {
            assert!(
                page.contains(&format!("API Key Status Report · {CLIENT}")) && page.contains(MSP),
                "page {} lacks the running header with client and MSP",
                i + 1
            );
        }
    }
    // Whole rows: the page holding a key's masked preview (printed only in the key table) also
    // holds its vendor and its status, under the table's header row.
    for row in &input.rows {
        let at = page_of(&pages, &row.masked_preview)
            .unwrap_or_else(|| panic!("{:?} missing", row.masked_preview));
        let page = &pages[at];
        // Long synthetic names are cut in the column: their start identifies them.
        let vendor: String = row.vendor.chars().take(20).collect();
        assert!(page.contains(&vendor), "{} split from its row", row.vendor);
        assert!(
            page.contains(&row.status.label),
            "{} status split",
            row.vendor
        );
        assert!(
            page.contains("Masked preview") && page.contains("Last rotated"),
            "page {} has key rows but no header row",
            at + 1
        );
    }
    pages
}

fn assert_no_secret(bytes: &[u8], pages: &[String], input: &ReportInput) {
    let text = pages.concat();
    assert!(
        !text.contains("SECRET-MARKER"),
        "a secret marker reached the PDF text"
    );
    let raw = String::from_utf8_lossy(bytes);
    assert!(
        !raw.contains("SECRET-MARKER"),
        "a secret marker is in the PDF bytes"
    );
    for row in &input.rows {
        assert!(
            text.contains(&row.masked_preview),
            "masked preview {:?} missing",
            row.masked_preview
        );
    }
}

/// Where `needle` first appears in the document's text.
fn offset_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the report"))
}

/// Page `number` (1-based) as a PNG in test-artifacts/pdf, for a person to look at.
fn keep_page(pdf: &Path, name: &str, number: usize) {
    let prefix = artifacts_dir().join(format!("{name}-page{number}"));
    let page = number.to_string();
    run_poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "80",
            "-f",
            &page,
            "-l",
            &page,
            "-singlefile",
            pdf.to_str().expect("utf-8 path"),
            prefix.to_str().expect("utf-8 path"),
        ],
    );
}

/// Rows for a realistic large vault: mostly healthy, `exceptions` keys needing action, ten
/// keys with an interval of their own, every catalog vendor in use.
pub(super) fn mostly_healthy_input(count: usize, exceptions: usize) -> ReportInput {
    let synthetic = synthetic_input(count);
    let kept: Vec<ReportRow> = synthetic.exceptions().take(exceptions).cloned().collect();
    let healthy = synthetic
        .rows
        .iter()
        .filter(|r| r.status.exception.is_none())
        .cloned()
        .cycle()
        .take(count - kept.len());
    let mut rows: Vec<ReportRow> = kept.into_iter().chain(healthy).collect();
    for (i, row) in rows.iter_mut().enumerate() {
        let vendor = &catalog()[i % catalog().len()];
        row.vendor = format!("{} {i:04}", vendor.name);
        row.category = vendor.category;
        row.masked_preview = masked_preview("mstl", i);
        if i >= 10 {
            row.interval_days = row.category.default_interval_days();
        }
    }
    input_of(rows)
}
