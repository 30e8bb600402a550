//! Tests of the key table: rows whole on a page at 1,000 keys, long text cut inside its column.

use super::*;

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
