use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::draw::{column_lefts, label_colour_on};
use super::fallback::FontLibrary;
use super::fonts::{Face, Typesetter, fonts};
use super::layout::{plan_pages, rows_that_fit, schedule_height, table_top};
use super::*;
use crate::domain::catalog::{Category, catalog};
use crate::domain::keys::KeyStatus;
use crate::report::{ReportRow, ReportSummary, ScheduleRow};

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
    let interval_days = category.default_interval_days();
    let (days_left, expiry_offset) = match status {
        KeyStatus::NoKey => (None, None),
        KeyStatus::Healthy => (Some(63), Some(200)),
        KeyStatus::DueSoon => (Some(9), Some(9)),
        KeyStatus::Overdue => (Some(-4), Some(120)),
        KeyStatus::Expired => (Some(-12), Some(-12)),
        KeyStatus::Disabled => (Some(30), None),
    };
    let dash = "—".to_string();
    let stored = status != KeyStatus::NoKey;
    ReportRow {
        vendor,
        category,
        status,
        masked_preview: if stored {
            masked_preview(&prefix, index)
        } else {
            dash.clone()
        },
        expiry: expiry_offset.map(day).unwrap_or_else(|| dash.clone()),
        days_left: days_left
            .map(|d: i64| d.to_string())
            .unwrap_or_else(|| dash.clone()),
        interval: format!("{interval_days} days"),
        last_rotated: days_left
            .map(|d| day(d - i64::from(interval_days)))
            .unwrap_or_else(|| dash.clone()),
        next_due: days_left.map(day).unwrap_or_else(|| dash.clone()),
        owner: if stored { owner } else { dash.clone() },
        used_by: dash,
    }
}

fn summary_of(rows: &[ReportRow]) -> ReportSummary {
    let count = |status: KeyStatus| rows.iter().filter(|r| r.status == status).count();
    ReportSummary {
        keys_stored: rows.len() - count(KeyStatus::NoKey),
        healthy: count(KeyStatus::Healthy),
        due_soon: count(KeyStatus::DueSoon),
        overdue: count(KeyStatus::Overdue),
        expired: count(KeyStatus::Expired),
        disabled: count(KeyStatus::Disabled),
        vendors_without_key: count(KeyStatus::NoKey),
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
                keys: in_category
                    .iter()
                    .filter(|r| r.status != KeyStatus::NoKey)
                    .count(),
                due: in_category
                    .iter()
                    .filter(|r| matches!(r.status, KeyStatus::DueSoon | KeyStatus::Overdue))
                    .count(),
                next_due: day(9),
            }
        })
        .collect()
}

pub(super) fn input_of(rows: Vec<ReportRow>) -> ReportInput {
    ReportInput {
        vault_label: "VAULT: MSP-API-KEYVAULT".to_string(),
        generated_at: generated_at(),
        operator: "Dana Reyes (Admin)".to_string(),
        summary: summary_of(&rows),
        schedule: schedule_of(&rows),
        rows,
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

/// The 32 catalog vendors, as a real MSP stack would print.
pub(super) fn catalog_input() -> ReportInput {
    assert_eq!(
        catalog().len(),
        32,
        "the catalog should hold the 32 vendors"
    );
    let rows = catalog()
        .iter()
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

/// Checks every report must pass: landscape Letter, "Page N of M" everywhere, the summary
/// numbers under their labels, and every row whole on one page.
fn check_report(pdf: &Path, input: &ReportInput, row_keys: &[(String, String)]) -> Vec<String> {
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
        // The header row is repeated on every page that holds key rows.
        let holds_rows = row_keys
            .iter()
            .any(|(vendor, _)| page.contains(vendor.as_str()));
        if holds_rows {
            assert!(
                page.contains("Masked preview") && page.contains("Last rotated"),
                "page {} has rows but no header row:\n{}",
                i + 1,
                page.lines().take(14).collect::<Vec<_>>().join("\n")
            );
        }
    }

    // Summary: the line under the card labels holds the seven numbers, in order.
    let first: Vec<&str> = pages[0].lines().collect();
    let labels_at = first
        .iter()
        .position(|l| l.contains("Keys stored") && l.contains("Vendors without a key"))
        .expect("summary labels on page 1");
    let numbers: Vec<&str> = first[labels_at + 1..]
        .iter()
        .find(|l| !l.trim().is_empty())
        .expect("summary numbers")
        .split_whitespace()
        .collect();
    let s = &input.summary;
    let expected: Vec<String> = [
        s.keys_stored,
        s.healthy,
        s.due_soon,
        s.overdue,
        s.expired,
        s.disabled,
        s.vendors_without_key,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(numbers, expected, "summary numbers");

    // Whole rows: each row's two identifying cells are found, on the same page.
    for (vendor, other) in row_keys {
        let vendor_page = page_of(&pages, vendor).unwrap_or_else(|| panic!("{vendor:?} missing"));
        let other_page = page_of(&pages, other).unwrap_or_else(|| panic!("{other:?} missing"));
        assert_eq!(
            vendor_page, other_page,
            "row {vendor:?} / {other:?} split across pages"
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
    for (i, row) in input.rows.iter().enumerate() {
        if row.status == KeyStatus::NoKey {
            continue;
        }
        assert!(
            text.contains(&row.masked_preview),
            "masked preview {:?} missing",
            row.masked_preview
        );
        let prefix = &row.masked_preview[..4];
        assert!(
            !text.contains(&full_value(prefix, i)),
            "full value of row {i} printed"
        );
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "reads the PDF back with poppler (pdftoppm, pdftotext), Linux programs that a test under Wine cannot start; the Linux run checks it"
)]
fn catalog_report_prints_every_vendor_the_summary_and_page_numbers() {
    let input = catalog_input();
    let started = Instant::now();
    let bytes = render_pdf(&input).expect("render");
    let elapsed = started.elapsed();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let dir = tempfile::tempdir().expect("temp dir");
    let pdf = write_pdf(dir.path(), "report-32.pdf", &bytes);

    let row_keys: Vec<(String, String)> = input
        .rows
        .iter()
        .map(|r| (r.vendor.clone(), r.masked_preview.clone()))
        .filter(|(_, preview)| preview != "—")
        .collect();
    let pages = check_report(&pdf, &input, &row_keys);
    for row in &input.rows {
        assert!(
            pages.concat().contains(&row.vendor),
            "{} missing",
            row.vendor
        );
    }
    assert_eq!(pages.len(), plan_pages(32, input.schedule.len()).len());
    // The standard 32-vendor stack fits on page 1; the schedule follows on page 2.
    assert!(
        pages[0].contains(&input.rows[31].vendor),
        "page 1 should hold all 32 rows"
    );
    let schedule_page = page_of(&pages, "Rotation schedule by category").expect("schedule");
    assert_eq!(schedule_page, pages.len() - 1);
    for entry in &input.schedule {
        assert!(pages[schedule_page].contains(entry.category.label()));
        assert!(
            pages[schedule_page].contains(&entry.rationale),
            "{}",
            entry.rationale
        );
    }
    assert!(pages[0].contains("VAULT: MSP-API-KEYVAULT"));
    assert!(pages[0].contains("2026-11-23 10:05 UTC"));
    assert!(pages[0].contains("Dana Reyes (Admin)"));
    assert!(pages[0].contains("API Key Vault Console — Key Status Report"));
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
    let fonts_list = run_poppler("pdffonts", &[pdf.to_str().expect("utf-8 path")]);
    for line in fonts_list.lines().skip(2) {
        // Columns: name, type, encoding, emb, sub, uni, object, id.
        let fields: Vec<&str> = line.split_whitespace().collect();
        let n = fields.len();
        assert!(n >= 7, "odd pdffonts line {line:?}");
        assert_eq!(&fields[n - 5..n - 2], ["yes", "yes", "yes"], "{line}");
    }

    let png = keep_page_one(&pdf, "report-32");
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
fn thousand_row_report_keeps_rows_whole_and_numbers_every_page() {
    let input = synthetic_input(1000);
    let started = Instant::now();
    let bytes = render_pdf(&input).expect("render");
    let elapsed = started.elapsed();
    let dir = tempfile::tempdir().expect("temp dir");
    let pdf = write_pdf(dir.path(), "report-1000.pdf", &bytes);

    let row_keys: Vec<(String, String)> = input
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("Vendor {i:04}"), r.masked_preview.clone()))
        .filter(|(_, preview)| preview != "—")
        .collect();
    let pages = check_report(&pdf, &input, &row_keys);
    let owner_keys: Vec<(String, String)> = input
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.owner != "—")
        .map(|(i, r)| (format!("Vendor {i:04}"), r.owner.clone()))
        .collect();
    for (vendor, owner) in &owner_keys {
        assert_eq!(
            page_of(&pages, vendor),
            page_of(&pages, owner),
            "{vendor} split"
        );
    }
    assert_eq!(pages.len(), plan_pages(1000, input.schedule.len()).len());
    assert_no_secret(&bytes, &pages, &input);
    eprintln!(
        "1,000-key report: {} bytes (limit {MAX_BYTES_1000_KEYS}), rendered in {:.1} ms",
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
    let png = keep_page_one(&pdf, "report-1000");
    println!(
        "1,000 rows: rendered in {:.1} ms, {} pages, {} bytes, page 1 at {}",
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
fn schedule_moves_to_a_new_page_when_it_does_not_fit_under_the_table() {
    // 32 rows fill page 1 and 38 fill page 2 exactly: no room for the schedule on page 2.
    let full_two_pages = rows_that_fit(FIRST_PAGE_TABLE_TOP) + rows_that_fit(NEXT_PAGE_TABLE_TOP);
    let input = synthetic_input(full_two_pages);
    let bytes = render_pdf(&input).expect("render");
    let dir = tempfile::tempdir().expect("temp dir");
    let pdf = write_pdf(dir.path(), "report-full.pdf", &bytes);
    let pages = pages_text(&pdf);
    assert_eq!(pages.len(), 3);
    let last_row = format!("Vendor {:04}", full_two_pages - 1);
    assert_eq!(page_of(&pages, &last_row), Some(1));
    assert_eq!(page_of(&pages, "Rotation schedule by category"), Some(2));
    assert!(
        !pages[2].contains("Vendor 0"),
        "no key rows on the schedule page"
    );
    assert!(pages[2].contains("Page 3 of 3"));
}

/// Word boxes (`pdftotext -bbox`) of one page: (xMin, yMin, xMax, text).
fn word_boxes(pdf: &Path) -> Vec<(f32, f32, f32, String)> {
    let html = run_poppler(
        "pdftotext",
        &[
            "-bbox",
            "-f",
            "1",
            "-l",
            "1",
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

#[test]
#[cfg_attr(
    windows,
    ignore = "reads the PDF back with poppler (pdftoppm, pdftotext), Linux programs that a test under Wine cannot start; the Linux run checks it"
)]
fn long_text_is_cut_with_an_ellipsis_inside_its_column() {
    let mut input = catalog_input();
    let long_vendor = "Extremely Long Vendor Name Incorporated International Holdings Division";
    let long_owner = "Maximiliane Wolkenstein-Rodenegg, Network Operations Centre";
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

    let rights = column_lefts(&KEY_COLUMNS)
        .iter()
        .zip(KEY_COLUMNS.iter())
        .map(|(left, column)| left + column.width)
        .collect::<Vec<f32>>();
    let words = word_boxes(&pdf);
    for needle in ["Extremely", "Maximiliane", "abcd••"] {
        let (x_min, y_min, _, _) = words
            .iter()
            .find(|w| w.3.starts_with(needle))
            .unwrap_or_else(|| panic!("{needle} not found"))
            .clone();
        let column_right = rights
            .iter()
            .copied()
            .find(|&right| right > x_min)
            .expect("column");
        let line_end = words
            .iter()
            .filter(|w| (w.1 - y_min).abs() < 1.0 && w.0 >= x_min && w.0 < column_right)
            .map(|w| w.2)
            .fold(0.0_f32, f32::max);
        assert!(
            line_end <= column_right - CELL_PADDING + 0.5,
            "{needle}… ends at {line_end}, past its column edge {column_right}"
        );
        let cut = words
            .iter()
            .filter(|w| (w.1 - y_min).abs() < 1.0 && w.0 >= x_min && w.0 < column_right)
            .any(|w| w.3.ends_with('…'));
        assert!(cut, "{needle} cell should end with an ellipsis");
    }
}

#[test]
fn fit_measures_glyph_widths_not_characters() {
    let fonts = fonts().expect("fonts");
    let library = FontLibrary::system();
    let mut set = Typesetter::new(fonts, library);
    let regular = Face::Regular;
    // Same character count, very different widths.
    let wide = "WWWWWWWWWW";
    let narrow = "iiiiiiiiii";
    assert!(set.width(regular, wide, 8.0) > 2.5 * set.width(regular, narrow, 8.0));
    let room = set.width(regular, narrow, 8.0) + 0.1;
    assert_eq!(set.fit(regular, narrow, 8.0, room).text(), narrow);
    let cut = set.fit(regular, wide, 8.0, room);
    assert!(cut.text().ends_with('…') && cut.text().chars().count() < wide.chars().count());
    assert!(cut.width <= room);
    for max in [0.0, 3.0, 10.0, 40.0, 90.0] {
        for text in ["Microsoft Defender for Endpoint", "東京 NOC", "a\tb\nc", ""] {
            for face in [Face::Regular, Face::Bold] {
                let fitted = set.fit(face, text, 8.0, max);
                assert!(fitted.width <= max + 0.001, "{text:?} at {max}");
                // The width reported is the sum of what is drawn.
                let redrawn = set.width(face, &fitted.text(), 8.0);
                assert!((redrawn - fitted.width).abs() < 0.01 || fitted.text().contains("[U+"));
            }
        }
    }
    assert_eq!(set.fit(regular, "a\tb\nc", 8.0, 100.0).text(), "a b c");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "reads the PDF back with poppler (pdftoppm, pdftotext), Linux programs that a test under Wine cannot start; the Linux run checks it"
)]
fn empty_report_is_one_page_saying_so() {
    let input = input_of(Vec::new());
    let bytes = render_pdf(&input).expect("render");
    let dir = tempfile::tempdir().expect("temp dir");
    let pages = pages_text(&write_pdf(dir.path(), "empty.pdf", &bytes));
    assert_eq!(pages.len(), 1);
    assert!(pages[0].contains("No keys to report."));
    assert!(pages[0].contains("Rotation schedule by category"));
    assert!(pages[0].contains("Page 1 of 1"));
}

#[test]
fn page_plan_places_every_row_once_above_the_footer() {
    for (key_rows, schedule_rows) in [
        (0, 0),
        (0, 10),
        (1, 10),
        (32, 10),
        (33, 10),
        (70, 10),
        (1000, 10),
        (5, 120),
    ] {
        let plans = plan_pages(key_rows, schedule_rows);
        let mut next_key = 0;
        let mut next_schedule = 0;
        for (index, plan) in plans.iter().enumerate() {
            if let Some(rows) = &plan.key_rows {
                assert_eq!(
                    rows.start, next_key,
                    "key rows continue where the last page stopped"
                );
                let bottom = table_top(index) - HEADER_ROW_HEIGHT - rows.len() as f32 * ROW_HEIGHT;
                assert!(
                    bottom >= CONTENT_BOTTOM,
                    "key rows run into the footer on page {index}"
                );
                next_key = rows.end;
            }
            if let Some(slice) = &plan.schedule {
                assert_eq!(slice.rows.start, next_schedule);
                assert_eq!(slice.continued, slice.rows.start > 0);
                let bottom = slice.top - schedule_height(slice.rows.len());
                assert!(
                    bottom >= CONTENT_BOTTOM,
                    "schedule runs into the footer on page {index}"
                );
                if let Some(rows) = &plan.key_rows {
                    let table_bottom = table_top(index)
                        - HEADER_ROW_HEIGHT
                        - rows.len().max(1) as f32 * ROW_HEIGHT;
                    assert!(
                        slice.top <= table_bottom,
                        "schedule overlaps the key table on page {index}"
                    );
                }
                next_schedule = slice.rows.end;
            }
        }
        assert_eq!(
            next_key, key_rows,
            "every key row placed ({key_rows}, {schedule_rows})"
        );
        assert_eq!(
            next_schedule, schedule_rows,
            "every schedule row placed ({key_rows}, {schedule_rows})"
        );
    }
}

#[test]
fn column_widths_fill_the_content_width_exactly() {
    let keys: f32 = KEY_COLUMNS.iter().map(|c| c.width).sum();
    let schedule: f32 = SCHEDULE_COLUMNS.iter().map(|c| c.width).sum();
    assert!(
        (keys - CONTENT_WIDTH).abs() < 0.01,
        "key columns sum to {keys}"
    );
    assert!(
        (schedule - CONTENT_WIDTH).abs() < 0.01,
        "schedule columns sum to {schedule}"
    );
}

#[test]
fn pill_labels_pick_the_more_readable_ink() {
    // Category colours are dark cool hues (none wears a status colour): white reads best.
    for category in Category::ALL {
        let ink = label_colour_on(category.colour());
        assert_eq!(ink, WHITE, "{}", category.label());
    }
    // A light pill (the old Comms yellow) still gets dark ink: white on it is under 3:1.
    assert_eq!(label_colour_on([202, 138, 4]), INK);
}

#[test]
fn errors_have_codes_and_hints() {
    let errors = [
        PdfError::FontUnreadable {
            font: "DejaVu Sans",
        },
        PdfError::WriteFailed {
            detail: "boom".into(),
        },
    ];
    for error in errors {
        assert!(error.code().starts_with("pdf_"));
        assert!(error.hint().contains("CSV"));
        assert!(!error.to_string().is_empty());
    }
}
