//! Fallback fonts for characters DejaVu Sans lacks (CJK, Thai, …), found at run time in the
//! standard font directories. Nothing big is bundled: a CJK font is 10–20 MB, so the report
//! uses one the system already has and embeds only the glyphs it draws. Without one, the
//! typesetter prints a visible `[U+XXXX]` marker instead.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::fonts::FontFace;

/// Files whose name holds one of these come first, in this order: broad CJK and pan-Unicode
/// fonts, so a Chinese owner name does not land in whichever odd font sorts first.
const PREFERRED: [&str; 22] = [
    "notosanscjk",
    "notoserifcjk",
    "sourcehansans",
    "wqy-microhei",
    "wqy-zenhei",
    "droidsansfallback",
    "pingfang",
    "hiragino",
    "applesdgothicneo",
    "applegothic",
    "msyh",
    "yugoth",
    "meiryo",
    "msgothic",
    "malgun",
    "simsun",
    "simhei",
    "arialuni",
    "arial unicode",
    "unifont",
    "notosans",
    "noto",
];

/// Bounds on the directory walk, so an odd font tree cannot stall a report.
const MAX_DEPTH: usize = 6;
const MAX_FILES: usize = 4000;
/// Bigger files are skipped: reading them costs more than a missing glyph.
const MAX_FONT_BYTES: u64 = 64 * 1024 * 1024;

/// A font file that may hold glyphs DejaVu lacks.
struct Candidate {
    path: PathBuf,
    /// Code point ranges, once the file has been read; empty when it is no usable font.
    coverage: Option<Vec<(u32, u32)>>,
    /// Kept only once the face has drawn something.
    face: Option<Arc<FontFace>>,
}

impl Candidate {
    fn covers(&self, c: char) -> bool {
        let cp = u32::from(c);
        self.coverage.as_ref().is_some_and(|ranges| {
            ranges
                .binary_search_by(|&(start, end)| {
                    if end < cp {
                        std::cmp::Ordering::Less
                    } else if start > cp {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
                .is_ok()
        })
    }

    fn load(&self) -> Option<FontFace> {
        let readable = std::fs::metadata(&self.path).is_ok_and(|m| m.len() <= MAX_FONT_BYTES);
        if !readable {
            return None;
        }
        let bytes = std::fs::read(&self.path).ok()?;
        // Index 0 of a collection: for the CJK collections every face holds the ideographs.
        FontFace::parse(&bytes, 0, self.path.display().to_string())
    }
}

#[derive(Default)]
struct State {
    /// `None` until the first character needs a fallback: most reports never do.
    candidates: Option<Vec<Candidate>>,
    /// Characters no candidate has.
    absent: HashSet<char>,
}

/// The font files of some directories, read lazily and remembered for the process.
pub(super) struct FontLibrary {
    dirs: Vec<PathBuf>,
    state: Mutex<State>,
}

impl FontLibrary {
    pub(super) fn from_dirs(dirs: Vec<PathBuf>) -> FontLibrary {
        FontLibrary {
            dirs,
            state: Mutex::new(State::default()),
        }
    }

    /// The operating system's font directories (Linux, macOS and Windows locations).
    pub(super) fn system() -> &'static FontLibrary {
        static SYSTEM: OnceLock<FontLibrary> = OnceLock::new();
        SYSTEM.get_or_init(|| FontLibrary::from_dirs(system_font_dirs()))
    }

    /// A face that has a glyph for `c`, or `None` when no font here has one.
    pub(super) fn face_for(&self, c: char) -> Option<Arc<FontFace>> {
        // A panic elsewhere while holding the lock leaves the cache usable.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.absent.contains(&c) {
            return None;
        }
        let dirs = &self.dirs;
        let candidates = state.candidates.get_or_insert_with(|| scan(dirs));
        for candidate in candidates.iter_mut() {
            if candidate.coverage.is_none() {
                let face = candidate.load();
                candidate.coverage =
                    Some(face.as_ref().map(FontFace::coverage).unwrap_or_default());
                if candidate.covers(c) {
                    candidate.face = face.map(Arc::new);
                }
            }
            if !candidate.covers(c) {
                continue;
            }
            if candidate.face.is_none() {
                // Read before but not kept (it covered nothing needed then): read it again.
                candidate.face = candidate.load().map(Arc::new);
            }
            if let Some(face) = &candidate.face {
                return Some(Arc::clone(face));
            }
        }
        state.absent.insert(c);
        None
    }

    /// Whether any font here has a glyph for `c` (tests pick their assertion by this).
    #[cfg(test)]
    pub(super) fn has(&self, c: char) -> bool {
        self.face_for(c).is_some()
    }
}

fn system_font_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = [
        "/usr/share/fonts",
        "/usr/local/share/fonts",
        "/System/Library/Fonts",
        "/Library/Fonts",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        dirs.push(home.join(".local/share/fonts"));
        dirs.push(home.join(".fonts"));
        dirs.push(home.join("Library/Fonts"));
    }
    let windows = std::env::var_os("WINDIR")
        .or_else(|| std::env::var_os("SystemRoot"))
        .map_or_else(|| PathBuf::from(r"C:\Windows"), PathBuf::from);
    dirs.push(windows.join("Fonts"));
    if let Some(local) = std::env::var_os("LOCALAPPDATA").map(PathBuf::from) {
        dirs.push(local.join(r"Microsoft\Windows\Fonts"));
    }
    dirs
}

fn is_font_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["ttf", "otf", "ttc", "otc"].contains(&e.to_ascii_lowercase().as_str()))
}

/// Rank of a file: its position in `PREFERRED`, or after all of them.
fn rank(path: &Path) -> usize {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    PREFERRED
        .iter()
        .position(|p| name.contains(p))
        .unwrap_or(PREFERRED.len())
}

/// Every font file under `dirs` (bounded), preferred names first, then by path.
fn scan(dirs: &[PathBuf]) -> Vec<Candidate> {
    let mut files = Vec::new();
    let mut stack: Vec<(PathBuf, usize)> = dirs.iter().map(|d| (d.clone(), 0)).collect();
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && depth < MAX_DEPTH {
                stack.push((path, depth + 1));
            } else if is_font_file(&path) && files.len() < MAX_FILES {
                files.push(path);
            }
        }
    }
    files.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    files.dedup();
    files
        .into_iter()
        .map(|path| Candidate {
            path,
            coverage: None,
            face: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferred_cjk_fonts_sort_before_others() {
        let names = [
            "/usr/share/fonts/truetype/abc/Zzz.ttf",
            "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
            "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
            "/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf",
        ];
        let mut paths: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
        paths.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
        let files: Vec<String> = paths
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        assert_eq!(
            files,
            [
                "NotoSansCJK-Regular.ttc",
                "wqy-zenhei.ttc",
                "NotoSansThai-Regular.ttf",
                "Zzz.ttf"
            ]
        );
        assert!(is_font_file(Path::new("a/B.TTF")) && !is_font_file(Path::new("a/b.pcf.gz")));
    }

    #[test]
    fn a_library_without_fonts_finds_nothing_and_remembers_it() {
        let empty = tempfile::tempdir().expect("temp dir");
        let library = FontLibrary::from_dirs(vec![empty.path().to_path_buf()]);
        assert!(library.face_for('中').is_none());
        assert!(
            library
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .absent
                .contains(&'中')
        );
    }
}
