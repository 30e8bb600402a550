//! CSV writing shared by every export: RFC 4180 quoting, UTF-8, a header row, and cells that a
//! spreadsheet would run as a formula neutralised.

/// Characters that make Excel, LibreOffice or Sheets treat a cell as a formula (or as a command
/// separator in DDE payloads) when they open the first position of a cell.
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Neutralise a cell that a spreadsheet would evaluate: prefix it with a single quote, which
/// spreadsheets show as text and never evaluate. Plain negative numbers are left alone so that
/// "days left = -3" stays a number.
pub fn neutralise_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    let Some(first) = cell.chars().next() else {
        return std::borrow::Cow::Borrowed(cell);
    };
    if !FORMULA_TRIGGERS.contains(&first) {
        return std::borrow::Cow::Borrowed(cell);
    }
    if first == '-' && is_plain_number(cell) {
        return std::borrow::Cow::Borrowed(cell);
    }
    std::borrow::Cow::Owned(format!("'{cell}"))
}

fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1
        && !digits.starts_with('.')
}

/// Quote a cell per RFC 4180 when it holds a comma, quote, CR or LF (quotes doubled).
fn quote(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.contains([',', '"', '\r', '\n']) {
        std::borrow::Cow::Owned(format!("\"{}\"", cell.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Builds a CSV document in memory (exports are small: thousands of rows at most).
pub struct CsvWriter {
    out: String,
    columns: usize,
}

impl CsvWriter {
    /// Start a document with its header row.
    pub fn new(header: &[&str]) -> Self {
        let mut writer = CsvWriter {
            out: String::new(),
            columns: header.len(),
        };
        writer.push_cells(header.iter().copied());
        writer
    }

    /// Append one record. A record with fewer cells than the header is padded, so every line has
    /// the same number of fields, as RFC 4180 asks.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<S> = cells.into_iter().collect();
        let padding = self.columns.saturating_sub(cells.len());
        let refs = cells
            .iter()
            .map(|c| c.as_ref())
            .chain(std::iter::repeat_n("", padding));
        self.push_cells(refs);
    }

    fn push_cells<'a>(&mut self, cells: impl Iterator<Item = &'a str>) {
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            let safe = neutralise_formula(cell);
            self.out.push_str(&quote(&safe));
        }
        // RFC 4180 line break.
        self.out.push_str("\r\n");
    }

    /// The finished document, UTF-8 with a byte-order mark so Excel on Windows reads accents right.
    pub fn finish(self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.out.len() + 3);
        bytes.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
        bytes.extend_from_slice(self.out.as_bytes());
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(rows: &[&[&str]]) -> String {
        let mut w = CsvWriter::new(&["a", "b"]);
        for r in rows {
            w.row(r.iter());
        }
        let bytes = w.finish();
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
        String::from_utf8(bytes[3..].to_vec()).expect("utf-8")
    }

    #[test]
    fn header_and_plain_rows() {
        assert_eq!(doc(&[&["x", "y"]]), "a,b\r\nx,y\r\n");
    }

    #[test]
    fn quotes_commas_quotes_and_newlines() {
        assert_eq!(
            doc(&[&["Acme, Inc.", "say \"hi\""], &["two\nlines", "ok"]]),
            "a,b\r\n\"Acme, Inc.\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",ok\r\n"
        );
    }

    #[test]
    fn formula_injection_is_neutralised() {
        assert_eq!(
            neutralise_formula("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(neutralise_formula("+1+1"), "'+1+1");
        assert_eq!(neutralise_formula("-2+3"), "'-2+3");
        assert_eq!(neutralise_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise_formula("\tcmd"), "'\tcmd");
        assert_eq!(neutralise_formula("\rcmd"), "'\rcmd");
        assert_eq!(
            neutralise_formula("-cmd|' /C calc'!A0"),
            "'-cmd|' /C calc'!A0"
        );
    }

    #[test]
    fn harmless_cells_are_untouched() {
        assert_eq!(neutralise_formula("NinjaOne"), "NinjaOne");
        assert_eq!(neutralise_formula(""), "");
        assert_eq!(neutralise_formula("-3"), "-3");
        assert_eq!(neutralise_formula("-3.5"), "-3.5");
        assert_eq!(neutralise_formula("a=b"), "a=b");
    }

    #[test]
    fn neutralised_cell_is_still_quoted_when_needed() {
        assert_eq!(doc(&[&["=1,2", "x"]]), "a,b\r\n\"'=1,2\",x\r\n");
        assert_eq!(doc(&[&["\rx", "y"]]), "a,b\r\n\"'\rx\",y\r\n");
    }

    #[test]
    fn short_rows_are_padded() {
        assert_eq!(doc(&[&["only"]]), "a,b\r\nonly,\r\n");
    }

    #[test]
    fn non_ascii_is_kept() {
        assert_eq!(doc(&[&["Zürich", "東京"]]), "a,b\r\nZürich,東京\r\n");
    }
}
