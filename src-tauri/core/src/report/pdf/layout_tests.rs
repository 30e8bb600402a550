//! Tests of the layout model without reading a PDF back: the page plan, column widths, type
//! sizes of every text operation, and how text is fitted to a column.

use super::draw::label_colour_on;
use super::fallback::FontLibrary;
use super::fonts::{Face, Typesetter, fonts};
use super::layout::{self, Block, plan_section};
use super::tests::{catalog_input, input_of, mostly_healthy_input, synthetic_input};
use super::*;
use crate::domain::catalog::Category;

/// Every font size a rendered report sets, with how many text runs use it.
fn text_sizes(inputs: &[ReportInput]) -> Vec<(f32, usize)> {
    let mut set = Typesetter::new(fonts().expect("fonts"), FontLibrary::system());
    let pages = lay_out(inputs, &mut set);
    let mut sizes: Vec<(f32, usize)> = Vec::new();
    let mut current = None;
    for op in pages.iter().flat_map(|p| p.ops.iter()) {
        match op {
            printpdf::Op::SetFont { size, .. } => current = Some(size.0),
            printpdf::Op::ShowText { .. } => {
                let size = current.expect("a font is set before any text");
                match sizes.iter_mut().find(|(s, _)| (*s - size).abs() < 0.001) {
                    Some(entry) => entry.1 += 1,
                    None => sizes.push((size, 1)),
                }
            }
            _ => {}
        }
    }
    sizes
}

#[test]
fn no_text_is_under_7_pt_and_the_body_is_at_least_8_pt() {
    let mut broken = catalog_input();
    broken.audit.intact = Some(false);
    for input in [
        catalog_input(),
        synthetic_input(300),
        input_of(Vec::new()),
        broken,
    ] {
        let sizes = text_sizes(std::slice::from_ref(&input));
        let smallest = sizes.iter().map(|(s, _)| *s).fold(f32::INFINITY, f32::min);
        assert!(smallest >= 7.0, "text at {smallest} pt: {sizes:?}");
        // The body is what most text runs are set in.
        let body = sizes
            .iter()
            .max_by_key(|(_, runs)| *runs)
            .map(|(s, _)| *s)
            .expect("some text");
        assert!(body >= 8.0, "body at {body} pt: {sizes:?}");
        let under_8: usize = sizes.iter().filter(|(s, _)| *s < 8.0).map(|(_, n)| n).sum();
        let all: usize = sizes.iter().map(|(_, n)| n).sum();
        assert!(
            under_8 * 3 < all,
            "{under_8} of {all} runs under 8 pt: labels only, never the body"
        );
    }
}

#[test]
fn columns_that_never_cut_fit_their_widest_value_at_1000_keys() {
    let fonts = fonts().expect("fonts");
    let mut set = Typesetter::new(fonts, FontLibrary::system());
    let mut input = synthetic_input(1000);
    // The widest values the status labels and dates can take.
    for (row, label) in input.rows.iter_mut().zip([
        "Expired 999 d ago",
        "Overdue 999 d",
        "Expires in 14 d",
        "Due today",
    ]) {
        row.status.label = label.to_string();
    }
    let mut check =
        |columns: &[Column], i: usize, face: Face, size: f32, inset: f32, text: &str| {
            assert_eq!(columns[i].cut, Cut::Never, "{}", columns[i].heading);
            let room = columns[i].width - 2.0 * CELL_PADDING - inset;
            let fitted = set.fit(face, text, size, room).text();
            assert_eq!(
                fitted, text,
                "{:?} cut in column {}",
                text, columns[i].heading
            );
        };
    // The status dot and its gap sit before the label; a pill pads its label by 4 pt a side.
    let dot = 2.0 * 2.6 + 3.0;
    // Headings are never cut either.
    let mut heading_set = Typesetter::new(fonts, FontLibrary::system());
    for columns in [
        &KEY_COLUMNS[..],
        &EXCEPTION_COLUMNS,
        &SCHEDULE_COLUMNS,
        &OVERRIDE_COLUMNS,
        &OBJECT_COLUMNS,
    ] {
        for column in columns {
            let room = column.width - 2.0 * CELL_PADDING;
            let fitted = heading_set
                .fit(Face::Bold, column.heading, HEADER_SIZE, room)
                .text();
            assert_eq!(fitted, column.heading, "heading cut");
        }
    }
    for category in Category::ALL {
        check(
            &KEY_COLUMNS,
            1,
            Face::Bold,
            PILL_SIZE,
            8.0,
            category.label(),
        );
        check(
            &EXCEPTION_COLUMNS,
            1,
            Face::Bold,
            PILL_SIZE,
            8.0,
            category.label(),
        );
        check(
            &OVERRIDE_COLUMNS,
            1,
            Face::Bold,
            PILL_SIZE,
            8.0,
            category.label(),
        );
        check(
            &SCHEDULE_COLUMNS,
            0,
            Face::Bold,
            PILL_SIZE,
            8.0,
            category.label(),
        );
    }
    for exception in [
        crate::report::Exception::Expired,
        crate::report::Exception::RotationOverdue,
        crate::report::Exception::Disabled,
        crate::report::Exception::ForReview,
    ] {
        check(
            &EXCEPTION_COLUMNS,
            2,
            Face::Bold,
            BODY_SIZE,
            dot,
            exception.label(),
        );
    }
    for row in &input.rows {
        check(
            &KEY_COLUMNS,
            2,
            Face::Bold,
            BODY_SIZE,
            dot,
            &row.status.label,
        );
        check(&KEY_COLUMNS, 4, Face::Regular, BODY_SIZE, 0.0, &row.expiry);
        check(&KEY_COLUMNS, 5, Face::Regular, BODY_SIZE, 0.0, "3650 d");
        check(
            &KEY_COLUMNS,
            6,
            Face::Regular,
            BODY_SIZE,
            0.0,
            &row.last_rotated,
        );
        check(
            &KEY_COLUMNS,
            7,
            Face::Regular,
            BODY_SIZE,
            0.0,
            &row.next_due,
        );
        check(
            &EXCEPTION_COLUMNS,
            5,
            Face::Bold,
            BODY_SIZE,
            0.0,
            &row.status.due_date,
        );
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
fn the_plan_places_every_row_once_above_the_footer_under_its_header() {
    for input in [
        input_of(Vec::new()),
        catalog_input(),
        synthetic_input(33),
        synthetic_input(70),
        synthetic_input(1000),
        mostly_healthy_input(400, 3),
    ] {
        let plans = plan_section(&input);
        assert!(plans[0].first && plans.iter().skip(1).all(|p| !p.first));
        assert_eq!(
            plans[0].blocks.first().map(|b| &b.block),
            Some(&Block::FrontHeader)
        );
        let mut next: Vec<(layout::Table, usize)> = Vec::new();
        for (index, plan) in plans.iter().enumerate() {
            let top = if plan.first {
                CONTENT_TOP
            } else {
                NEXT_PAGE_TOP
            };
            let mut y = top + 0.01;
            let mut headed: Vec<layout::Table> = Vec::new();
            for placed in &plan.blocks {
                assert!(placed.top <= y, "blocks overlap on page {}", index + 1);
                y = placed.top - placed.block.height();
                assert!(
                    y >= CONTENT_BOTTOM - 0.01,
                    "{:?} runs into the footer on page {}",
                    placed.block,
                    index + 1
                );
                match &placed.block {
                    Block::Header(table) => headed.push(*table),
                    Block::Row {
                        table, index: row, ..
                    } => {
                        if *table != layout::Table::Missing {
                            assert!(headed.contains(table), "{table:?} row without a header");
                        }
                        let expected = next.iter().find(|(t, _)| t == table).map_or(0, |(_, n)| *n);
                        assert_eq!(*row, expected, "{table:?} rows continue in order");
                        next.retain(|(t, _)| t != table);
                        next.push((*table, row + 1));
                    }
                    _ => {}
                }
            }
            assert!(
                !matches!(plan.blocks.last().map(|b| &b.block), Some(Block::Title(_))),
                "a title alone at the foot of page {}",
                index + 1
            );
        }
        let placed = |table| {
            next.iter()
                .find(|(t, _)| *t == table)
                .map_or(0, |(_, n)| *n)
        };
        assert_eq!(placed(layout::Table::Keys), input.rows.len());
        assert_eq!(
            placed(layout::Table::Exceptions),
            input.exceptions().count()
        );
        assert_eq!(
            placed(layout::Table::Missing),
            input.missing.len().div_ceil(4)
        );
        assert_eq!(placed(layout::Table::Schedule), input.schedule.len());
    }
}

#[test]
fn column_widths_fill_the_content_width_exactly() {
    for (name, columns) in [
        ("key", &KEY_COLUMNS[..]),
        ("exception", &EXCEPTION_COLUMNS[..]),
        ("schedule", &SCHEDULE_COLUMNS[..]),
        ("override", &OVERRIDE_COLUMNS[..]),
        ("object", &OBJECT_COLUMNS[..]),
    ] {
        let sum: f32 = columns.iter().map(|c| c.width).sum();
        assert!(
            (sum - CONTENT_WIDTH).abs() < 0.01,
            "{name} columns sum to {sum}"
        );
    }
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
