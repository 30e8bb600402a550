//! The page plan: which rows go on which page, computed before anything is drawn so that a
//! row is never split across a page break and every footer knows the page total.

use std::ops::Range;

use super::*;
/// What one page holds. Computed before drawing so every footer can say "of M".
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PagePlan {
    /// Key rows on this page (an empty range on the first page of an empty report).
    pub(super) key_rows: Option<Range<usize>>,
    pub(super) schedule: Option<ScheduleSlice>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct ScheduleSlice {
    pub(super) rows: Range<usize>,
    /// Top of the section title.
    pub(super) top: f32,
    pub(super) continued: bool,
}

pub(super) fn rows_that_fit(table_top: f32) -> usize {
    let room = table_top - CONTENT_BOTTOM - HEADER_ROW_HEIGHT;
    // Whole rows only; the geometry constants keep `room` positive.
    (room / ROW_HEIGHT).floor().max(1.0) as usize
}

pub(super) fn table_top(page_index: usize) -> f32 {
    if page_index == 0 {
        FIRST_PAGE_TABLE_TOP
    } else {
        NEXT_PAGE_TABLE_TOP
    }
}

pub(super) fn schedule_height(rows: usize) -> f32 {
    SECTION_TITLE_HEIGHT + HEADER_ROW_HEIGHT + rows as f32 * ROW_HEIGHT
}

pub(super) fn plan_pages(key_rows: usize, schedule_rows: usize) -> Vec<PagePlan> {
    let mut pages = Vec::new();
    let mut next_row = 0;
    // The key table: at least one page, even when there are no keys.
    let table_end = loop {
        let top = table_top(pages.len());
        let take = rows_that_fit(top).min(key_rows - next_row);
        pages.push(PagePlan {
            key_rows: Some(next_row..next_row + take),
            schedule: None,
        });
        next_row += take;
        if next_row >= key_rows {
            // An empty table still prints one line saying so.
            let drawn_rows = take.max(1);
            break top - HEADER_ROW_HEIGHT - drawn_rows as f32 * ROW_HEIGHT;
        }
    };

    // The schedule: on the last table page when it fits whole, else from a fresh page, and
    // split (with its header repeated) only if it is longer than a whole page.
    if schedule_rows == 0 {
        return pages;
    }
    let mut next_schedule_row = 0;
    let mut top = table_end - SECTION_GAP;
    if top - schedule_height(schedule_rows) < CONTENT_BOTTOM {
        pages.push(PagePlan {
            key_rows: None,
            schedule: None,
        });
        top = NEXT_PAGE_TABLE_TOP;
    }
    loop {
        let room = top - CONTENT_BOTTOM - SECTION_TITLE_HEIGHT - HEADER_ROW_HEIGHT;
        let fit =
            ((room / ROW_HEIGHT).floor().max(1.0) as usize).min(schedule_rows - next_schedule_row);
        let slice = ScheduleSlice {
            rows: next_schedule_row..next_schedule_row + fit,
            top,
            continued: next_schedule_row > 0,
        };
        if let Some(page) = pages.last_mut() {
            page.schedule = Some(slice);
        }
        next_schedule_row += fit;
        if next_schedule_row >= schedule_rows {
            break;
        }
        pages.push(PagePlan {
            key_rows: None,
            schedule: None,
        });
        top = NEXT_PAGE_TABLE_TOP;
    }
    pages
}
