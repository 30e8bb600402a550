//! What `akv-console` prints: tables for people, JSON for scripts (stdout), errors and notices
//! (stderr). Everything printed comes from the core's views: masked previews, dates, statuses.

use serde::Serialize;
use serde_json::json;

use akv_core::error::{AppError, AppResult};
use akv_core::service::monitor::{MonitorLevel, MonitorReport};
use akv_core::service::trust::Verification;
use akv_core::service::{Notice, NoticeLevel};
use akv_core::session::ClientStatus;

fn print_json(value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(error) => eprintln!("error: the report could not be encoded as JSON ({error})"),
    }
}

/// A named error, as the window shows it: code, message and hint (JSON on request).
pub fn error(error: &AppError, json: bool) {
    if json {
        let text = serde_json::to_string(&json!({ "error": error }))
            .unwrap_or_else(|_| error.message.clone());
        eprintln!("{text}");
    } else {
        eprintln!("error [{}]: {}", error.audit_code(), error.message);
        if !error.hint.is_empty() {
            eprintln!("hint: {}", error.hint);
        }
    }
}

pub fn notice(notice: &Notice) {
    let level = match notice.level {
        NoticeLevel::Error => "error",
        NoticeLevel::Warning => "warning",
        _ => "note",
    };
    eprintln!("{level}: {}", notice.message);
    if let Some(hint) = &notice.hint {
        eprintln!("hint: {hint}");
    }
}

/// Pad or cut `text` to `width` characters (not bytes: names may hold any script).
fn cell(text: &str, width: usize) -> String {
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
        println!(
            "No client is remembered on this PC. Connect one in the console window with \
             Remember this connection ticked."
        );
        return;
    }
    println!("{} {} AUTH", cell("CLIENT", 28), cell("VAULT", 26));
    for c in clients {
        let auth = match c.settings.auth {
            akv_core::domain::connection::AuthMode::SignIn => "signed in with Microsoft",
            akv_core::domain::connection::AuthMode::AppSecret => "app registration secret",
        };
        println!(
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
                println!(
                    "{} ({}): could not be checked [{}]: {}",
                    client.name,
                    client.vault,
                    error.audit_code(),
                    error.message
                );
                println!("  hint: {}", error.hint);
            }
            (None, Some(counts)) => {
                println!(
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
                    println!("  (no keys stored)");
                    continue;
                }
                println!(
                    "  {} {} {} {} REASON",
                    cell("STATUS", 9),
                    cell("VENDOR", 22),
                    cell("KEY", 30),
                    cell("PREVIEW", 18)
                );
                for key in &client.keys {
                    println!(
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
    println!(
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
                println!(
                    "{} ({}): {}",
                    client.name,
                    client.vault_label(),
                    v.report.summary
                );
                if let Some(problem) = &v.report.problem {
                    println!("  {}", problem.message);
                }
            }
            Err(error) => {
                println!(
                    "{} ({}): could not be verified [{}]: {}",
                    client.name,
                    client.vault_label(),
                    error.audit_code(),
                    error.message
                );
                println!("  hint: {}", error.hint);
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
        println!("{} (exit {})", level.label(), level.exit_code());
    }
    level
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_count_characters_not_bytes() {
        assert_eq!(cell("Zürich", 8), "Zürich  ");
        assert_eq!(cell("東京歯科クリニック", 5), "東京歯科…");
    }
}
