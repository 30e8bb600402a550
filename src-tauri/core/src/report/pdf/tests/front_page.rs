//! Tests of the report's front page (exceptions, audit verification), policy and sign-off.

use super::*;

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
