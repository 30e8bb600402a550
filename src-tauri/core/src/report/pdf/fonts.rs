//! Fonts: the bundled DejaVu Sans pair, which face draws each character (with fallback faces
//! from the system for scripts DejaVu lacks), and the per-report subsets that get embedded.
//!
//! printpdf 0.12 only subsets with its `text_layout` feature, which pulls in the whole azul
//! layout engine and swaps `ParsedFont` for azul's type. So the report subsets itself with
//! allsorts, the subsetter printpdf uses internally (already in the build): each face is cut
//! down to the glyphs the report draws and the subset is embedded whole.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile};
use printpdf::{FontId, ParsedFont, PdfDocument, PdfFont};

use super::PdfError;
use super::fallback::FontLibrary;

const REGULAR_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

const ELLIPSIS: char = '…';

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Face {
    Regular,
    Bold,
}

/// A parsed font plus what the layout needs from it: glyph coverage and advance widths.
pub(super) struct FontFace {
    parsed: ParsedFont,
    units_per_em: f32,
    /// For error messages and logs: "DejaVu Sans" or the fallback file's path.
    pub(super) name: String,
}

impl FontFace {
    /// `None` when the bytes are not a usable font (no cmap entry for anything, no em size).
    pub(super) fn parse(bytes: &[u8], index: usize, name: String) -> Option<FontFace> {
        let parsed = ParsedFont::from_bytes(bytes, index, &mut Vec::new())?;
        if parsed.units_per_em == 0 || parsed.codepoint_to_glyph.is_empty() {
            return None;
        }
        let units_per_em = f32::from(parsed.units_per_em);
        Some(FontFace {
            parsed,
            units_per_em,
            name,
        })
    }

    pub(super) fn has_glyph(&self, c: char) -> bool {
        // Glyph 0 is .notdef: a cmap pointing there means "no glyph" too.
        self.parsed
            .lookup_glyph_index(u32::from(c))
            .is_some_and(|gid| gid != 0)
    }

    /// The code points this face maps, as sorted inclusive ranges (compact coverage record).
    pub(super) fn coverage(&self) -> Vec<(u32, u32)> {
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        for (&cp, &gid) in &self.parsed.codepoint_to_glyph {
            if gid == 0 {
                continue;
            }
            match ranges.last_mut() {
                Some(last) if last.1 + 1 == cp => last.1 = cp,
                _ => ranges.push((cp, cp)),
            }
        }
        ranges
    }

    /// The name as a PDF font name: letters, digits and dashes only.
    fn pdf_name(&self) -> String {
        let base = std::path::Path::new(&self.name)
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name: String = base
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if name.is_empty() {
            "Font".to_string()
        } else {
            name
        }
    }

    /// Advance width of `c` at `size` points (0 when the face has no glyph for it).
    pub(super) fn advance(&self, c: char, size: f32) -> f32 {
        let width_units = self
            .parsed
            .lookup_glyph_index(u32::from(c))
            .and_then(|gid| self.parsed.get_glyph_width(gid))
            .unwrap_or(0);
        f32::from(width_units) / self.units_per_em * size
    }

    /// This face cut down to the glyphs of `chars`, with a Unicode cmap for just those, so
    /// printpdf maps text to the subset's own glyph ids.
    fn subset(&self, chars: &BTreeSet<char>) -> Result<ParsedFont, String> {
        let used: BTreeSet<u16> = chars
            .iter()
            .filter_map(|&c| self.parsed.lookup_glyph_index(u32::from(c)))
            .filter(|&gid| gid != 0)
            .collect();
        // allsorts wants .notdef first and no duplicates.
        let ids: Vec<u16> = std::iter::once(0).chain(used).collect();
        let font_data = ReadScope::new(&self.parsed.original_bytes)
            .read::<FontData<'_>>()
            .map_err(|e| e.to_string())?;
        let provider = font_data
            .table_provider(self.parsed.font_index as usize)
            .map_err(|e| e.to_string())?;
        let bytes =
            allsorts::subset::subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
                .map_err(|e| e.to_string())?;
        ParsedFont::from_bytes(&bytes, 0, &mut Vec::new())
            .ok_or_else(|| "the subset could not be read back".to_string())
    }
}

pub(super) struct Fonts {
    pub(super) regular: FontFace,
    pub(super) bold: FontFace,
}

impl Fonts {
    pub(super) fn face(&self, face: Face) -> &FontFace {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }
}

/// The bundled fonts are parsed once per process: parsing reads the cmap and hmtx of
/// ~750 KB TTFs.
pub(super) fn fonts() -> Result<&'static Fonts, PdfError> {
    static FONTS: OnceLock<Result<Fonts, PdfError>> = OnceLock::new();
    let parse = |bytes: &[u8], font: &'static str| {
        FontFace::parse(bytes, 0, font.to_string())
            .filter(|face| face.has_glyph('A'))
            .ok_or(PdfError::FontUnreadable { font })
    };
    FONTS
        .get_or_init(|| {
            Ok(Fonts {
                regular: parse(REGULAR_TTF, "DejaVu Sans")?,
                bold: parse(BOLD_TTF, "DejaVu Sans Bold")?,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The font a run of text is drawn in: one of the bundled faces or the n-th fallback face
/// this report uses.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub(super) enum Slot {
    Regular,
    Bold,
    Fallback(usize),
}

impl Slot {
    /// Six capital letters, unique per slot in a document (ISO 32000-1, 9.6.4).
    fn subset_tag(self) -> String {
        let letter = |n: usize| char::from(b'A' + (n % 26) as u8);
        match self {
            Slot::Regular => "AKVRGA".to_string(),
            Slot::Bold => "AKVBDA".to_string(),
            Slot::Fallback(n) => format!("AKVF{}{}", letter(n / 26), letter(n)),
        }
    }

    /// The resource name the page ops use; the matching subset is registered under it when
    /// the document is saved.
    pub(super) fn font_id(self) -> FontId {
        match self {
            Slot::Regular => FontId("AkvRegular".to_string()),
            Slot::Bold => FontId("AkvBold".to_string()),
            Slot::Fallback(n) => FontId(format!("AkvFallback{n}")),
        }
    }
}

/// Text as drawn: runs of one font each, and the total width.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Line {
    pub(super) runs: Vec<(Slot, String)>,
    pub(super) width: f32,
}

impl Line {
    /// The drawn characters, fonts aside (what a PDF reader extracts).
    #[cfg(test)]
    pub(super) fn text(&self) -> String {
        self.runs.iter().map(|(_, run)| run.as_str()).collect()
    }

    fn push(&mut self, slot: Slot, text: &str, width: f32) {
        match self.runs.last_mut() {
            Some((last, run)) if *last == slot => run.push_str(text),
            _ => self.runs.push((slot, text.to_string())),
        }
        self.width += width;
    }
}

/// How one character is drawn: in a face that has it, or as a visible `[U+XXXX]` marker in the
/// requested face when no font available has it (never as U+FFFD).
enum Glyph {
    Char(Slot, char),
    Marker(String),
}

/// Chooses the face for every character of a report, measures and fits text, and records
/// what each font draws so only those glyphs are embedded.
pub(super) struct Typesetter<'a> {
    fonts: &'a Fonts,
    library: &'a FontLibrary,
    /// Fallback faces this report uses, in `Slot::Fallback` order.
    fallbacks: Vec<Arc<FontFace>>,
    /// Per character DejaVu lacks: the fallback slot, or `None` for a marker.
    fallback_choice: HashMap<char, Option<usize>>,
    used: BTreeMap<Slot, BTreeSet<char>>,
}

impl<'a> Typesetter<'a> {
    pub(super) fn new(fonts: &'a Fonts, library: &'a FontLibrary) -> Typesetter<'a> {
        Typesetter {
            fonts,
            library,
            fallbacks: Vec::new(),
            fallback_choice: HashMap::new(),
            used: BTreeMap::new(),
        }
    }

    fn slot_face(&self, slot: Slot) -> &FontFace {
        match slot {
            Slot::Regular => &self.fonts.regular,
            Slot::Bold => &self.fonts.bold,
            Slot::Fallback(n) => &self.fallbacks[n],
        }
    }

    fn fallback_for(&mut self, c: char) -> Option<usize> {
        if let Some(&choice) = self.fallback_choice.get(&c) {
            return choice;
        }
        let choice = self.library.face_for(c).map(|face| {
            match self.fallbacks.iter().position(|f| Arc::ptr_eq(f, &face)) {
                Some(n) => n,
                None => {
                    self.fallbacks.push(face);
                    self.fallbacks.len() - 1
                }
            }
        });
        self.fallback_choice.insert(c, choice);
        choice
    }

    /// The requested face first, then the other DejaVu weight, then a system fallback.
    fn glyph(&mut self, face: Face, c: char) -> Glyph {
        // A pasted newline or tab in a note prints as a space.
        let c = if c.is_control() { ' ' } else { c };
        let (own, other) = match face {
            Face::Regular => (Slot::Regular, Slot::Bold),
            Face::Bold => (Slot::Bold, Slot::Regular),
        };
        if self.fonts.face(face).has_glyph(c) {
            return Glyph::Char(own, c);
        }
        if self.slot_face(other).has_glyph(c) {
            return Glyph::Char(other, c);
        }
        match self.fallback_for(c) {
            Some(n) => Glyph::Char(Slot::Fallback(n), c),
            None => Glyph::Marker(format!("[U+{:04X}]", u32::from(c))),
        }
    }

    fn glyph_width(&self, face: Face, glyph: &Glyph, size: f32) -> f32 {
        match glyph {
            Glyph::Char(slot, c) => self.slot_face(*slot).advance(*c, size),
            Glyph::Marker(text) => {
                let own = self.fonts.face(face);
                text.chars().map(|c| own.advance(c, size)).sum()
            }
        }
    }

    fn push_glyph(&self, line: &mut Line, face: Face, glyph: &Glyph, size: f32) {
        let width = self.glyph_width(face, glyph, size);
        match glyph {
            Glyph::Char(slot, c) => line.push(*slot, c.encode_utf8(&mut [0; 4]), width),
            Glyph::Marker(text) => line.push(Slot::from(face), text, width),
        }
    }

    /// Width of `text` as drawn in `face` at `size` points.
    pub(super) fn width(&mut self, face: Face, text: &str, size: f32) -> f32 {
        self.fit(face, text, size, f32::INFINITY).width
    }

    /// `text` as it will be drawn, cut with "…" so that it is at most `max_width` wide. A
    /// marker is never cut in half: it fits whole or the cut comes before it.
    pub(super) fn fit(&mut self, face: Face, text: &str, size: f32, max_width: f32) -> Line {
        let glyphs: Vec<Glyph> = text.chars().map(|c| self.glyph(face, c)).collect();
        let widths: Vec<f32> = glyphs
            .iter()
            .map(|g| self.glyph_width(face, g, size))
            .collect();
        let mut line = Line::default();
        if widths.iter().sum::<f32>() <= max_width {
            for glyph in &glyphs {
                self.push_glyph(&mut line, face, glyph, size);
            }
            return line;
        }
        let ellipsis = Glyph::Char(Slot::from(face), ELLIPSIS);
        let room = max_width - self.glyph_width(face, &ellipsis, size);
        if room < 0.0 {
            return line;
        }
        let mut width = 0.0;
        let mut kept = 0;
        for w in &widths {
            if width + w > room {
                break;
            }
            width += w;
            kept += 1;
        }
        // Trailing spaces before the ellipsis only waste room.
        while kept > 0 && matches!(glyphs[kept - 1], Glyph::Char(_, c) if c.is_whitespace()) {
            kept -= 1;
        }
        for glyph in &glyphs[..kept] {
            self.push_glyph(&mut line, face, glyph, size);
        }
        self.push_glyph(&mut line, face, &ellipsis, size);
        line
    }

    /// Note that `line` is drawn, so its glyphs are embedded.
    pub(super) fn mark_drawn(&mut self, line: &Line) {
        for (slot, run) in &line.runs {
            self.used.entry(*slot).or_default().extend(run.chars());
        }
    }

    /// Register one font per used slot, each a subset holding only the glyphs drawn. A face
    /// that cannot be subset is embedded whole: a bigger file beats a failed report.
    pub(super) fn embed_fonts(&self, document: &mut PdfDocument) {
        for (slot, chars) in &self.used {
            let face = self.slot_face(*slot);
            let parsed = match face.subset(chars) {
                Ok(mut subset) => {
                    // The "ABCDEF+" tag tells readers the font program is a subset.
                    subset.font_name = Some(format!("{}+{}", slot.subset_tag(), face.pdf_name()));
                    subset
                }
                Err(_) => face.parsed.clone(),
            };
            document
                .resources
                .fonts
                .map
                .insert(slot.font_id(), PdfFont::new(parsed));
        }
    }

    /// Names of the fallback faces this report drew with (for tests and diagnostics).
    #[cfg(test)]
    pub(super) fn fallback_names(&self) -> Vec<String> {
        self.fallbacks.iter().map(|f| f.name.clone()).collect()
    }
}

impl From<Face> for Slot {
    fn from(face: Face) -> Slot {
        match face {
            Face::Regular => Slot::Regular,
            Face::Bold => Slot::Bold,
        }
    }
}
