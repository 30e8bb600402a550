//! What `akv-console` prints: tables for people, JSON for scripts (stdout), errors and notices
//! (stderr). Everything printed comes from the core's views: masked previews, dates, statuses.
//!
//! Much of it was written by others: vault tags (previews, notes), server messages, client names
//! in config.json. A terminal acts on control characters (ESC and OSC sequences retitle the
//! window, rewrite lines, or on some terminals write files), so every line goes through
//! [`clean`] before it is printed, and JSON's strings too (JSON escapes C0 but passes DEL and C1
//! raw, and the reader may print the values).

use serde::Serialize;
use serde_json::{Value, json};

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

/// `println!` of one cleaned line.
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", $crate::output::clean(&format!($($arg)*), false))
    };
}

/// `eprintln!` of one cleaned line.
macro_rules! tell {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::output::clean(&format!($($arg)*), false))
    };
}

use akv_core::error::{AppError, AppResult};
use akv_core::service::monitor::{MonitorLevel, MonitorReport};
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
    // Cleaned first, so the padding counts what is printed.
    let text = clean(text, false);
    let text = text.as_str();
    let count = text.chars().count();
    if count > width {
        let cut: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
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
                    "{} ({}): {} keys, {} healthy, {} due soon, {} overdue, {} expired, {} disabled",
                    client.name,
                    client.vault,
                    counts.keys_stored,
                    counts.healthy,
                    counts.due_soon,
                    counts.overdue,
                    counts.expired,
                    counts.disabled
                );
                if client.keys.is_empty() {
                    say!("  (no keys stored)");
                    continue;
                }
                say!(
                    "  {} {} {} {} REASON",
                    cell("STATUS", 9),
                    cell("VENDOR", 22),
                    cell("KEY", 30),
                    cell("PREVIEW", 18)
                );
                for key in &client.keys {
                    say!(
                        "  {} {} {} {} {}",
                        cell(&key.status_label, 9),
                        cell(&key.vendor_name, 22),
                        cell(&key.secret_name, 30),
                        cell(key.masked_preview.as_deref().unwrap_or("—"), 18),
                        key.status_reason
                    );
                }
            }
            (None, None) => {}
        }
    }
    let verdict = match report.level {
        MonitorLevel::Ok => "no key needs attention".to_string(),
        MonitorLevel::Warning => format!("{} key(s) due soon", report.alerting_keys),
        MonitorLevel::Critical => format!(
            "{} key(s) need attention, some overdue or expired",
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
    use super::{cell, clean, clean_json};

    #[test]
    fn cells_count_characters_not_bytes() {
        assert_eq!(cell("Zürich", 8), "Zürich  ");
        assert_eq!(cell("東京歯科クリニック", 5), "東京歯科…");
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
