//! Tests of text DejaVu cannot draw: the fallback font path and the `[U+XXXX]` marker path.

use std::path::PathBuf;

use super::fallback::FontLibrary;
use super::fonts::{Face, FontFace, Typesetter, fonts};
use super::render_with;
use super::tests::{catalog_input, keep_page_one, pages_text, write_pdf};

/// The CJK owner and operator every machine's report must print legibly.
const CJK_OWNER: &str = "東京 NOC";
const CJK_OPERATOR: &str = "王芳 (Admin)";

fn cjk_input() -> super::ReportInput {
    let mut input = catalog_input();
    input.operator = CJK_OPERATOR.to_string();
    for row in input.rows.iter_mut().filter(|r| r.owner != "—") {
        row.owner = CJK_OWNER.to_string();
    }
    input
}

/// Render, keep page 1 as `name` in test-artifacts/pdf for a person to look at, extract text.
fn render_text(input: &super::ReportInput, library: &FontLibrary, name: &str) -> (Vec<u8>, String) {
    let bytes = render_with(std::slice::from_ref(input), library).expect("render");
    let dir = tempfile::tempdir().expect("temp dir");
    let pdf = write_pdf(dir.path(), "report.pdf", &bytes);
    keep_page_one(&pdf, name);
    let text = pages_text(&pdf).concat();
    (bytes, text)
}

#[test]
#[cfg_attr(
    windows,
    ignore = "reads the PDF back with poppler (pdftoppm, pdftotext), Linux programs that a test under Wine cannot start; the Linux run checks it"
)]
fn cjk_text_uses_a_system_font_or_a_visible_marker_never_a_replacement_mark() {
    let library = FontLibrary::system();
    let input = cjk_input();
    let (bytes, text) = render_text(&input, library, "report-cjk");
    assert!(!text.contains('\u{FFFD}'), "U+FFFD in the report");
    for row in &input.rows {
        assert!(text.contains(&row.vendor), "{} missing", row.vendor);
    }

    let has_cjk_font = "東京王芳".chars().all(|c| library.has(c));
    if has_cjk_font {
        eprintln!("CJK fallback font found: the report draws the CJK text itself");
        assert!(
            text.contains("王芳 (Admin)"),
            "operator in the fallback font"
        );
        assert!(text.contains("東京 NOC"), "owner in the fallback font");
    } else {
        eprintln!("no CJK font on this machine: the report prints [U+XXXX] markers");
        // The meta line is wide: the operator's markers print whole.
        assert!(
            text.contains("Operator: [U+738B][U+82B3] (Admin)"),
            "operator marker missing"
        );
        // The owner column is narrow: the first marker at least, and never half a marker.
        assert!(text.contains("[U+6771]"), "owner marker missing");
        assert!(!text.contains("[U+6771][U+4E"), "a marker was cut in half");
        assert!(!text.contains("東京") && !text.contains("王芳"));
    }
    eprintln!("CJK report: {} bytes", bytes.len());
    assert!(bytes.len() < 150_000, "CJK report is {} bytes", bytes.len());
}

#[test]
#[cfg_attr(
    windows,
    ignore = "reads the PDF back with poppler (pdftoppm, pdftotext), Linux programs that a test under Wine cannot start; the Linux run checks it"
)]
fn a_library_without_fonts_prints_markers_in_the_report() {
    let empty = tempfile::tempdir().expect("temp dir");
    let library = FontLibrary::from_dirs(vec![empty.path().to_path_buf()]);
    let (_, text) = render_text(&cjk_input(), &library, "report-cjk-markers");
    assert!(text.contains("Operator: [U+738B][U+82B3] (Admin)"));
    assert!(!text.contains('\u{FFFD}'));
}

/// A character the bundled DejaVu pair lacks but `face` has, for exercising the fallback path
/// with whatever fonts this machine holds. Only spacing symbols (letterlike, arrows, math
/// operators, math alphanumerics): a combining mark would not extract on its own.
fn char_only_in(face: &FontFace) -> Option<char> {
    let bundled = fonts().expect("fonts");
    let symbols = [
        0x2100..=0x214F,
        0x2190..=0x22FF,
        0x27C0..=0x2AFF,
        0x1D400..=0x1D7FF,
    ];
    face.coverage()
        .into_iter()
        .flat_map(|(start, end)| start..=end)
        .filter(|cp| symbols.iter().any(|range| range.contains(cp)))
        .filter_map(char::from_u32)
        .find(|&c| !bundled.regular.has_glyph(c) && !bundled.bold.has_glyph(c))
}

#[test]
#[cfg_attr(
    windows,
    ignore = "reads the PDF back with poppler (pdftoppm, pdftotext), Linux programs that a test under Wine cannot start; the Linux run checks it"
)]
fn a_fallback_font_draws_what_dejavu_lacks_and_is_embedded_as_a_subset() {
    // Any installed font with a glyph DejaVu Sans lacks will do (DejaVu Math TeX Gyre has
    // some); the machine's CJK fonts, if any, are covered by the test above.
    let candidates = [
        "/usr/share/fonts/truetype/dejavu/DejaVuMathTeXGyre.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    ];
    let found = candidates.iter().map(PathBuf::from).find_map(|path| {
        let bytes = std::fs::read(&path).ok()?;
        let face = FontFace::parse(&bytes, 0, path.display().to_string())?;
        Some((path, char_only_in(&face)?))
    });
    let Some((path, c)) = found else {
        eprintln!("no installed font has a glyph DejaVu Sans lacks: fallback path not exercised");
        return;
    };
    eprintln!(
        "fallback exercised with {} for U+{:04X}",
        path.display(),
        u32::from(c)
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let file_name = path.file_name().expect("file name");
    std::fs::copy(&path, dir.path().join(file_name)).expect("copy the font");
    let library = FontLibrary::from_dirs(vec![dir.path().to_path_buf()]);

    let mut input = catalog_input();
    input.operator = format!("Dana {c} Reyes");
    let (bytes, text) = render_text(&input, &library, "report-fallback");
    assert!(
        text.contains(&format!("Dana {c} Reyes")),
        "U+{:04X} not extracted",
        u32::from(c)
    );
    let marker = format!("[U+{:04X}]", u32::from(c));
    assert!(
        !text.contains(&marker),
        "no marker when a font has the glyph"
    );

    let mut set = Typesetter::new(fonts().expect("fonts"), &library);
    let line = set.fit(Face::Regular, &input.operator, 8.0, f32::INFINITY);
    assert_eq!(
        line.runs.len(),
        3,
        "DejaVu, fallback, DejaVu: {:?}",
        line.runs
    );
    assert_eq!(set.fallback_names().len(), 1);
    // Subset: far smaller than the fallback font file itself plus the bundled pair.
    let font_size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "report with fallback: {} bytes (font file {font_size})",
        bytes.len()
    );
    assert!(
        bytes.len() < 150_000,
        "report with fallback is {} bytes",
        bytes.len()
    );
}
