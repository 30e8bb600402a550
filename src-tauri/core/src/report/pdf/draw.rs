//! Drawing primitives as printpdf ops: text fitted to a width, pills, rectangles, rules and
//! table header rows. The report's blocks are drawn in `sections`.

use printpdf::{
    Color, LinePoint, Op, PaintMode, PdfFontHandle, Point, Polygon, PolygonRing, Pt, Rect, Rgb,
    TextItem, WindingOrder,
};

use super::fonts::{Face, Line, Typesetter};
use super::*;

#[derive(Clone, Copy)]
pub(super) struct TextStyle {
    pub(super) face: Face,
    pub(super) size: f32,
    pub(super) colour: [u8; 3],
}

pub(super) const fn style(face: Face, size: f32, colour: [u8; 3]) -> TextStyle {
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

/// A status colour darkened a little, so that status labels stay readable as text.
pub(super) fn text_colour(colour: [u8; 3]) -> [u8; 3] {
    colour.map(|v| (f32::from(v) * 0.8) as u8)
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
    pub(super) fn fill_rect(&mut self, x: f32, y: f32, width: f32, height: f32, colour: [u8; 3]) {
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
    pub(super) fn fill_rounded_rect(
        &mut self,
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        colour: [u8; 3],
    ) {
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

    pub(super) fn fill_circle(
        &mut self,
        centre_x: f32,
        centre_y: f32,
        radius: f32,
        colour: [u8; 3],
    ) {
        self.fill_rounded_rect(
            centre_x - radius,
            centre_y - radius,
            radius * 2.0,
            radius * 2.0,
            colour,
        );
    }

    pub(super) fn hline(&mut self, x1: f32, x2: f32, y: f32, thickness: f32, colour: [u8; 3]) {
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
    pub(super) fn text_at(&mut self, x: f32, baseline: f32, style: TextStyle, text: &str) {
        let line = self
            .typesetter
            .fit(style.face, text, style.size, f32::INFINITY);
        self.text(x, baseline, style, line);
    }

    /// Draw `text` inside the horizontal span `x .. x + width`, cut to fit, aligned.
    pub(super) fn text_in(
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
    pub(super) fn pill(
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

pub(super) fn baseline_in(row_bottom: f32, row_height: f32, size: f32) -> f32 {
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

pub(super) fn draw_table_header(canvas: &mut Canvas, columns: &[Column], top: f32) {
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
