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

#[test]
#[cfg_attr(
    windows,
    ignore = "reads the PDF back with poppler (pdftoppm, pdftotext), Linux programs that a test under Wine cannot start; the Linux run checks it"
)]
fn the_first_page_names_msp_and_client_and_puts_exceptions_before_the_key_table() {
    let input = catalog_input();
    let started = Instant::now();
    let bytes = render_pdf(&input).expect("render");
    let elapsed = started.elapsed();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let dir = tempfile::tempdir().expect("temp dir");
    let pdf = write_pdf(dir.path(), "report-32.pdf", &bytes);
    let pages = check_report(&pdf, &input);
    let first = &pages[0];

    // Header: who prepared it for whom, the period and the scope.
    assert!(first.contains("API Key Status Report"));
    assert!(first.contains(MSP), "MSP name in the header");
    assert!(
        first.contains(&format!("Prepared by {MSP} for {CLIENT}")),
        "client name in the header:\n{first}"
    );
    assert!(first.contains("VAULT: MSP-API-KEYVAULT"));
    assert!(first.contains(
        "Review period: 2026-08-25 to 2026-11-23 (the last 90 days): 41 key rotations recorded in this console's audit log."
    ));
    assert!(first.contains("Key statuses as of 2026-11-23 10:05 UTC"));
    assert!(first.contains(&format!(
        "Scope: all {} API keys stored in this client's vault",
        input.rows.len()
    )));
    assert!(first.contains("Dana Reyes (Admin)"));

    // The compliance figure, "N of M (P%)", and the exception counts under their labels.
    let (within, stored) = input.compliance();
    let figure = format!("{within} of {stored} ({}%)", within * 100 / stored);
    assert_eq!(input.compliance_text(), figure);
    let lines: Vec<&str> = first.lines().collect();
    let labels_at = lines
        .iter()
        .position(|l| l.contains("Keys within policy") && l.contains("Vendors without a key"))
        .expect("the figures' labels on page 1");
    let numbers = lines[labels_at + 1..]
        .iter()
        .find(|l| !l.trim().is_empty())
        .expect("the figures");
    let rest: Vec<&str> = numbers
        .split_once(&figure)
        .unwrap_or_else(|| panic!("{figure:?} not under its label: {numbers:?}"))
        .1
        .split_whitespace()
        .collect();
    let s = &input.summary;
    let expected: Vec<String> = [
        s.expired,
        s.overdue,
        s.disabled,
        s.due_soon,
        s.vendors_without_key,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(
        rest, expected,
        "expired, overdue, disabled, due soon, without a key"
    );

    // The audit log's verification line.
    assert!(first.contains("Audit log verified: 214 entries"), "{first}");

    // Exceptions first, worst first, each with its owner and due date, all on page 1.
    let exceptions: Vec<&ReportRow> = input.exceptions().collect();
    assert!(exceptions.len() >= 10, "the catalog input has exceptions");
    assert!(first.contains(&format!(
        "Exceptions: keys that need action ({})",
        exceptions.len()
    )));
    let mut last = 0;
    for row in &exceptions {
        let line = lines
            .iter()
            .position(|l| l.contains(&row.vendor))
            .unwrap_or_else(|| panic!("exception {} not on page 1", row.vendor));
        let text = lines[line];
        // Owners in a script no installed font has print as [U+XXXX] markers.
        let owner = if row.owner.is_ascii() {
            row.owner.as_str()
        } else {
            "[U+"
        };
        assert!(
            text.contains(&row.status.due_date) && text.contains(owner),
            "{} lacks its owner or due date: {text:?}",
            row.vendor
        );
        assert!(
            line > last,
            "exceptions out of urgency order at {}",
            row.vendor
        );
        last = line;
    }
    let expired = offset_of(first, "Expired   ");
    let overdue = offset_of(first, "Rotation overdue  ");
    let disabled = offset_of(first, "Disabled  ");
    assert!(
        expired < overdue && overdue < disabled,
        "expired, overdue, disabled"
    );

    // Vendors without a key: their own list, never rows of the key table.
    let text = pages.concat();
    let table_at = offset_of(&text, "All stored keys, most urgent first");
    assert!(offset_of(&text, "Exceptions: keys that need action") < table_at);
    for vendor in &input.missing {
        let at = offset_of(&text, &vendor.vendor);
        assert!(
            at < table_at,
            "{} is listed in the key table",
            vendor.vendor
        );
        assert_eq!(text.matches(&vendor.vendor).count(), 1, "{}", vendor.vendor);
    }

    // The policy in force and the sign-off, before the key table.
    for needle in [
        "Rotation policy in force",
        "warns 14 days before",
        "Sign-off",
        &format!("Prepared by ({MSP})"),
        &format!("Reviewed by ({CLIENT})"),
        "Signature",
    ] {
        assert!(
            offset_of(&text, needle) < table_at,
            "{needle:?} after the key table"
        );
    }
    for entry in &input.schedule {
        assert!(text.contains(&entry.rationale), "{}", entry.rationale);
    }
    // The key table runs worst first.
    let table = &text[table_at..];
    let order: Vec<usize> = input
        .rows
        .iter()
        .map(|r| offset_of(table, &r.masked_preview))
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "key table not in urgency order"
    );
    assert_no_secret(&bytes, &pages, &input);

    eprintln!(
        "32-key report: {} bytes (limit {MAX_BYTES_32_KEYS})",
        bytes.len()
    );
    assert!(
        bytes.len() < MAX_BYTES_32_KEYS,
        "the 32-key report is {} bytes",
        bytes.len()
    );
    let info = run_poppler("pdfinfo", &[pdf.to_str().expect("utf-8 path")]);
    assert!(
        info.contains(&format!("API Key Status Report — {CLIENT}")),
        "the document title names the client:\n{info}"
    );
    let fonts_list = run_poppler("pdffonts", &[pdf.to_str().expect("utf-8 path")]);
    for line in fonts_list.lines().skip(2) {
        // Columns: name, type, encoding, emb, sub, uni, object, id.
        let fields: Vec<&str> = line.split_whitespace().collect();
        let n = fields.len();
        assert!(n >= 7, "odd pdffonts line {line:?}");
        assert_eq!(&fields[n - 5..n - 2], ["yes", "yes", "yes"], "{line}");
    }
    let png = keep_page_one(&pdf, "report-32");
    keep_page(&pdf, "report-32", 2);
    println!(
        "32 rows: rendered in {:.1} ms, {} pages, {} bytes, page 1 at {}",
        elapsed.as_secs_f64() * 1000.0,
        pages.len(),
        bytes.len(),
        png.display()
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "reads the PDF back with poppler (pdftoppm, pdftotext), Linux programs that a test under Wine cannot start; the Linux run checks it"
)]
fn a_broken_or_unverifiable_audit_log_is_said_on_the_first_page() {
    for (intact, line) in [
        (
            Some(false),
            "Audit log: chain broken at entry 57 (edited); 56 entries verified before it (checked 2026-11-23 10:05 UTC).",
        ),
        (
            None,
            "Audit log not verified: The vault could not be reached. (tried 2026-11-23 10:05 UTC).",
        ),
    ] {
        let mut input = catalog_input();
        input.audit = AuditCheck {
            intact,
            line: line.to_string(),
        };
        input.rotations_in_period = None;
        let bytes = render_pdf(&input).expect("render");
        let dir = tempfile::tempdir().expect("temp dir");
        let pages = pages_text(&write_pdf(dir.path(), "report.pdf", &bytes));
        assert!(pages[0].contains(line), "{line:?} not on page 1");
        assert!(pages[0].contains("rotations not counted (the audit log did not verify)"));
        assert!(!pages.concat().contains("Audit log verified"));
    }
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

#[test]
#[cfg_attr(
    windows,
    ignore = "reads the PDF back with poppler (pdftoppm, pdftotext), Linux programs that a test under Wine cannot start; the Linux run checks it"
)]
fn thousand_key_report_keeps_rows_whole_and_its_page_count_reasonable() {
    let input = synthetic_input(1000);
    let started = Instant::now();
    let bytes = render_pdf(&input).expect("render");
    let elapsed = started.elapsed();
    let dir = tempfile::tempdir().expect("temp dir");
    let pdf = write_pdf(dir.path(), "report-1000.pdf", &bytes);
    let pages = check_report(&pdf, &input);
    assert_eq!(pages.len(), plan_section(&input).len());
    // Half of these synthetic keys are exceptions: the front matter is long, and still every
    // full page carries a full page of rows.
    let per_page = ((NEXT_PAGE_TOP - CONTENT_BOTTOM - SECTION_TITLE_HEIGHT - HEADER_ROW_HEIGHT)
        / ROW_HEIGHT)
        .floor() as usize;
    let listed = input.rows.len()
        + input.exceptions().count()
        + input.missing.len().div_ceil(4)
        + super::layout::overrides(&input).len()
        + input.schedule.len();
    assert!(
        pages.len() <= listed.div_ceil(per_page) + 3,
        "{} pages for {listed} listed lines at {per_page} a page",
        pages.len()
    );
    assert_no_secret(&bytes, &pages, &input);
    eprintln!(
        "1,000-key report: {} pages, {} bytes (limit {MAX_BYTES_1000_KEYS}), rendered in {:.1} ms",
        pages.len(),
        bytes.len(),
        elapsed.as_secs_f64() * 1000.0
    );
    assert!(
        bytes.len() < MAX_BYTES_1000_KEYS,
        "the 1,000-key report is {} bytes",
        bytes.len()
    );
    // Every vendor name as drawn (long ones end in "…" inside the column) is extractable.
    let fonts = fonts().expect("fonts");
    let mut set = Typesetter::new(fonts, FontLibrary::system());
    let text = pages.concat();
    let vendor_room = KEY_COLUMNS[0].width - 2.0 * CELL_PADDING;
    for row in &input.rows {
        let drawn = set
            .fit(Face::Bold, &row.vendor, BODY_SIZE, vendor_room)
            .text();
        let visible = drawn.trim_end_matches('…');
        assert!(text.contains(visible), "{visible:?} not extractable");
    }
    keep_page_one(&pdf, "report-1000");

    // A realistic 1,000-key vault (20 exceptions): the front page holds every exception and
    // the whole document stays near one page per 40 keys.
    let realistic = mostly_healthy_input(1000, 20);
    let bytes = render_pdf(&realistic).expect("render");
    let pdf = write_pdf(dir.path(), "report-1000-realistic.pdf", &bytes);
    let pages = check_report(&pdf, &realistic);
    for row in realistic.exceptions() {
        let vendor: String = row.vendor.chars().take(20).collect();
        assert!(
            pages[0].contains(&vendor),
            "{} not on page 1:\n{}",
            row.vendor,
            pages[0]
        );
    }
    // The key table at full pages, plus the front page and the policy and sign-off page.
    eprintln!("realistic 1,000-key report: {} pages", pages.len());
    assert!(
        pages.len() <= 1000_usize.div_ceil(per_page) + 2,
        "{} pages at {per_page} keys a page",
        pages.len()
    );
    keep_page_one(&pdf, "report-1000-realistic");
    keep_page(&pdf, "report-1000-realistic", 3);
}

/// Word boxes (`pdftotext -bbox`) of one page: (xMin, yMin, xMax, text).
fn word_boxes(pdf: &Path, page: usize) -> Vec<(f32, f32, f32, String)> {
    let page = page.to_string();
    let html = run_poppler(
        "pdftotext",
        &[
            "-bbox",
            "-f",
            &page,
            "-l",
            &page,
            pdf.to_str().expect("utf-8 path"),
            "-",
        ],
    );
    let attr = |tag: &str, name: &str| -> f32 {
        let start = tag.find(&format!("{name}=\"")).expect("attribute") + name.len() + 2;
        let end = start + tag[start..].find('"').expect("closing quote");
        tag[start..end].parse().expect("number")
    };
    html.lines()
        .filter_map(|line| {
            let line = line.trim();
            let tag_end = line.find('>')?;
            let text_end = line.rfind("</word>")?;
            line.starts_with("<word").then(|| {
                let tag = &line[..tag_end];
                (
                    attr(tag, "xMin"),
                    attr(tag, "yMin"),
                    attr(tag, "xMax"),
                    line[tag_end + 1..text_end].to_string(),
                )
            })
        })
        .collect()
}

/// Each needle's cell on `page` ends in "…" and stays inside its column.
fn assert_cut_inside(pdf: &Path, page: usize, columns: &[Column], needles: &[&str]) {
    let rights = column_lefts(columns)
        .iter()
        .zip(columns.iter())
        .map(|(left, column)| left + column.width)
        .collect::<Vec<f32>>();
    let words = word_boxes(pdf, page);
    for needle in needles {
        let (x_min, y_min, _, _) = words
            .iter()
            .find(|w| w.3.starts_with(needle))
            .unwrap_or_else(|| panic!("{needle} not found on page {page}"))
            .clone();
        let column_right = rights
            .iter()
            .copied()
            .find(|&right| right > x_min)
            .expect("column");
        let in_cell = |w: &&(f32, f32, f32, String)| {
            (w.1 - y_min).abs() < 1.0 && w.0 >= x_min && w.0 < column_right
        };
        let line_end = words
            .iter()
            .filter(in_cell)
            .map(|w| w.2)
            .fold(0.0_f32, f32::max);
        assert!(
            line_end <= column_right - CELL_PADDING + 0.5,
            "{needle}… ends at {line_end}, past its column edge {column_right}"
        );
        assert!(
            words.iter().filter(in_cell).any(|w| w.3.ends_with('…')),
            "{needle} cell should end with an ellipsis"
        );
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "reads the PDF back with poppler (pdftoppm, pdftotext), Linux programs that a test under Wine cannot start; the Linux run checks it"
)]
fn long_text_is_cut_with_an_ellipsis_inside_its_column() {
    let mut input = catalog_input();
    let long_vendor = "Extremely Long Vendor Name Incorporated International Holdings Division";
    let long_owner = "Maximiliane Wolkenstein-Rodenegg, Network Operations Centre";
    // Rows 0 and 1 are the two most urgent keys: exceptions on page 1, then in the key table.
    input.rows[0].vendor = long_vendor.to_string();
    input.rows[1].owner = long_owner.to_string();
    input.rows[1].masked_preview = "abcd••••••••••••••••••••••••••••wxyz".to_string();
    let bytes = render_pdf(&input).expect("render");
    let dir = tempfile::tempdir().expect("temp dir");
    let pdf = write_pdf(dir.path(), "report.pdf", &bytes);
    let text = pages_text(&pdf).concat();
    assert!(!text.contains(long_vendor) && !text.contains(long_owner));
    assert!(text.contains("Extremely Long Vendor"));
    assert!(text.contains("Maximiliane"));
    assert_cut_inside(&pdf, 1, &EXCEPTION_COLUMNS, &["Extremely", "Maximiliane"]);
    let table_page = plan_section(&input)
        .iter()
        .position(|p| {
            p.blocks
                .iter()
                .any(|b| b.block == Block::Header(layout::Table::Keys))
        })
        .expect("a key table")
        + 1;
    assert_cut_inside(
        &pdf,
        table_page,
        &KEY_COLUMNS,
        &["Extremely", "Maximili", "abcd••"],
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "reads the PDF back with poppler (pdftoppm, pdftotext), Linux programs that a test under Wine cannot start; the Linux run checks it"
)]
fn empty_report_says_so_and_still_carries_policy_and_sign_off() {
    let input = input_of(Vec::new());
    let bytes = render_pdf(&input).expect("render");
    let dir = tempfile::tempdir().expect("temp dir");
    let pages = pages_text(&write_pdf(dir.path(), "empty.pdf", &bytes));
    let text = pages.concat();
    assert!(text.contains("0 of 0 (no keys)"));
    assert!(text.contains("No exceptions"));
    assert!(text.contains("No keys stored in this vault."));
    assert!(text.contains("Rotation policy in force") && text.contains("Sign-off"));
    // The policy table lists all twelve categories, so the sign-off may start a third page.
    assert!(pages.len() <= 3, "{} pages for an empty vault", pages.len());
}
