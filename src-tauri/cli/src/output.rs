//! What `akv-console` prints: tables for people, JSON for scripts (stdout), errors and notices
//! (stderr). Everything printed comes from the core's views: masked previews, dates, statuses.
//!
//! Much of it was written by others: vault tags (previews, notes), server messages, client names
//! in config.json. A terminal acts on control characters (ESC and OSC sequences retitle the
//! window, rewrite lines, or on some terminals write files), so every line goes through
//! [`clean`] before it is printed, and JSON's strings too (JSON escapes C0 but passes DEL and C1
//! raw, and the reader may print the values).

//!
//! Human text is also folded to ASCII when the reader would not decode UTF-8 (see
//! [`charset_for`]): an RMM agent reading a redirected stdout on Windows decodes it with the
//! OEM code page and shows "—" as "ΓÇö". JSON stays UTF-8: it is for programs, and JSON is
//! UTF-8 by definition (RFC 8259).

use std::sync::OnceLock;

use serde::Serialize;
use serde_json::{Value, json};

/// How human text is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Ascii,
}

/// What decides the charset, gathered by [`detect_charset`]; plain data so the decision is
/// tested on every platform.
#[derive(Debug, Default)]
pub struct OutputEnvironment<'a> {
    pub windows: bool,
    /// Windows: stdout is a console window (not a file or a pipe).
    pub is_console: bool,
    /// Windows: the console's output code page (65001 is UTF-8).
    pub console_code_page: Option<u32>,
    /// `AKV_UTF8`: `1` forces UTF-8 (an agent known to read UTF-8), `0` forces ASCII.
    pub akv_utf8: Option<&'a str>,
    /// Unix: the first set of `LC_ALL`, `LC_CTYPE`, `LANG` (the C library's order).
    pub locale: Option<&'a str>,
}

const UTF8_CODE_PAGE: u32 = 65001;

pub fn charset_for(env: &OutputEnvironment<'_>) -> Charset {
    match env.akv_utf8.map(str::trim) {
        Some("1") => return Charset::Utf8,
        Some("0") => return Charset::Ascii,
        _ => {}
    }
    let utf8 = if env.windows {
        // Redirected output is decoded by whoever reads it, for RMM agents with the OEM code
        // page (437, 850): only a console set to UTF-8 is known to show it.
        env.is_console && env.console_code_page == Some(UTF8_CODE_PAGE)
    } else {
        env.locale.is_some_and(|locale| {
            let locale = locale.to_ascii_lowercase();
            locale.contains("utf-8") || locale.contains("utf8")
        })
    };
    if utf8 { Charset::Utf8 } else { Charset::Ascii }
}

/// The charset for this process's stdout and environment.
pub fn detect_charset() -> Charset {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let akv_utf8 = var("AKV_UTF8");
    let locale = var("LC_ALL")
        .or_else(|| var("LC_CTYPE"))
        .or_else(|| var("LANG"));
    let (is_console, console_code_page) = console_code_page();
    charset_for(&OutputEnvironment {
        windows: cfg!(windows),
        is_console,
        console_code_page,
        akv_utf8: akv_utf8.as_deref(),
        locale: locale.as_deref(),
    })
}

#[cfg(windows)]
fn console_code_page() -> (bool, Option<u32>) {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return (false, None);
    }
    // SAFETY: no arguments; returns 0 when the process has no console.
    let page = unsafe { windows_sys::Win32::System::Console::GetConsoleOutputCP() };
    (true, Some(page).filter(|&p| p != 0))
}

#[cfg(not(windows))]
fn console_code_page() -> (bool, Option<u32>) {
    (false, None)
}

static CHARSET: OnceLock<Charset> = OnceLock::new();

/// Fix the charset for the rest of the run (once, before anything is printed).
pub fn use_charset(charset: Charset) {
    let _ = CHARSET.set(charset);
}

fn charset() -> Charset {
    CHARSET.get().copied().unwrap_or(Charset::Utf8)
}

/// `text` in ASCII: the punctuation the console prints gets its ASCII look-alike, anything else
/// outside ASCII (a client's name in another script) a `?`.
pub fn to_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_ascii() => out.push(c),
            '—' | '–' | '‐' | '‑' | '−' | '·' => out.push('-'),
            '…' => out.push_str("..."),
            '•' => out.push('*'),
            '✔' | '✓' => out.push_str("OK"),
            '‘' | '’' => out.push('\''),
            '“' | '”' => out.push('"'),
            '\u{a0}' => out.push(' '),
            _ => out.push('?'),
        }
    }
    out
}

/// One line (or, with `multiline`, several) of human text as it is printed: cleaned of control
/// characters, and in ASCII when the reader would not decode UTF-8.
pub fn human(text: &str, multiline: bool) -> String {
    let cleaned = clean(text, multiline);
    match charset() {
        Charset::Utf8 => cleaned,
        Charset::Ascii => to_ascii(&cleaned),
    }
}

/// `text` without control characters: C0 (but `\t`, and `\n` when `multiline`), DEL and C1.
/// Removing ESC and BEL leaves an escape sequence's text inert and visible.
pub fn clean(text: &str, multiline: bool) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' => Some(c),
            '\n' if multiline => Some(c),
            // A line break inside one printed line would forge a line of its own.
            '\n' | '\r' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// A JSON value with every string (and key) cleaned.
fn clean_json(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(clean(&text, true)),
        Value::Array(items) => Value::Array(items.into_iter().map(clean_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (clean(&key, false), clean_json(value)))
                .collect(),
        ),
        other => other,
    }
}

/// `println!` of one line of human text (see [`human`]).
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", $crate::output::human(&format!($($arg)*), false))
    };
}

/// `eprintln!` of one line of human text (see [`human`]).
macro_rules! tell {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::output::human(&format!($($arg)*), false))
    };
}

use akv_core::domain::status::ClientCounts;
use akv_core::error::{AppError, AppResult};
use akv_core::service::monitor::{MonitorClient, MonitorLevel, MonitorReport};
use akv_core::service::trust::Verification;
use akv_core::service::{Notice, NoticeLevel};
use akv_core::session::ClientStatus;

fn print_json(value: &impl Serialize) {
    match serde_json::to_value(value)
        .and_then(|value| serde_json::to_string_pretty(&clean_json(value)))
    {
        Ok(text) => println!("{text}"),
        Err(error) => tell!("error: the report could not be encoded as JSON ({error})"),
    }
}

/// A named error, as the window shows it: code, message and hint (JSON on request).
pub fn error(error: &AppError, json: bool) {
    if json {
        match serde_json::to_string(&clean_json(json!({ "error": error }))) {
            Ok(text) => eprintln!("{text}"),
            Err(_) => tell!("{}", error.message),
        }
    } else {
        tell!("error [{}]: {}", error.audit_code(), error.message);
        if !error.hint.is_empty() {
            tell!("hint: {}", error.hint);
        }
    }
}

pub fn notice(notice: &Notice) {
    let level = match notice.level {
        NoticeLevel::Error => "error",
        NoticeLevel::Warning => "warning",
        _ => "note",
    };
    tell!("{level}: {}", notice.message);
    if let Some(hint) = &notice.hint {
        tell!("hint: {hint}");
    }
}

/// Pad or cut `text` to `width` characters (not bytes: names may hold any script).
fn cell(text: &str, width: usize) -> String {
    cell_in(text, width, charset())
}

fn cell_in(text: &str, width: usize, charset: Charset) -> String {
    // Cleaned (and folded) first, so the padding counts what is printed.
    let text = clean(text, false);
    let (text, ellipsis) = match charset {
        Charset::Utf8 => (text, "…"),
        Charset::Ascii => (to_ascii(&text), "..."),
    };
    let text = text.as_str();
    let count = text.chars().count();
    if count > width {
        let keep = width.saturating_sub(ellipsis.chars().count());
        let cut: String = text.chars().take(keep).collect();
        format!("{cut}{ellipsis}")
    } else {
        format!("{text}{}", " ".repeat(width - count))
    }
}

pub fn clients(clients: &[ClientStatus], json: bool) {
    if json {
        let rows: Vec<_> = clients
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "name": c.name,
                    "vault": c.settings.vault_name,
                    "tenant": c.settings.tenant_id,
                    "cloud": c.settings.cloud,
                    "auth": c.settings.auth,
                })
            })
            .collect();
        print_json(&rows);
        return;
    }
    if clients.is_empty() {
        say!(
            "No client is remembered on this PC. Connect one in the console window with \
             Remember this connection ticked."
        );
        return;
    }
    say!("{} {} AUTH", cell("CLIENT", 28), cell("VAULT", 26));
    for c in clients {
        let auth = match c.settings.auth {
            akv_core::domain::connection::AuthMode::SignIn => "signed in with Microsoft",
            akv_core::domain::connection::AuthMode::AppSecret => "app registration secret",
        };
        say!(
            "{} {} {auth}",
            cell(&c.name, 28),
            cell(&c.settings.vault_name, 26)
        );
    }
}

/// A client's certificates and keys: a count line per kind, then the ones that need attention
/// (the healthy ones are in `--json` and the CSV).
fn objects(client: &MonitorClient, counts: &ClientCounts) {
    say!("  {}", counts.certificates.summary("certificates"));
    say!("  {}", counts.crypto_keys.summary("vault keys"));
    say!("  {}", counts.app_credentials.summary("app credentials"));
    for error in &client.object_errors {
        say!("  [{}] {}", error.audit_code(), error.message);
        say!("    hint: {}", error.hint);
    }
    for object in client
        .objects
        .iter()
        .filter(|o| o.level > MonitorLevel::Ok || o.facts.auto_renews.is_some())
    {
        say!(
            "  {} {} {}",
            cell(&object.facts.status_text, 23),
            cell(object.kind.label(), 18),
            clean(&object.name, false)
        );
    }
}

pub fn status(report: &MonitorReport, json: bool) {
    if json {
        print_json(report);
        return;
    }
    for client in &report.clients {
        match (&client.error, &client.counts) {
            (Some(error), _) => {
                say!(
                    "{} ({}): could not be checked [{}]: {}",
                    client.name,
                    client.vault,
                    error.audit_code(),
                    error.message
                );
                say!("  hint: {}", error.hint);
            }
            (None, Some(counts)) => {
                say!(
                    "{} ({}): {} keys: {}",
                    client.name,
                    client.vault,
                    counts.keys,
                    counts.summary()
                );
                objects(client, counts);
                if client.keys.is_empty() {
                    say!("  (no keys stored)");
                    continue;
                }
                // Two dates, two columns: the status says which one it is about.
                say!(
                    "  {} {} {} {} {} EXPIRES",
                    cell("STATUS", 23),
                    cell("VENDOR", 22),
                    cell("KEY", 28),
                    cell("PREVIEW", 18),
                    cell("NEXT ROTATION", 13)
                );
                for key in &client.keys {
                    say!(
                        "  {} {} {} {} {} {}",
                        cell(&key.facts.status_text, 23),
                        cell(&key.vendor_name, 22),
                        cell(&key.secret_name, 28),
                        cell(key.masked_preview.as_deref().unwrap_or("—"), 18),
                        cell(key.facts.next_due.as_deref().unwrap_or("—"), 13),
                        clean(key.facts.expiry.as_deref().unwrap_or("none"), false)
                    );
                }
                if client.flagged_for_review > 0 {
                    say!("  flagged for review: {}", client.flagged_for_review);
                    for key in client.keys.iter().filter(|k| k.review.is_some()) {
                        say!(
                            "    {}: {}",
                            key.secret_name,
                            clean(key.review.as_deref().unwrap_or_default(), false)
                        );
                    }
                }
            }
            (None, None) => {}
        }
    }
    let objects = match report.alerting_objects {
        0 => String::new(),
        n => format!("; {n} certificate(s) or vault key(s) need attention"),
    };
    let verdict = match report.level {
        MonitorLevel::Ok => "no key needs attention".to_string(),
        MonitorLevel::Warning => format!(
            "{} key(s) due within 14 days{objects}",
            report.alerting_keys
        ),
        MonitorLevel::Critical => format!(
            "{} key(s) need attention, some expired or with rotation overdue{objects}",
            report.alerting_keys
        ),
        MonitorLevel::Unknown => "at least one client could not be checked".to_string(),
    };
    say!(
        "{}: {verdict} (exit {})",
        report.level.label(),
        report.exit_code
    );
}

/// Print each client's verification; the level is critical when any log does not verify and
/// unknown when a client could not be checked.
pub fn verification(
    results: &[(ClientStatus, AppResult<Verification>)],
    json: bool,
) -> MonitorLevel {
    let mut level = MonitorLevel::Ok;
    let mut rows = Vec::with_capacity(results.len());
    for (client, result) in results {
        let client_level = match result {
            Ok(v) if v.report.intact => MonitorLevel::Ok,
            Ok(_) => MonitorLevel::Critical,
            Err(_) => MonitorLevel::Unknown,
        };
        level = level.max(client_level);
        if json {
            rows.push(match result {
                Ok(v) => json!({
                    "client": client.name,
                    "vault": client.vault_label(),
                    "level": client_level,
                    "intact": v.report.intact,
                    "entriesChecked": v.report.entries_checked,
                    "summary": v.report.summary,
                    "problem": v.report.problem,
                    "installations": v.installations.len(),
                }),
                Err(error) => json!({
                    "client": client.name,
                    "vault": client.vault_label(),
                    "level": client_level,
                    "error": error,
                }),
            });
            continue;
        }
        match result {
            Ok(v) => {
                say!(
                    "{} ({}): {}",
                    client.name,
                    client.vault_label(),
                    v.report.summary
                );
                if let Some(problem) = &v.report.problem {
                    say!("  {}", problem.message);
                }
            }
            Err(error) => {
                say!(
                    "{} ({}): could not be verified [{}]: {}",
                    client.name,
                    client.vault_label(),
                    error.audit_code(),
                    error.message
                );
                say!("  hint: {}", error.hint);
            }
        }
    }
    if json {
        print_json(&json!({
            "schema": "akv-console.audit-verify/1",
            "level": level,
            "exitCode": level.exit_code(),
            "clients": rows,
        }));
    } else {
        say!("{} (exit {})", level.label(), level.exit_code());
    }
    level
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_count_characters_not_bytes() {
        assert_eq!(cell_in("Zürich", 8, Charset::Utf8), "Zürich  ");
        assert_eq!(cell_in("東京歯科クリニック", 5, Charset::Utf8), "東京歯科…");
    }

    #[test]
    fn ascii_cells_keep_their_width() {
        assert_eq!(cell_in("Zürich", 8, Charset::Ascii), "Z?rich  ");
        assert_eq!(
            cell_in("ninja_••••••••5f2a", 18, Charset::Ascii),
            "ninja_********5f2a"
        );
        assert_eq!(
            cell_in("Contoso Dental — Main", 10, Charset::Ascii),
            "Contoso..."
        );
        assert_eq!(cell_in("—", 3, Charset::Ascii), "-  ");
    }

    #[test]
    fn ascii_text_has_readable_punctuation() {
        assert_eq!(
            to_ascii("Due soon — rotate… ✔ • ninja·rmm “x” Zürich 東京"),
            "Due soon - rotate... OK * ninja-rmm \"x\" Z?rich ??"
        );
        assert!(to_ascii("— … · • ✓ ✔ ü").is_ascii());
    }

    fn windows(is_console: bool, page: Option<u32>, akv_utf8: Option<&str>) -> Charset {
        charset_for(&OutputEnvironment {
            windows: true,
            is_console,
            console_code_page: page,
            akv_utf8,
            locale: None,
        })
    }

    fn unix(locale: Option<&str>, akv_utf8: Option<&str>) -> Charset {
        charset_for(&OutputEnvironment {
            locale,
            akv_utf8,
            ..OutputEnvironment::default()
        })
    }

    #[test]
    fn windows_prints_utf8_only_to_a_utf8_console_or_when_told() {
        assert_eq!(windows(true, Some(65001), None), Charset::Utf8);
        assert_eq!(windows(true, Some(437), None), Charset::Ascii);
        assert_eq!(windows(true, Some(850), None), Charset::Ascii);
        // Redirected under an RMM agent: the agent decodes with its OEM code page.
        assert_eq!(windows(false, None, None), Charset::Ascii);
        assert_eq!(windows(false, None, Some("1")), Charset::Utf8);
        assert_eq!(windows(true, Some(65001), Some("0")), Charset::Ascii);
        // A locale variable means nothing to Windows programs.
        assert_eq!(
            charset_for(&OutputEnvironment {
                windows: true,
                locale: Some("en_US.UTF-8"),
                ..OutputEnvironment::default()
            }),
            Charset::Ascii
        );
    }

    #[test]
    fn unix_prints_utf8_when_the_locale_says_so() {
        assert_eq!(unix(Some("en_US.UTF-8"), None), Charset::Utf8);
        assert_eq!(unix(Some("de_DE.utf8"), None), Charset::Utf8);
        assert_eq!(unix(Some("C.UTF-8"), None), Charset::Utf8);
        assert_eq!(unix(Some("C"), None), Charset::Ascii);
        assert_eq!(unix(Some("POSIX"), None), Charset::Ascii);
        assert_eq!(unix(Some("en_US.ISO-8859-1"), None), Charset::Ascii);
        assert_eq!(
            unix(None, None),
            Charset::Ascii,
            "cron and launchd set no locale"
        );
        assert_eq!(unix(None, Some("1")), Charset::Utf8);
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let hostile = "ninja\u{1b}]0;pwned\u{7}_\u{1b}[2J••\u{9b}31m\u{7f}5f2a\r\nOK";
        let line = clean(hostile, false);
        assert_eq!(line, "ninja]0;pwned_[2J••31m5f2a  OK");
        assert!(!line.chars().any(char::is_control));
        assert_eq!(clean("step 1\n\tstep 2\u{7}", true), "step 1\n\tstep 2");
        let json = clean_json(serde_json::json!({ "preview\u{1b}": [hostile] }));
        let text = json.to_string();
        assert!(!text.contains('\u{9b}') && !text.contains('\u{7f}'));
        assert!(
            !text.contains("\\u001b") && !text.contains("\\u0007"),
            "{text}"
        );
    }
}
