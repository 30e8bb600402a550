//! The page plan: every block of a client's section placed on a page before anything is drawn,
//! so that a row is never split across a page break, a table's title never sits alone at the
//! foot of a page, a continued table repeats its header, and every footer knows the page total.

use super::*;
use crate::report::ReportInput;

/// The tables a section holds, in the order they print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Table {
    /// Stored keys that need action (expired, rotation overdue, disabled).
    Exceptions,
    /// Catalog vendors without a key, four to a line (no header row).
    Missing,
    /// Rotation interval per category.
    Schedule,
    /// Keys whose interval differs from their category's.
    Overrides,
    /// Every stored key, most urgent first.
    Keys,
    /// The vault's certificates and keys, most urgent first.
    Objects,
}

impl Table {
    fn has_header(self) -> bool {
        self != Table::Missing
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Block {
    /// Title, MSP and client, period, scope: the top of a section's first page.
    FrontHeader,
    /// The compliance figure, the counts and the audit log's verification line.
    Facts,
    Title(String),
    /// One line of body text.
    Line(String),
    Header(Table),
    /// Row `index` of `table`; `zebra` shades every other row on a page.
    Row {
        table: Table,
        index: usize,
        zebra: bool,
    },
    SignOff,
}

impl Block {
    pub(super) fn height(&self) -> f32 {
        match self {
            Block::FrontHeader => FRONT_HEADER_HEIGHT,
            Block::Facts => FACTS_HEIGHT,
            Block::Title(_) => SECTION_TITLE_HEIGHT,
            Block::Line(_) => LINE_HEIGHT,
            Block::Header(_) => HEADER_ROW_HEIGHT,
            Block::Row { .. } => ROW_HEIGHT,
            Block::SignOff => SIGN_OFF_HEIGHT,
        }
    }
}

/// A block and the y of its top edge.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Placed {
    pub(super) top: f32,
    pub(super) block: Block,
}

/// What one page holds. `first` marks the first page of a client's section (it has no running
/// header: the front header is one of its blocks).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PagePlan {
    pub(super) first: bool,
    pub(super) blocks: Vec<Placed>,
}

/// Tables this short are never split across pages (the category schedule is one of them).
const SHORT_TABLE_ROWS: usize = 12;

/// Missing vendors print four to a line.
pub(super) const MISSING_PER_LINE: usize = 4;

/// The rows of the key table whose interval differs from their category's default.
pub(super) fn overrides(input: &ReportInput) -> Vec<usize> {
    input
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.interval_days != r.category.default_interval_days())
        .map(|(i, _)| i)
        .collect()
}

struct Flow {
    pages: Vec<PagePlan>,
    y: f32,
}

impl Flow {
    fn new_page(&mut self) {
        self.pages.push(PagePlan {
            first: false,
            blocks: Vec::new(),
        });
        self.y = NEXT_PAGE_TOP;
    }

    fn room(&self) -> f32 {
        self.y - CONTENT_BOTTOM
    }

    /// Start a new page unless `height` still fits on this one.
    fn keep(&mut self, height: f32) {
        if self.room() < height - 0.01 {
            self.new_page();
        }
    }

    fn put(&mut self, block: Block) {
        let height = block.height();
        if let Some(page) = self.pages.last_mut() {
            page.blocks.push(Placed { top: self.y, block });
        }
        self.y -= height;
    }

    fn gap(&mut self) {
        // A gap at the top of a page is wasted room.
        if self.pages.last().is_some_and(|p| !p.blocks.is_empty()) {
            self.y -= SECTION_GAP;
        }
    }

    /// A titled table: title, header and first row kept together; each page it continues on
    /// repeats the title ("continued") and the header. `empty` is printed when there are no rows.
    fn table(&mut self, title: &str, table: Table, rows: usize, empty: Option<&str>) {
        self.gap();
        let header = if table.has_header() {
            HEADER_ROW_HEIGHT
        } else {
            0.0
        };
        let first_line = if rows == 0 { LINE_HEIGHT } else { ROW_HEIGHT };
        let whole = SECTION_TITLE_HEIGHT + header + rows as f32 * ROW_HEIGHT;
        // A short table moves whole to the next page rather than leave a row or two behind.
        if rows <= SHORT_TABLE_ROWS && self.room() < whole - 0.01 {
            self.new_page();
        }
        self.keep(SECTION_TITLE_HEIGHT + header + first_line);
        self.put(Block::Title(title.to_string()));
        if rows == 0 {
            if let Some(text) = empty {
                self.put(Block::Line(text.to_string()));
            }
            return;
        }
        if table.has_header() {
            self.put(Block::Header(table));
        }
        let mut on_page = 0;
        for index in 0..rows {
            if self.room() < ROW_HEIGHT - 0.01 {
                self.new_page();
                self.put(Block::Title(format!("{title} (continued)")));
                if table.has_header() {
                    self.put(Block::Header(table));
                }
                on_page = 0;
            }
            self.put(Block::Row {
                table,
                index,
                zebra: on_page % 2 == 1,
            });
            on_page += 1;
        }
    }

    fn lines(&mut self, title: &str, lines: &[String]) {
        self.gap();
        self.keep(SECTION_TITLE_HEIGHT + LINE_HEIGHT * lines.len() as f32);
        self.put(Block::Title(title.to_string()));
        for line in lines {
            self.put(Block::Line(line.clone()));
        }
    }
}

/// The policy text printed above the schedule.
pub(super) fn policy_lines() -> Vec<String> {
    vec![
        format!(
            "Each key is rotated within its interval (below, by category; a key may carry its own). The console warns {} days before a rotation or an expiry is due.",
            crate::domain::keys::DUE_SOON_DAYS
        ),
        "A key is within policy when it is enabled, not expired and rotated within its interval; expired, overdue and disabled keys are exceptions.".to_string(),
    ]
}

/// Plan one client's section: front page (facts, exceptions, missing vendors), the policy in
/// force, the sign-off, then the full key table.
pub(super) fn plan_section(input: &ReportInput) -> Vec<PagePlan> {
    let mut flow = Flow {
        pages: vec![PagePlan {
            first: true,
            blocks: Vec::new(),
        }],
        y: CONTENT_TOP,
    };
    flow.put(Block::FrontHeader);
    flow.put(Block::Facts);

    let exceptions = input.exceptions().count();
    flow.table(
        &format!("Exceptions: keys that need action ({exceptions})"),
        Table::Exceptions,
        exceptions,
        Some("No exceptions: every stored key is enabled, unexpired and rotated within its interval."),
    );
    if !input.missing.is_empty() {
        flow.table(
            &format!(
                "Vendors without a key ({}): in the catalog, no key stored for this client",
                input.missing.len()
            ),
            Table::Missing,
            input.missing.len().div_ceil(MISSING_PER_LINE),
            None,
        );
    }

    flow.lines("Rotation policy in force", &policy_lines());
    flow.table(
        "Rotation interval by category",
        Table::Schedule,
        input.schedule.len(),
        None,
    );
    let own = overrides(input).len();
    if own > 0 {
        flow.table(
            &format!("Keys with their own interval ({own})"),
            Table::Overrides,
            own,
            None,
        );
    }

    // The vault's own certificates and keys, and the tenant's app credentials: counted apart
    // from the API keys' compliance. (A section built without a listing, as the layout tests
    // build them, has none.)
    if !input.objects.lines.is_empty() {
        flow.lines(
            "Certificates and keys, app credentials",
            &input.objects.lines,
        );
        flow.table(
            &format!(
                "Certificates and keys of this vault, app credentials of its tenant, most urgent first ({})",
                input.objects.rows.len()
            ),
            Table::Objects,
            input.objects.rows.len(),
            Some("No certificates, keys or app credentials listed for this client."),
        );
    }

    flow.gap();
    flow.keep(SIGN_OFF_HEIGHT);
    flow.put(Block::SignOff);

    // The full table is the appendix: it starts on a page of its own.
    flow.new_page();
    flow.table(
        &format!("All stored keys, most urgent first ({})", input.rows.len()),
        Table::Keys,
        input.rows.len(),
        Some("No keys stored in this vault."),
    );
    flow.pages
}
