//! The report's blocks drawn on a page: the front header, the facts (compliance, counts, audit
//! verification), section titles, table rows, the sign-off block, running header and footer.

use super::draw::{
    Canvas, TextStyle, baseline_in, column_lefts, draw_table_header, style, text_colour,
};
use super::fonts::Face;
use super::layout::{Block, MISSING_PER_LINE, PagePlan, Table, overrides};
use super::*;
use crate::domain::keys::KeyStatus;
use crate::report::{ReportInput, ReportRow};

/// Where a page sits in the whole document.
pub(super) struct PagePlace {
    pub(super) number: usize,
    pub(super) count: usize,
}

fn columns(table: Table) -> &'static [Column] {
    match table {
        Table::Exceptions => &EXCEPTION_COLUMNS,
        Table::Schedule => &SCHEDULE_COLUMNS,
        Table::Overrides => &OVERRIDE_COLUMNS,
        Table::Objects => &OBJECT_COLUMNS,
        Table::Keys | Table::Missing => &KEY_COLUMNS,
    }
}

/// "Prepared by <MSP> for <client>", or just the client when no MSP name is set.
pub(super) fn prepared_line(input: &ReportInput) -> String {
    if input.msp_name.is_empty() {
        format!("Prepared for {}", input.client_name)
    } else {
        format!("Prepared by {} for {}", input.msp_name, input.client_name)
    }
}

pub(super) fn draw_page(
    canvas: &mut Canvas,
    input: &ReportInput,
    plan: &PagePlan,
    place: PagePlace,
) {
    if !plan.first {
        draw_running_header(canvas, input);
    }
    for placed in &plan.blocks {
        draw_block(canvas, input, &placed.block, placed.top);
    }
    draw_footer(canvas, place.number, place.count);
}

fn draw_block(canvas: &mut Canvas, input: &ReportInput, block: &Block, top: f32) {
    match block {
        Block::FrontHeader => draw_front_header(canvas, input, top),
        Block::Facts => draw_facts(canvas, input, top),
        Block::Title(text) => canvas.text_in(
            CONTENT_LEFT,
            CONTENT_WIDTH,
            top - 13.0,
            Align::Left,
            style(Face::Bold, 10.0, INK),
            text,
        ),
        Block::Line(text) => canvas.text_in(
            CONTENT_LEFT,
            CONTENT_WIDTH,
            baseline_in(top - LINE_HEIGHT, LINE_HEIGHT, BODY_SIZE),
            Align::Left,
            style(Face::Regular, BODY_SIZE, MUTED),
            text,
        ),
        Block::Header(table) => draw_table_header(canvas, columns(*table), top),
        Block::Row {
            table,
            index,
            zebra,
        } => {
            let bottom = top - ROW_HEIGHT;
            if *zebra {
                canvas.fill_rect(CONTENT_LEFT, bottom, CONTENT_WIDTH, ROW_HEIGHT, ZEBRA);
            }
            draw_row(canvas, input, *table, *index, bottom);
        }
        Block::SignOff => draw_sign_off(canvas, input, top),
    }
}

/// The cells of one table row, as (column, text, style).
fn draw_cells(
    canvas: &mut Canvas,
    cols: &[Column],
    bottom: f32,
    cells: &[(usize, &str, TextStyle)],
) {
    let baseline = baseline_in(bottom, ROW_HEIGHT, BODY_SIZE);
    let lefts = column_lefts(cols);
    for &(i, text, cell_style) in cells {
        canvas.text_in(
            lefts[i] + CELL_PADDING,
            cols[i].width - 2.0 * CELL_PADDING,
            baseline,
            cols[i].align,
            cell_style,
            text,
        );
    }
}

fn category_pill(canvas: &mut Canvas, cols: &[Column], i: usize, bottom: f32, row: &ReportRow) {
    let left = column_lefts(cols)[i] + CELL_PADDING;
    canvas.pill(
        left,
        bottom,
        ROW_HEIGHT,
        cols[i].width - 2.0 * CELL_PADDING,
        row.category.colour(),
        row.category.label(),
    );
}

/// A status dot and its label, bold in the status colour.
fn status_cell(
    canvas: &mut Canvas,
    cols: &[Column],
    i: usize,
    bottom: f32,
    colour: [u8; 3],
    label: &str,
) {
    let x = column_lefts(cols)[i] + CELL_PADDING;
    let w = cols[i].width - 2.0 * CELL_PADDING;
    let dot_radius = 2.6;
    canvas.fill_circle(
        x + dot_radius,
        bottom + ROW_HEIGHT / 2.0,
        dot_radius,
        colour,
    );
    let label_x = x + 2.0 * dot_radius + 3.0;
    canvas.text_in(
        label_x,
        x + w - label_x,
        baseline_in(bottom, ROW_HEIGHT, BODY_SIZE),
        Align::Left,
        style(Face::Bold, BODY_SIZE, text_colour(colour)),
        label,
    );
}

fn draw_row(canvas: &mut Canvas, input: &ReportInput, table: Table, index: usize, bottom: f32) {
    let body = style(Face::Regular, BODY_SIZE, INK);
    let bold = style(Face::Bold, BODY_SIZE, INK);
    let muted = style(Face::Regular, BODY_SIZE, MUTED);
    match table {
        Table::Keys => {
            let Some(row) = input.rows.get(index) else {
                return;
            };
            let interval = format!("{} d", row.interval_days);
            draw_cells(
                canvas,
                &KEY_COLUMNS,
                bottom,
                &[
                    (0, &row.vendor, bold),
                    (3, &row.masked_preview, body),
                    (4, &row.expiry, body),
                    (5, &interval, body),
                    (6, &row.last_rotated, body),
                    (7, &row.next_due, body),
                    (8, &row.owner, muted),
                ],
            );
            category_pill(canvas, &KEY_COLUMNS, 1, bottom, row);
            status_cell(
                canvas,
                &KEY_COLUMNS,
                2,
                bottom,
                row.status.colour,
                &row.status.label,
            );
        }
        Table::Exceptions => {
            let Some(row) = input.exceptions().nth(index) else {
                return;
            };
            let exception = row.status.exception.map(|e| e.label()).unwrap_or_default();
            draw_cells(
                canvas,
                &EXCEPTION_COLUMNS,
                bottom,
                &[
                    (0, &row.vendor, bold),
                    (3, &row.status.detail, body),
                    (4, &row.owner, body),
                    (5, &row.status.due_date, bold),
                ],
            );
            category_pill(canvas, &EXCEPTION_COLUMNS, 1, bottom, row);
            status_cell(
                canvas,
                &EXCEPTION_COLUMNS,
                2,
                bottom,
                row.status.colour,
                exception,
            );
        }
        Table::Missing => {
            let width = CONTENT_WIDTH / MISSING_PER_LINE as f32;
            let baseline = baseline_in(bottom, ROW_HEIGHT, BODY_SIZE);
            let first = index * MISSING_PER_LINE;
            for (slot, vendor) in input
                .missing
                .iter()
                .skip(first)
                .take(MISSING_PER_LINE)
                .enumerate()
            {
                let left = CONTENT_LEFT + slot as f32 * width + CELL_PADDING;
                let text = format!("{} ({})", vendor.vendor, vendor.category.label());
                canvas.text_in(
                    left,
                    width - 2.0 * CELL_PADDING,
                    baseline,
                    Align::Left,
                    body,
                    &text,
                );
            }
        }
        Table::Schedule => {
            let Some(row) = input.schedule.get(index) else {
                return;
            };
            let left = column_lefts(&SCHEDULE_COLUMNS)[0] + CELL_PADDING;
            canvas.pill(
                left,
                bottom,
                ROW_HEIGHT,
                SCHEDULE_COLUMNS[0].width - 2.0 * CELL_PADDING,
                row.category.colour(),
                row.category.label(),
            );
            let due_style = if row.due > 0 {
                style(Face::Bold, BODY_SIZE, text_colour(BAD))
            } else {
                body
            };
            let interval = format!("{} days", row.interval_days);
            let keys = row.keys.to_string();
            let due = row.due.to_string();
            draw_cells(
                canvas,
                &SCHEDULE_COLUMNS,
                bottom,
                &[
                    (1, &interval, body),
                    (2, &row.rationale, muted),
                    (3, &keys, body),
                    (4, &due, due_style),
                    (5, &row.next_due, body),
                ],
            );
        }
        Table::Objects => {
            let Some(row) = input.objects.rows.get(index) else {
                return;
            };
            draw_cells(
                canvas,
                &OBJECT_COLUMNS,
                bottom,
                &[
                    (0, &row.kind, body),
                    (1, &row.name, bold),
                    (3, &row.expiry, body),
                    (4, &row.issuer, body),
                    (5, &row.detail, muted),
                ],
            );
            status_cell(canvas, &OBJECT_COLUMNS, 2, bottom, row.colour, &row.status);
        }
        Table::Overrides => {
            let Some(row) = overrides(input).get(index).and_then(|&i| input.rows.get(i)) else {
                return;
            };
            let own = format!("{} days", row.interval_days);
            let default = format!("{} days", row.category.default_interval_days());
            draw_cells(
                canvas,
                &OVERRIDE_COLUMNS,
                bottom,
                &[
                    (0, &row.vendor, bold),
                    (2, &own, bold),
                    (3, &default, muted),
                    (4, &row.owner, muted),
                ],
            );
            category_pill(canvas, &OVERRIDE_COLUMNS, 1, bottom, row);
        }
    }
}

/// Title and MSP on the first line, client and vault on the second, then the period, the scope
/// and who generated it.
fn draw_front_header(canvas: &mut Canvas, input: &ReportInput, top: f32) {
    let title_baseline = top - 14.0;
    let msp_style = style(Face::Bold, 12.0, HEADER_FILL);
    let msp_width = canvas
        .typesetter
        .width(Face::Bold, &input.msp_name, msp_style.size)
        .min(300.0);
    canvas.text_in(
        CONTENT_LEFT,
        CONTENT_WIDTH - msp_width - 16.0,
        title_baseline,
        Align::Left,
        style(Face::Bold, 16.0, INK),
        TITLE,
    );
    canvas.text_in(
        CONTENT_RIGHT - msp_width,
        msp_width,
        title_baseline,
        Align::Right,
        msp_style,
        &input.msp_name,
    );

    let client_baseline = title_baseline - 17.0;
    let vault_style = style(Face::Bold, 9.0, MUTED);
    let vault_width = canvas
        .typesetter
        .width(Face::Bold, &input.vault_label, vault_style.size)
        .min(260.0);
    canvas.text_in(
        CONTENT_LEFT,
        CONTENT_WIDTH - vault_width - 16.0,
        client_baseline,
        Align::Left,
        style(Face::Bold, 12.0, INK),
        &prepared_line(input),
    );
    canvas.text_in(
        CONTENT_RIGHT - vault_width,
        vault_width,
        client_baseline,
        Align::Right,
        vault_style,
        &input.vault_label,
    );

    let meta = style(Face::Regular, 8.5, MUTED);
    let day = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d").to_string();
    let rotations = match input.rotations_in_period {
        Some(1) => "1 key rotation recorded in this console's audit log".to_string(),
        Some(n) => format!("{n} key rotations recorded in this console's audit log"),
        None => "rotations not counted (the audit log did not verify)".to_string(),
    };
    let period = format!(
        "Review period: {} to {} (the last {} days): {rotations}.   Key statuses as of {}.",
        day(input.period_start()),
        day(input.generated_at),
        crate::report::REVIEW_PERIOD_DAYS,
        input.generated_at.format("%Y-%m-%d %H:%M UTC"),
    );
    canvas.text_in(
        CONTENT_LEFT,
        CONTENT_WIDTH,
        client_baseline - 15.0,
        Align::Left,
        meta,
        &period,
    );
    let scope = format!(
        "Scope: all {} API keys stored in this client's vault, checked against the console's {}-vendor catalog.   Generated by {}.",
        input.rows.len(),
        crate::domain::catalog::catalog().len(),
        input.operator
    );
    canvas.text_in(
        CONTENT_LEFT,
        CONTENT_WIDTH,
        client_baseline - 27.0,
        Align::Left,
        meta,
        &scope,
    );
    canvas.hline(
        CONTENT_LEFT,
        CONTENT_RIGHT,
        top - FRONT_HEADER_HEIGHT + 4.0,
        0.6,
        RULE,
    );
}

/// The compliance card and the exception counts, then the audit log's verification line.
fn draw_facts(canvas: &mut Canvas, input: &ReportInput, top: f32) {
    let summary = &input.summary;
    let (within, stored) = input.compliance();
    let compliance_accent = if stored == 0 || within == stored {
        GOOD
    } else {
        BAD
    };
    let cards: [(&str, String, [u8; 3], f32); 6] = [
        (
            "Keys within policy",
            input.compliance_text(),
            compliance_accent,
            1.8,
        ),
        (
            "Expired",
            summary.expired.to_string(),
            KeyStatus::Expired.colour(),
            1.0,
        ),
        (
            "Rotation overdue",
            summary.overdue.to_string(),
            KeyStatus::Overdue.colour(),
            1.0,
        ),
        (
            "Disabled",
            summary.disabled.to_string(),
            KeyStatus::Disabled.colour(),
            1.0,
        ),
        (
            "Due within 14 days",
            summary.due_soon.to_string(),
            KeyStatus::DueSoon.colour(),
            1.0,
        ),
        (
            "Vendors without a key",
            summary.vendors_without_key.to_string(),
            KeyStatus::NoKey.colour(),
            1.0,
        ),
    ];
    let gap = 8.0;
    let card_height = 38.0;
    let units: f32 = cards.iter().map(|c| c.3).sum();
    let unit = (CONTENT_WIDTH - gap * (cards.len() - 1) as f32) / units;
    let card_top = top - 4.0;
    let bottom = card_top - card_height;
    let mut left = CONTENT_LEFT;
    for (label, value, accent, span) in cards {
        let card_width = unit * span;
        canvas.fill_rect(left, bottom, card_width, card_height, CARD_FILL);
        canvas.fill_rect(left, bottom, 3.0, card_height, accent);
        let text_left = left + 9.0;
        let text_width = card_width - 13.0;
        canvas.text_in(
            text_left,
            text_width,
            card_top - 11.0,
            Align::Left,
            style(Face::Regular, 7.5, MUTED),
            label,
        );
        canvas.text_in(
            text_left,
            text_width,
            bottom + 7.0,
            Align::Left,
            style(Face::Bold, 14.0, INK),
            &value,
        );
        left += card_width + gap;
    }

    let colour = match input.audit.intact {
        Some(true) => GOOD,
        Some(false) => BAD,
        None => WARN,
    };
    let line_baseline = bottom - 15.0;
    canvas.fill_circle(CONTENT_LEFT + 3.5, line_baseline + 3.0, 3.5, colour);
    canvas.text_in(
        CONTENT_LEFT + 12.0,
        CONTENT_WIDTH - 12.0,
        line_baseline,
        Align::Left,
        style(Face::Bold, 9.0, text_colour(colour)),
        &input.audit.line,
    );
}

/// Two signature boxes: the MSP's preparer and the client's reviewer.
fn draw_sign_off(canvas: &mut Canvas, input: &ReportInput, top: f32) {
    canvas.text_in(
        CONTENT_LEFT,
        CONTENT_WIDTH,
        top - 13.0,
        Align::Left,
        style(Face::Bold, 10.0, INK),
        "Sign-off",
    );
    canvas.text_in(
        CONTENT_LEFT,
        CONTENT_WIDTH,
        top - 28.0,
        Align::Left,
        style(Face::Regular, BODY_SIZE, MUTED),
        "The signatories confirm that they have reviewed the exceptions, the rotation policy in force and the audit log's verification above.",
    );
    let gap = 16.0;
    let box_width = (CONTENT_WIDTH - gap) / 2.0;
    let box_top = top - 36.0;
    let box_height = SIGN_OFF_HEIGHT - 40.0;
    let msp = if input.msp_name.is_empty() {
        "Prepared by".to_string()
    } else {
        format!("Prepared by ({})", input.msp_name)
    };
    let client = format!("Reviewed by ({})", input.client_name);
    for (i, heading) in [msp, client].iter().enumerate() {
        let left = CONTENT_LEFT + i as f32 * (box_width + gap);
        canvas.fill_rect(left, box_top - box_height, box_width, box_height, CARD_FILL);
        canvas.text_in(
            left + 8.0,
            box_width - 16.0,
            box_top - 13.0,
            Align::Left,
            style(Face::Bold, 9.0, INK),
            heading,
        );
        for (line, label) in ["Name", "Signature", "Date"].iter().enumerate() {
            let baseline = box_top - 32.0 - line as f32 * 17.0;
            canvas.text_at(
                left + 8.0,
                baseline,
                style(Face::Regular, BODY_SIZE, MUTED),
                label,
            );
            canvas.hline(
                left + 62.0,
                left + box_width - 10.0,
                baseline - 2.0,
                0.6,
                MUTED,
            );
        }
    }
}

/// Compact header of the following pages: title and client left, MSP (or vault) right, a rule.
fn draw_running_header(canvas: &mut Canvas, input: &ReportInput) {
    let baseline = CONTENT_TOP - 10.0;
    let right = if input.msp_name.is_empty() {
        &input.vault_label
    } else {
        &input.msp_name
    };
    let right_style = style(Face::Bold, 9.0, HEADER_FILL);
    let right_width = canvas
        .typesetter
        .width(Face::Bold, right, right_style.size)
        .min(260.0);
    canvas.text_in(
        CONTENT_LEFT,
        CONTENT_WIDTH - right_width - 16.0,
        baseline,
        Align::Left,
        style(Face::Bold, 11.0, INK),
        &format!("{TITLE} · {}", input.client_name),
    );
    canvas.text_in(
        CONTENT_RIGHT - right_width,
        right_width,
        baseline,
        Align::Right,
        right_style,
        right,
    );
    canvas.hline(CONTENT_LEFT, CONTENT_RIGHT, baseline - 8.0, 0.6, RULE);
}

fn draw_footer(canvas: &mut Canvas, page_number: usize, page_count: usize) {
    canvas.hline(CONTENT_LEFT, CONTENT_RIGHT, FOOTER_RULE_Y, 0.4, RULE);
    let footer_style = style(Face::Regular, SMALL_SIZE, MUTED);
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
