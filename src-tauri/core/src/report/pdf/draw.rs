//! Drawing one page: tables, pills, summary cards, headers and the footer, as printpdf ops.

use printpdf::{
    Color, LinePoint, Op, PaintMode, PdfFontHandle, Point, Polygon, PolygonRing, Pt, Rect, Rgb,
    TextItem, WindingOrder,
};

use super::fonts::{Face, Line, Typesetter};
use super::layout::{PagePlan, table_top};
use super::*;
use crate::domain::keys::KeyStatus;
use crate::report::{ReportInput, ReportRow, ScheduleRow};

#[derive(Clone, Copy)]
struct TextStyle {
    face: Face,
    size: f32,
    colour: [u8; 3],
}

const fn style(face: Face, size: f32, colour: [u8; 3]) -> TextStyle {
    TextStyle { face, size, colour }
}

fn rgb(colour: [u8; 3]) -> Color {
    Color::Rgb(Rgb {
        r: f32::from(colour[0]) / 255.0,
        g: f32::from(colour[1]) / 255.0,
        b: f32::from(colour[2]) / 255.0,
        icc_profile: None,
    })
}

/// Black or white, whichever reads better on `background` (WCAG contrast). White wins ties
/// down to 3:1 so that most pills keep the usual white label.
pub(super) fn label_colour_on(background: [u8; 3]) -> [u8; 3] {
    let channel = |v: u8| {
        let s = f32::from(v) / 255.0;
        if s <= 0.040_45 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(background[0])
        + 0.7152 * channel(background[1])
        + 0.0722 * channel(background[2]);
    let contrast_with_white = 1.05 / (luminance + 0.05);
    if contrast_with_white >= 3.0 {
        WHITE
    } else {
        INK
    }
}

/// The status colour darkened a little, so that status labels stay readable as text.
fn status_text_colour(status: KeyStatus) -> [u8; 3] {
    status.colour().map(|v| (f32::from(v) * 0.8) as u8)
}

fn point(x: f32, y: f32) -> Point {
    Point { x: Pt(x), y: Pt(y) }
}

fn corner(x: f32, y: f32, bezier: bool) -> LinePoint {
    LinePoint {
        p: point(x, y),
        bezier,
    }
}

/// The ops of one page, with helpers that keep every piece of text in its own text section
/// (`SetTextCursor` is relative to the previous position inside a section).
pub(super) struct Canvas<'a, 'f> {
    pub(super) typesetter: &'a mut Typesetter<'f>,
    pub(super) ops: Vec<Op>,
}

impl Canvas<'_, '_> {
    fn fill_rect(&mut self, x: f32, y: f32, width: f32, height: f32, colour: [u8; 3]) {
        self.ops.push(Op::SetFillColor { col: rgb(colour) });
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(x),
                y: Pt(y),
                width: Pt(width),
                height: Pt(height),
                mode: Some(PaintMode::Fill),
                winding_order: Some(WindingOrder::NonZero),
            },
        });
    }

    /// A filled rectangle whose corners are rounded by half its smaller side: a pill, or a
    /// circle when it is square.
    fn fill_rounded_rect(&mut self, x: f32, y: f32, width: f32, height: f32, colour: [u8; 3]) {
        let r = (height / 2.0).min(width / 2.0);
        let k = r * BEZIER_CIRCLE;
        let (left, right, bottom, top) = (x, x + width, y, y + height);
        let points = vec![
            corner(left + r, bottom, false),
            corner(right - r, bottom, false),
            corner(right - r + k, bottom, true),
            corner(right, bottom + r - k, true),
            corner(right, bottom + r, false),
            corner(right, top - r, false),
            corner(right, top - r + k, true),
            corner(right - r + k, top, true),
            corner(right - r, top, false),
            corner(left + r, top, false),
            corner(left + r - k, top, true),
            corner(left, top - r + k, true),
            corner(left, top - r, false),
            corner(left, bottom + r, false),
            corner(left, bottom + r - k, true),
            corner(left + r - k, bottom, true),
            corner(left + r, bottom, false),
        ];
        self.ops.push(Op::SetFillColor { col: rgb(colour) });
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![PolygonRing { points }],
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        });
    }

    fn fill_circle(&mut self, centre_x: f32, centre_y: f32, radius: f32, colour: [u8; 3]) {
        self.fill_rounded_rect(
            centre_x - radius,
            centre_y - radius,
            radius * 2.0,
            radius * 2.0,
            colour,
        );
    }

    fn hline(&mut self, x1: f32, x2: f32, y: f32, thickness: f32, colour: [u8; 3]) {
        self.fill_rect(x1, y - thickness / 2.0, x2 - x1, thickness, colour);
    }

    /// Draw an already-fitted line with its baseline at (`x`, `baseline`). Runs in other
    /// fonts follow in the same text section: each `Tj` advances the cursor by its own width.
    fn text(&mut self, x: f32, baseline: f32, style: TextStyle, line: Line) {
        if line.runs.is_empty() {
            return;
        }
        self.typesetter.mark_drawn(&line);
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor {
                col: rgb(style.colour),
            },
            Op::SetTextCursor {
                pos: point(x, baseline),
            },
        ]);
        for (slot, run) in line.runs {
            self.ops.extend([
                Op::SetFont {
                    font: PdfFontHandle::External(slot.font_id()),
                    size: Pt(style.size),
                },
                Op::ShowText {
                    items: vec![TextItem::Text(run)],
                },
            ]);
        }
        self.ops.push(Op::EndTextSection);
    }

    /// Draw `text` whole (no width limit) with its baseline at (`x`, `baseline`).
    fn text_at(&mut self, x: f32, baseline: f32, style: TextStyle, text: &str) {
        let line = self
            .typesetter
            .fit(style.face, text, style.size, f32::INFINITY);
        self.text(x, baseline, style, line);
    }

    /// Draw `text` inside the horizontal span `x .. x + width`, cut to fit, aligned.
    fn text_in(
        &mut self,
        x: f32,
        width: f32,
        baseline: f32,
        align: Align,
        style: TextStyle,
        text: &str,
    ) {
        let fitted = self
            .typesetter
            .fit(style.face, text, style.size, width.max(0.0));
        let start = match align {
            Align::Left => x,
            Align::Right => x + width - fitted.width,
        };
        self.text(start, baseline, style, fitted);
    }

    /// A coloured pill holding a label, left-aligned in a cell that starts at `x`.
    fn pill(
        &mut self,
        x: f32,
        row_bottom: f32,
        row_height: f32,
        max_width: f32,
        fill: [u8; 3],
        label: &str,
    ) {
        let pad = 4.0;
        let fitted = self
            .typesetter
            .fit(Face::Bold, label, PILL_SIZE, max_width - 2.0 * pad);
        let width = fitted.width + 2.0 * pad;
        let bottom = row_bottom + (row_height - PILL_HEIGHT) / 2.0;
        self.fill_rounded_rect(x, bottom, width, PILL_HEIGHT, fill);
        let baseline = bottom + (PILL_HEIGHT - CAP_HEIGHT_EM * PILL_SIZE) / 2.0;
        self.text(
            x + pad,
            baseline,
            style(Face::Bold, PILL_SIZE, label_colour_on(fill)),
            fitted,
        );
    }
}

fn baseline_in(row_bottom: f32, row_height: f32, size: f32) -> f32 {
    row_bottom + (row_height - CAP_HEIGHT_EM * size) / 2.0
}

/// Left edges of the columns.
pub(super) fn column_lefts(columns: &[Column]) -> Vec<f32> {
    columns
        .iter()
        .scan(CONTENT_LEFT, |x, column| {
            let left = *x;
            *x += column.width;
            Some(left)
        })
        .collect()
}

fn draw_table_header(canvas: &mut Canvas, columns: &[Column], top: f32) {
    let bottom = top - HEADER_ROW_HEIGHT;
    canvas.fill_rect(
        CONTENT_LEFT,
        bottom,
        CONTENT_WIDTH,
        HEADER_ROW_HEIGHT,
        HEADER_FILL,
    );
    let baseline = baseline_in(bottom, HEADER_ROW_HEIGHT, HEADER_SIZE);
    for (column, left) in columns.iter().zip(column_lefts(columns)) {
        canvas.text_in(
            left + CELL_PADDING,
            column.width - 2.0 * CELL_PADDING,
            baseline,
            column.align,
            style(Face::Bold, HEADER_SIZE, WHITE),
            column.heading,
        );
    }
}

fn draw_zebra(canvas: &mut Canvas, index: usize, bottom: f32) {
    if index % 2 == 1 {
        canvas.fill_rect(CONTENT_LEFT, bottom, CONTENT_WIDTH, ROW_HEIGHT, ZEBRA);
    }
}

fn draw_key_row(canvas: &mut Canvas, row: &ReportRow, index_on_page: usize, bottom: f32) {
    draw_zebra(canvas, index_on_page, bottom);
    let baseline = baseline_in(bottom, ROW_HEIGHT, BODY_SIZE);
    let lefts = column_lefts(&KEY_COLUMNS);
    let body = style(Face::Regular, BODY_SIZE, INK);
    let muted = style(Face::Regular, BODY_SIZE, MUTED);
    let inner = |i: usize| {
        (
            lefts[i] + CELL_PADDING,
            KEY_COLUMNS[i].width - 2.0 * CELL_PADDING,
        )
    };

    let (x, w) = inner(0);
    canvas.text_in(
        x,
        w,
        baseline,
        Align::Left,
        style(Face::Bold, BODY_SIZE, INK),
        &row.vendor,
    );

    let (x, w) = inner(1);
    canvas.pill(
        x,
        bottom,
        ROW_HEIGHT,
        w,
        row.category.colour(),
        row.category.label(),
    );

    let (x, w) = inner(2);
    let dot_radius = 2.6;
    canvas.fill_circle(
        x + dot_radius,
        bottom + ROW_HEIGHT / 2.0,
        dot_radius,
        row.status.colour(),
    );
    let label_x = x + 2.0 * dot_radius + 3.0;
    canvas.text_in(
        label_x,
        x + w - label_x,
        baseline,
        Align::Left,
        style(Face::Bold, BODY_SIZE, status_text_colour(row.status)),
        row.status.label(),
    );

    let cells: [(usize, &str, TextStyle); 7] = [
        (3, &row.masked_preview, body),
        (4, &row.expiry, body),
        (5, &row.days_left, body),
        (6, &row.interval, body),
        (7, &row.last_rotated, body),
        (8, &row.next_due, body),
        (9, &row.owner, muted),
    ];
    for (i, text, cell_style) in cells {
        let (x, w) = inner(i);
        canvas.text_in(x, w, baseline, KEY_COLUMNS[i].align, cell_style, text);
    }
}

fn draw_schedule_row(canvas: &mut Canvas, row: &ScheduleRow, index_on_page: usize, bottom: f32) {
    draw_zebra(canvas, index_on_page, bottom);
    let baseline = baseline_in(bottom, ROW_HEIGHT, BODY_SIZE);
    let lefts = column_lefts(&SCHEDULE_COLUMNS);
    let body = style(Face::Regular, BODY_SIZE, INK);
    let inner = |i: usize| {
        (
            lefts[i] + CELL_PADDING,
            SCHEDULE_COLUMNS[i].width - 2.0 * CELL_PADDING,
        )
    };

    let (x, w) = inner(0);
    canvas.pill(
        x,
        bottom,
        ROW_HEIGHT,
        w,
        row.category.colour(),
        row.category.label(),
    );

    let due_style = if row.due > 0 {
        style(
            Face::Bold,
            BODY_SIZE,
            status_text_colour(KeyStatus::Overdue),
        )
    } else {
        body
    };
    let interval = format!("{} days", row.interval_days);
    let keys = row.keys.to_string();
    let due = row.due.to_string();
    let cells: [(usize, &str, TextStyle); 5] = [
        (1, &interval, body),
        (2, &row.rationale, style(Face::Regular, BODY_SIZE, MUTED)),
        (3, &keys, body),
        (4, &due, due_style),
        (5, &row.next_due, body),
    ];
    for (i, text, cell_style) in cells {
        let (x, w) = inner(i);
        canvas.text_in(x, w, baseline, SCHEDULE_COLUMNS[i].align, cell_style, text);
    }
}

/// Title, vault, generated time and operator, a rule, then the summary cards.
fn draw_first_page_header(canvas: &mut Canvas, input: &ReportInput) {
    let title_baseline = CONTENT_TOP - 12.0;
    let vault_style = style(Face::Bold, 10.0, HEADER_FILL);
    let vault_width = canvas
        .typesetter
        .width(Face::Bold, &input.vault_label, vault_style.size)
        .min(220.0);
    let title_style = style(Face::Bold, 16.0, INK);
    canvas.text_in(
        CONTENT_LEFT,
        CONTENT_WIDTH - vault_width - 16.0,
        title_baseline,
        Align::Left,
        title_style,
        TITLE,
    );
    canvas.text_in(
        CONTENT_RIGHT - vault_width,
        vault_width,
        title_baseline,
        Align::Right,
        vault_style,
        &input.vault_label,
    );

    let meta_baseline = title_baseline - 16.0;
    let generated = input.generated_at.format("%Y-%m-%d %H:%M UTC").to_string();
    let meta = format!("Generated {generated}   ·   Operator: {}", input.operator);
    canvas.text_in(
        CONTENT_LEFT,
        CONTENT_WIDTH,
        meta_baseline,
        Align::Left,
        style(Face::Regular, 8.5, MUTED),
        &meta,
    );
    let rule_y = meta_baseline - 8.0;
    canvas.hline(CONTENT_LEFT, CONTENT_RIGHT, rule_y, 0.6, RULE);

    draw_summary(canvas, input, rule_y - 10.0);

    canvas.text_in(
        CONTENT_LEFT,
        CONTENT_WIDTH,
        FIRST_PAGE_TABLE_TOP + 6.0,
        Align::Left,
        style(Face::Bold, 10.0, INK),
        &format!("Key status by vendor ({} rows)", input.rows.len()),
    );
}

fn draw_summary(canvas: &mut Canvas, input: &ReportInput, top: f32) {
    let summary = &input.summary;
    let cards: [(&str, usize, [u8; 3]); 7] = [
        ("Keys stored", summary.keys_stored, HEADER_FILL),
        ("Healthy", summary.healthy, KeyStatus::Healthy.colour()),
        (
            "Due within 14 days",
            summary.due_soon,
            KeyStatus::DueSoon.colour(),
        ),
        ("Overdue", summary.overdue, KeyStatus::Overdue.colour()),
        ("Expired", summary.expired, KeyStatus::Expired.colour()),
        ("Disabled", summary.disabled, KeyStatus::Disabled.colour()),
        (
            "Vendors without a key",
            summary.vendors_without_key,
            KeyStatus::NoKey.colour(),
        ),
    ];
    let gap = 8.0;
    let card_height = 36.0;
    let card_width = (CONTENT_WIDTH - gap * (cards.len() - 1) as f32) / cards.len() as f32;
    let bottom = top - card_height;
    for (i, (label, value, accent)) in cards.into_iter().enumerate() {
        let left = CONTENT_LEFT + i as f32 * (card_width + gap);
        canvas.fill_rect(left, bottom, card_width, card_height, CARD_FILL);
        canvas.fill_rect(left, bottom, 3.0, card_height, accent);
        let text_left = left + 9.0;
        let text_width = card_width - 13.0;
        canvas.text_in(
            text_left,
            text_width,
            top - 11.0,
            Align::Left,
            style(Face::Regular, 7.0, MUTED),
            label,
        );
        canvas.text_in(
            text_left,
            text_width,
            bottom + 7.0,
            Align::Left,
            style(Face::Bold, 15.0, INK),
            &value.to_string(),
        );
    }
}

/// Compact header of the following pages: title left, vault right, a rule.
fn draw_running_header(canvas: &mut Canvas, input: &ReportInput) {
    let baseline = CONTENT_TOP - 10.0;
    let vault_style = style(Face::Bold, 9.0, HEADER_FILL);
    let vault_width = canvas
        .typesetter
        .width(Face::Bold, &input.vault_label, vault_style.size)
        .min(220.0);
    canvas.text_in(
        CONTENT_LEFT,
        CONTENT_WIDTH - vault_width - 16.0,
        baseline,
        Align::Left,
        style(Face::Bold, 11.0, INK),
        TITLE,
    );
    canvas.text_in(
        CONTENT_RIGHT - vault_width,
        vault_width,
        baseline,
        Align::Right,
        vault_style,
        &input.vault_label,
    );
    canvas.hline(CONTENT_LEFT, CONTENT_RIGHT, baseline - 8.0, 0.6, RULE);
}

fn draw_footer(canvas: &mut Canvas, page_number: usize, page_count: usize) {
    canvas.hline(CONTENT_LEFT, CONTENT_RIGHT, FOOTER_RULE_Y, 0.4, RULE);
    let footer_style = style(Face::Regular, 7.0, MUTED);
    let page_label = format!("Page {page_number} of {page_count}");
    let page_label_width = canvas
        .typesetter
        .width(Face::Regular, &page_label, footer_style.size);
    canvas.text_in(
        CONTENT_RIGHT - page_label_width,
        page_label_width,
        FOOTER_BASELINE,
        Align::Right,
        footer_style,
        &page_label,
    );
    canvas.text_in(
        CONTENT_LEFT,
        CONTENT_WIDTH - page_label_width - 24.0,
        FOOTER_BASELINE,
        Align::Left,
        footer_style,
        FOOTER,
    );
}

/// Where a page sits: its index inside its client's section (the first carries the summary)
/// and its number in the whole document.
pub(super) struct PagePlace {
    pub(super) index: usize,
    pub(super) number: usize,
    pub(super) count: usize,
}

pub(super) fn draw_page(
    canvas: &mut Canvas,
    input: &ReportInput,
    plan: &PagePlan,
    place: PagePlace,
) {
    let index = place.index;
    if index == 0 {
        draw_first_page_header(canvas, input);
    } else {
        draw_running_header(canvas, input);
    }

    if let Some(rows) = &plan.key_rows {
        let top = table_top(index);
        draw_table_header(canvas, &KEY_COLUMNS, top);
        let first_row_top = top - HEADER_ROW_HEIGHT;
        if input.rows.is_empty() {
            let bottom = first_row_top - ROW_HEIGHT;
            canvas.text_in(
                CONTENT_LEFT + CELL_PADDING,
                CONTENT_WIDTH,
                baseline_in(bottom, ROW_HEIGHT, BODY_SIZE),
                Align::Left,
                style(Face::Regular, BODY_SIZE, MUTED),
                "No keys to report.",
            );
        }
        for (i, row) in input.rows[rows.clone()].iter().enumerate() {
            let bottom = first_row_top - (i + 1) as f32 * ROW_HEIGHT;
            draw_key_row(canvas, row, i, bottom);
        }
    }

    if let Some(slice) = &plan.schedule {
        let title = if slice.continued {
            "Rotation schedule by category (continued)"
        } else {
            "Rotation schedule by category"
        };
        canvas.text_at(
            CONTENT_LEFT,
            slice.top - 12.0,
            style(Face::Bold, 10.0, INK),
            title,
        );
        let header_top = slice.top - SECTION_TITLE_HEIGHT;
        draw_table_header(canvas, &SCHEDULE_COLUMNS, header_top);
        let first_row_top = header_top - HEADER_ROW_HEIGHT;
        for (i, row) in input.schedule[slice.rows.clone()].iter().enumerate() {
            let bottom = first_row_top - (i + 1) as f32 * ROW_HEIGHT;
            draw_schedule_row(canvas, row, i, bottom);
        }
    }

    draw_footer(canvas, place.number, place.count);
}
