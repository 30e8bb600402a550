//! "Verify": walk the stored bytes line by line and report the log intact, or the first bad entry
//! and why.
//!
//! Checks, in order, for each complete line: it parses as a version-1 line (else *unreadable*);
//! its content hashes to its `hash` (else *edited*); its `seq` is the next number (a gap is
//! *deleted* unless the missing number appears later, which is *reordered*; a repeated or
//! backwards number is *reordered*); its `prev_hash` is the previous line's `hash` (else *edited*:
//! an entry was changed and re-hashed, which breaks the next link). Then an incomplete last line is
//! a *torn line*. Finally the vault's anchor, when given: an anchor beyond the last entry means the
//! tail was *cut off*; an anchored entry whose hash differs means the log was *rewritten*.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Anchor;
use super::chain::{LineRecord, READABLE_VERSIONS, VersionProbe};
use super::lines;

/// What the vault says about this installation's log, for [`verify_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorExpectation {
    /// Not connected (demo mode, or no vault at hand): a cut-off tail cannot be ruled out.
    NotAvailable,
    /// Connected, and the vault holds no anchor for this installation's log.
    Missing,
    /// The head the vault last recorded.
    Present(Anchor),
}

/// Everything the file is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// Where the chain must start: genesis, or the vault-anchored head that a segment begun after
    /// detected tampering links to (from the vault's registry, never from a local file).
    pub start: Anchor,
    pub anchor: AnchorExpectation,
    /// This installation's id: an entry naming another installation is not this PC's log.
    pub installation: Option<String>,
}

impl Expectations {
    /// Chain from genesis, with or without an anchor (the simple case, e.g. demo mode).
    pub fn from_genesis(anchor: Option<&Anchor>) -> Expectations {
        Expectations {
            start: Anchor::genesis(),
            anchor: match anchor {
                Some(anchor) => AnchorExpectation::Present(anchor.clone()),
                None => AnchorExpectation::NotAvailable,
            },
            installation: None,
        }
    }
}

/// What comparing the log with the vault's anchor showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum AnchorCheck {
    /// No anchor was given (demo mode, or not connected): a cut-off tail cannot be ruled out.
    NotAvailable,
    /// The anchored entry is in the log with the anchored hash.
    Matched,
    /// The anchored entry is missing or hashes differently.
    Mismatch,
    /// Connected, but the vault holds no anchor for a log that has entries.
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ProblemKind {
    /// An entry's content no longer matches its hash, or its link to the previous entry is broken.
    Edited,
    /// Sequence numbers jump: entries were removed from the middle (or the start).
    Deleted,
    /// Entries are out of order or repeated.
    Reordered,
    /// The vault's anchor names an entry beyond the end of the log.
    TruncatedTail,
    /// The entry at the vault's anchor hashes differently: the log was rewritten or replaced.
    Rewritten,
    /// The last line is incomplete (an interrupted write).
    TornLine,
    /// A line (or the file) cannot be read as a log entry.
    Unreadable,
    /// The log has entries but the vault has no anchor for it.
    AnchorMissing,
    /// An entry names another installation: this is not this PC's log (or its id was changed).
    OtherInstallation,
    /// Tampering was detected earlier and no Admin has acknowledged it yet.
    TamperUnacknowledged,
    /// This installation is new on a computer that already kept a log for the vault under
    /// another installation: the old history may have been deleted. Until an Admin acknowledges.
    NewInstallationOnKnownHost,
}

impl ProblemKind {
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::Edited => "edited",
            ProblemKind::Deleted => "deleted",
            ProblemKind::Reordered => "reordered",
            ProblemKind::TruncatedTail => "tail cut off",
            ProblemKind::Rewritten => "rewritten",
            ProblemKind::TornLine => "torn last line",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::AnchorMissing => "anchor missing",
            ProblemKind::OtherInstallation => "another installation's log",
            ProblemKind::TamperUnacknowledged => "tampering not yet acknowledged",
            ProblemKind::NewInstallationOnKnownHost => "new installation on a known computer",
        }
    }
}

/// The first thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The entry number concerned, when one can be named.
    pub seq: Option<u64>,
    /// 1-based line in the log file, when the problem sits on a line.
    pub line: Option<u64>,
    /// One or two sentences for the technician, shown verbatim.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VerifyReport {
    pub intact: bool,
    /// Entries read and found sound before the first problem (all of them when intact).
    pub entries_checked: u64,
    pub anchor: AnchorCheck,
    pub problem: Option<Problem>,
    /// One sentence for the UI.
    pub summary: String,
}

impl VerifyReport {
    /// The log could not be read at all.
    pub(crate) fn unreadable_file(reason: &str, expect: &Expectations) -> VerifyReport {
        VerifyReport {
            intact: false,
            entries_checked: 0,
            anchor: match expect.anchor {
                AnchorExpectation::NotAvailable => AnchorCheck::NotAvailable,
                AnchorExpectation::Missing => AnchorCheck::Missing,
                AnchorExpectation::Present(_) => AnchorCheck::Mismatch,
            },
            problem: Some(Problem {
                kind: ProblemKind::Unreadable,
                seq: None,
                line: None,
                message: format!(
                    "The audit log file could not be read ({reason}): it may have been deleted, \
                     moved or locked by another program."
                ),
            }),
            summary: "Not verified: the audit log file could not be read.".to_string(),
        }
    }
}

/// A complete line as verification needs it.
struct Checked {
    seq: u64,
    stored_hash: String,
    computed_hash: String,
    prev_hash: String,
    installation: Option<String>,
}

fn check_line(line: &[u8]) -> Result<Checked, String> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err("it is blank".to_string());
    }
    let record = match serde_json::from_slice::<LineRecord>(line) {
        Ok(record) => record,
        Err(parse_error) => {
            return Err(match serde_json::from_slice::<VersionProbe>(line) {
                Ok(probe) if !READABLE_VERSIONS.contains(&probe.v) => unknown_version(probe.v),
                _ => format!("it is not a valid log entry: {parse_error}"),
            });
        }
    };
    let computed_hash = record.computed_hash().map_err(|e| e.to_string())?;
    if record.to_entry().is_none() {
        return Err(format!(
            "its timestamp \"{}\" is not a valid date",
            record.timestamp
        ));
    }
    Ok(Checked {
        seq: record.seq,
        stored_hash: record.hash,
        computed_hash,
        prev_hash: record.prev_hash,
        installation: record.installation,
    })
}

/// Parse and hash every line; the links are compared after, in order.
fn check_lines(body: &[u8]) -> Vec<Result<Checked, String>> {
    let each: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    lines::map_lines(&each, check_line)
}

fn unknown_version(v: u32) -> String {
    format!("it uses log format version {v}, which this console does not read")
}

/// "the 1 entry is" / "all 3 entries are".
fn all_entries_are(count: u64) -> String {
    if count == 1 {
        "the 1 entry is".to_string()
    } else {
        format!("all {count} entries are")
    }
}

fn entries_word(n: u64) -> &'static str {
    if n == 1 { "entry" } else { "entries" }
}

struct Found {
    problem: Problem,
    summary: String,
}

fn found(
    kind: ProblemKind,
    seq: Option<u64>,
    line: Option<u64>,
    message: String,
    summary: String,
) -> Found {
    Found {
        problem: Problem {
            kind,
            seq,
            line,
            message,
        },
        summary,
    }
}

/// Verify the bytes of a log file against what the vault expects.
pub(crate) fn verify_bytes(bytes: &[u8], expect: &Expectations) -> VerifyReport {
    let anchor = match &expect.anchor {
        AnchorExpectation::Present(anchor) => Some(anchor),
        _ => None,
    };
    let (complete, torn) = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(i) => (&bytes[..=i], &bytes[i + 1..]),
        None => (&bytes[..0], bytes),
    };
    let lines: Vec<Result<Checked, String>> = if complete.is_empty() {
        Vec::new()
    } else {
        check_lines(&complete[..complete.len() - 1])
    };

    let start = &expect.start;
    let first_seq = start.seq.saturating_add(1);
    let mut expected_seq = first_seq;
    let mut prev_hash = start.hash.as_str();
    let mut first: Option<Found> = None;
    for (index, checked) in lines.iter().enumerate() {
        let line_no = index as u64 + 1;
        let record = match checked {
            Ok(record) => record,
            Err(why) => {
                first = Some(found(
                    ProblemKind::Unreadable,
                    None,
                    Some(line_no),
                    format!(
                        "Line {line_no} of the log cannot be read: {why}. It was damaged or edited by hand."
                    ),
                    format!("Not intact: line {line_no} of the log cannot be read."),
                ));
                break;
            }
        };
        let seq = record.seq;
        if let (Some(wanted), Some(found_id)) = (&expect.installation, &record.installation)
            && wanted != found_id
        {
            first = Some(found(
                ProblemKind::OtherInstallation,
                Some(seq),
                Some(line_no),
                format!(
                    "Entry #{seq} was written by console installation {found_id}, but this console \
                     is installation {wanted}: the log was copied from another PC, or this \
                     console's installation id was changed in its settings file."
                ),
                "Not intact: this is not this installation's log.".to_string(),
            ));
            break;
        }
        if record.computed_hash != record.stored_hash {
            first = Some(found(
                ProblemKind::Edited,
                Some(seq),
                Some(line_no),
                format!(
                    "Entry #{seq} was edited after it was written (its content no longer matches its hash)."
                ),
                format!("Not intact: entry #{seq} was changed after it was written."),
            ));
            break;
        }
        if seq > expected_seq {
            let appears_later = lines[index + 1..]
                .iter()
                .any(|l| l.as_ref().is_ok_and(|r| r.seq == expected_seq));
            first = Some(if appears_later {
                found(
                    ProblemKind::Reordered,
                    Some(seq),
                    Some(line_no),
                    format!(
                        "Entry #{seq} is on line {line_no}, before entry #{expected_seq}: the log's lines were reordered."
                    ),
                    format!("Not intact: entries are out of order from line {line_no}."),
                )
            } else {
                let missing = seq - expected_seq;
                let what = if missing == 1 {
                    format!("Entry #{expected_seq} is missing")
                } else {
                    format!("Entries #{expected_seq} to #{} are missing", seq - 1)
                };
                let jump = if expected_seq == first_seq {
                    format!("the log starts at #{seq}")
                } else {
                    format!("the log jumps from #{} to #{seq}", expected_seq - 1)
                };
                found(
                    ProblemKind::Deleted,
                    Some(expected_seq),
                    Some(line_no),
                    format!(
                        "{what}: {jump} ({missing} {} deleted).",
                        if missing == 1 {
                            "entry was"
                        } else {
                            "entries were"
                        }
                    ),
                    format!(
                        "Not intact: {missing} {} deleted before #{seq}.",
                        if missing == 1 {
                            "entry was"
                        } else {
                            "entries were"
                        }
                    ),
                )
            });
            break;
        }
        if seq < expected_seq {
            let last_good = expected_seq - 1;
            first = Some(found(
                ProblemKind::Reordered,
                Some(seq),
                Some(line_no),
                format!(
                    "Entry #{seq} appears again on line {line_no}, after entry #{last_good}: a line was copied or moved."
                ),
                format!("Not intact: entries are out of order from line {line_no}."),
            ));
            break;
        }
        if record.prev_hash != prev_hash {
            let message = if seq == first_seq && first_seq == 1 {
                "Entry #1 does not start the chain (its previous-entry hash is not the genesis value): \
                 the start of the log was replaced."
                    .to_string()
            } else if seq == first_seq {
                format!(
                    "Entry #{seq} does not link to entry #{} that the vault vouches for: the start \
                     of this log segment was replaced.",
                    start.seq
                )
            } else {
                format!(
                    "Entry #{seq} no longer links to entry #{} (it records a different hash for it): \
                     one of the two was changed after it was written and its hash recomputed.",
                    seq - 1
                )
            };
            first = Some(found(
                ProblemKind::Edited,
                Some(seq),
                Some(line_no),
                message,
                format!("Not intact: the chain is broken at entry #{seq}."),
            ));
            break;
        }
        expected_seq += 1;
        prev_hash = &record.stored_hash;
    }

    let sound = expected_seq - first_seq;
    let last_seq = expected_seq - 1;
    if first.is_none() && !torn.is_empty() {
        let line_no = lines.len() as u64 + 1;
        first = Some(found(
            ProblemKind::TornLine,
            None,
            Some(line_no),
            format!(
                "The last line of the log ({} bytes) is incomplete: a write was interrupted (crash or \
                 power loss) before the entry was finished, so it holds no complete entry. Reopening \
                 the log moves it aside to a .torn file and records a log-recovery entry.",
                torn.len()
            ),
            format!(
                "Needs attention: the log's last line is incomplete (an interrupted write); the {sound} \
                 {} before it are intact.",
                entries_word(sound)
            ),
        ));
    }

    let anchor_check = match (&expect.anchor, anchor) {
        (AnchorExpectation::Missing, _) => AnchorCheck::Missing,
        (_, None) => AnchorCheck::NotAvailable,
        (_, Some(anchor)) => {
            let anchored = lines
                .iter()
                .filter_map(|l| l.as_ref().ok())
                .find(|r| r.seq == anchor.seq);
            let matches = match anchored {
                Some(record) => record.stored_hash == anchor.hash,
                // An anchor at the chain's start: nothing of this segment anchored yet.
                None => anchor.seq == start.seq && anchor.hash == start.hash,
            };
            if matches {
                AnchorCheck::Matched
            } else {
                AnchorCheck::Mismatch
            }
        }
    };

    if first.is_none() && anchor_check == AnchorCheck::Missing && sound > 0 {
        first = Some(found(
            ProblemKind::AnchorMissing,
            None,
            None,
            format!(
                "The log holds {sound} {} but the vault has no anchor for it: the anchor was deleted, \
                 or this console's installation id was changed so it looks for another one. Entries \
                 removed from the end cannot be ruled out.",
                entries_word(sound)
            ),
            "Not intact: the vault's anchor for this log is missing.".to_string(),
        ));
    }

    if first.is_none()
        && let (Some(anchor), AnchorCheck::Mismatch) = (anchor, anchor_check)
    {
        first = Some(if anchor.seq > last_seq {
            let cut = anchor.seq - last_seq;
            let message = if sound == 0 {
                format!(
                    "The log is empty but the vault's anchor says #{} was written: all {cut} {} were removed.",
                    anchor.seq,
                    entries_word(cut)
                )
            } else if cut == 1 {
                format!(
                    "The log ends at #{last_seq} but the vault's anchor says #{} was written: the last entry was cut off.",
                    anchor.seq
                )
            } else {
                format!(
                    "The log ends at #{last_seq} but the vault's anchor says #{} was written: the last {cut} entries were cut off.",
                    anchor.seq
                )
            };
            found(
                ProblemKind::TruncatedTail,
                Some(last_seq + 1),
                None,
                message,
                format!(
                    "Not intact: the end of the log was cut off ({cut} {} missing).",
                    entries_word(cut)
                ),
            )
        } else {
            found(
                ProblemKind::Rewritten,
                Some(anchor.seq),
                Some(anchor.seq),
                format!(
                    "Entry #{} does not match the vault's anchor (its hash differs from the one recorded \
                     in the vault): the log was rewritten or replaced up to that entry.",
                    anchor.seq
                ),
                format!(
                    "Not intact: the log does not match the vault's anchor at #{}.",
                    anchor.seq
                ),
            )
        });
    }

    match first {
        Some(Found { problem, summary }) => VerifyReport {
            intact: false,
            entries_checked: sound,
            anchor: anchor_check,
            problem: Some(problem),
            summary,
        },
        None => {
            let summary = match (anchor_check, anchor) {
                _ if sound == 0 && anchor.is_none() && anchor_check != AnchorCheck::Missing => {
                    "Intact: the log is empty. The vault's anchor was not available, so removed \
                     entries could not be ruled out."
                        .to_string()
                }
                _ if sound == 0 && anchor.is_none() => {
                    "Intact: the log is empty and the vault has no anchor for it yet.".to_string()
                }
                _ if sound == 0 => {
                    "Intact: the log is empty, as the vault's anchor expects.".to_string()
                }
                (AnchorCheck::Matched, Some(anchor)) if anchor.seq == last_seq => format!(
                    "Intact: {} unchanged and correctly linked, and the vault's anchor matches.",
                    all_entries_are(sound)
                ),
                (AnchorCheck::Matched, Some(anchor)) => {
                    let unconfirmed = last_seq - anchor.seq;
                    format!(
                        "Intact: {} unchanged and correctly linked; #{} matches the \
                         vault's anchor. The last {unconfirmed} {} could not be anchored (the vault \
                         was unreachable when they were written), so the vault cannot vouch for them yet.",
                        all_entries_are(sound),
                        anchor.seq,
                        entries_word(unconfirmed)
                    )
                }
                _ => format!(
                    "Intact: {} unchanged and correctly linked. The vault's anchor was \
                     not available (not connected), so a cut-off tail could not be ruled out.",
                    all_entries_are(sound)
                ),
            };
            VerifyReport {
                intact: true,
                entries_checked: sound,
                anchor: anchor_check,
                problem: None,
                summary,
            }
        }
    }
}
