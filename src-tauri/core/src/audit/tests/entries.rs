//! What an entry holds, its timestamps, the CSV, error codes and action names.

use super::*;

#[test]
fn entries_hold_only_what_the_caller_gave() {
    let dir = TempDir::new().expect("tempdir");
    let (mut log, _) = AuditLog::open(&log_path(&dir)).expect("open");
    let new_entry = NewEntry::new(AuditAction::Purge)
        .vendor("datto-rmm")
        .key_name("datto-rmm--backup")
        .refused("purge-protected")
        .note("Purge refused: purge protection is on");
    let who = Actor {
        user: "Sam Lee".into(),
        role: "L2".into(),
        identity: Some("unverified".into()),
        upn: None,
        oid: None,
    };
    let stored = log.append(new_entry.clone(), &who, at(7)).expect("append");

    // The stored line has exactly these fields; each string is the caller's, unchanged.
    let line: serde_json::Value =
        serde_json::from_str(&read_lines(&log_path(&dir))[0]).expect("json");
    let object = line.as_object().expect("object");
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    let mut expected_keys = vec![
        "v",
        "seq",
        "timestamp",
        "action",
        "vendor",
        "key_name",
        "user",
        "identity",
        "upn",
        "oid",
        "role",
        "client",
        "vault",
        "installation",
        "outcome",
        "error_code",
        "note",
        "prev_hash",
        "hash",
    ];
    let mut sorted_keys = keys.clone();
    sorted_keys.sort_unstable();
    expected_keys.sort_unstable();
    assert_eq!(sorted_keys, expected_keys);
    assert_eq!(line["vendor"], "datto-rmm");
    assert_eq!(line["key_name"], "datto-rmm--backup");
    assert_eq!(line["user"], "Sam Lee");
    assert_eq!(line["role"], "L2");
    assert_eq!(line["action"], "purge");
    assert_eq!(line["outcome"], "refused");
    assert_eq!(line["error_code"], "purge-protected");
    assert_eq!(line["note"], "Purge refused: purge protection is on");
    assert_eq!(line["timestamp"], "2025-03-01T09:30:07.000Z");
    assert_eq!(line["v"], 2);
    assert_eq!(line["identity"], "unverified");
    assert!(line["upn"].is_null());
    assert_eq!(stored.note, new_entry.note);

    // Absent optional fields stay absent (null), nothing is filled in for them.
    log.append(NewEntry::new(AuditAction::Disconnect), &who, at(8))
        .expect("append");
    let second: serde_json::Value =
        serde_json::from_str(&read_lines(&log_path(&dir))[1]).expect("json");
    assert!(second["vendor"].is_null());
    assert!(second["key_name"].is_null());
    assert!(second["error_code"].is_null());
    assert_eq!(second["note"], "");
}

#[test]
fn csv_has_hash_columns_and_the_verification_result() {
    let dir = TempDir::new().expect("tempdir");
    let log = file_log(&dir, 3);
    let report = log.verify(Some(&log.head().expect("head")));
    let bytes = log.to_csv(&report);
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    let rows: Vec<&str> = text.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert_eq!(
        rows[0],
        "seq,timestamp (UTC),action,vendor,key name,user,identity,upn,object id,role,client,vault,installation,outcome,error code,note,prev hash,hash"
    );
    assert_eq!(rows.len(), 1 + 3 + 1);
    let first = log.entries()[0].clone();
    assert_eq!(
        rows[1],
        format!(
            "1,2025-03-01T09:30:01.000Z,retrieve,sentinelone,sentinelone--eu,Dana Reyes,entra,\
             dana@contoso.com,00000000-0000-4000-8000-00000000d4a4,Admin,,,,ok,,\
             Copied to clipboard 1,{GENESIS_HASH},{}",
            first.hash
        )
    );
    assert!(rows[2].contains(",test,meraki,meraki,Dana Reyes,entra,"));
    assert!(rows[2].contains(",Admin,,,,failed,forbidden-by-rbac,"));
    assert!(rows[3].ends_with(&log.entries()[2].hash));
    assert!(
        rows[4].starts_with("verification,intact,\"Intact: all 3 entries are unchanged"),
        "{}",
        rows[4]
    );
    assert!(
        rows.iter()
            .all(|r| r.matches(',').count() >= 17 || r.starts_with("verification")),
        "every entry row has 18 cells"
    );

    // A tampered log exports the failure.
    let mut lines = read_lines(&log_path(&dir));
    lines.swap(0, 1);
    write_lines(&log_path(&dir), &lines);
    let tampered = log.verify(None);
    let text = String::from_utf8(log.to_csv(&tampered)[3..].to_vec()).expect("utf-8");
    let last = text
        .trim_end()
        .lines()
        .last()
        .expect("last row")
        .to_string();
    assert!(
        last.starts_with("verification,NOT INTACT,Not intact: entries are out of order"),
        "{last}"
    );
    assert!(last.contains("reordered"), "{last}");
}

#[test]
fn csv_neutralises_formulas_in_caller_text() {
    let mut log = AuditLog::in_memory();
    log.append(
        NewEntry::new(AuditAction::Update).note("=HYPERLINK(\"http://x\")"),
        &actor(),
        at(1),
    )
    .expect("append");
    let text = String::from_utf8(log.to_csv(&log.verify(None))[3..].to_vec()).expect("utf-8");
    assert!(text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{text}");
}

#[test]
fn every_error_has_its_own_code_and_a_hint() {
    let path = PathBuf::from("/data/akv/vault.jsonl");
    let io = || std::io::Error::other("disk full");
    let errors = [
        AuditError::Open {
            path: path.clone(),
            source: io(),
        },
        AuditError::InUse { path: path.clone() },
        AuditError::Write {
            path: path.clone(),
            source: io(),
        },
        AuditError::Repair {
            path: path.clone(),
            torn_path: path.with_extension("jsonl.torn"),
            source: io(),
        },
        AuditError::Unusable {
            path: path.clone(),
            source: io(),
        },
        AuditError::Encode("bad json".into()),
    ];
    let mut codes: Vec<&str> = errors.iter().map(AuditError::code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    for error in &errors {
        assert!(error.code().starts_with("audit-"));
        assert!(!error.hint().is_empty());
        assert!(error.to_string().ends_with('.'), "{error}");
    }
    assert!(errors[2].hint().contains("/data/akv"));
}

#[test]
fn action_ids_match_the_stored_names() {
    for action in AuditAction::ALL {
        let json = serde_json::to_value(action).expect("json");
        assert_eq!(json, action.id());
        assert!(!action.label().is_empty());
    }
    assert_eq!(AuditAction::ProfileChange.id(), "profile-change");
    assert_eq!(AuditAction::LogRecovery.id(), "log-recovery");
}
