//! The vault's record of every console installation that keeps an audit log for it: when each
//! was first seen, by whom and on which computer, and the chain segments begun after tampering
//! was detected. It lives in the vault, never in a local file, so a PC whose settings file was
//! edited to a new installation id shows up as a new installation, and an edited log cannot
//! quietly choose which anchor it is compared with.
//!
//! One document per installation (`akv-console-audit-installation-<id>`), its summary also in
//! the secret's tags so a listing shows every installation without reading a value. A shared
//! document grew with every installation and segment until it passed Key Vault's 25 KB value
//! limit, after which no console could record a tampering; one installation's record is
//! compacted (old segments counted, texts capped) so it stays a few KB however long it lives.
//! The shared document of older consoles (`akv-console-audit-registry`) is only read, to carry
//! an installation's record over the first time it connects.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Anchor;

pub const REGISTRY_FORMAT_VERSION: u32 = 2;
/// Segments kept in full; older ones are only counted (the log entries and the evidence files
/// on the PC, and the secret's versions in the vault, still hold them).
pub const MAX_SEGMENTS_KEPT: usize = 6;
/// Ranges of entries adopted without the vault's vouching kept apart; older ones are merged.
pub const MAX_UNVOUCHED_RANGES: usize = 16;
/// Longest text kept per field (problem, evidence path).
pub const MAX_TEXT_CHARS: usize = 300;
/// Longest name kept (operator, UPN, computer).
pub const MAX_NAME_CHARS: usize = 100;
/// Key Vault's tag values are at most 256 characters.
const MAX_TAG_CHARS: usize = 256;

/// The shared registry document of older consoles (read-only now).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRegistry {
    pub version: u32,
    /// By installation id.
    pub installations: BTreeMap<String, InstallationRecord>,
}

impl AuditRegistry {
    pub fn from_json(text: &str) -> Result<AuditRegistry, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallationRecord {
    pub first_seen: DateTime<Utc>,
    pub first_operator: String,
    /// The computer's name when it was first seen.
    pub host: String,
    #[serde(default)]
    pub last_seen: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_operator: Option<String>,
    /// Chain segments begun after tampering was detected, oldest first (the newest
    /// [`MAX_SEGMENTS_KEPT`]).
    #[serde(default)]
    pub segments: Vec<Segment>,
    /// Older segments dropped from `segments`, and how many of them were not acknowledged.
    #[serde(default)]
    pub earlier_segments: u32,
    #[serde(default)]
    pub earlier_open: u32,
    /// An Admin accepted this installation although the same computer already kept a log for
    /// the vault under another installation (see `ProblemKind::NewInstallationOnKnownHost`).
    #[serde(default)]
    pub known_host_acknowledged: Option<Acknowledgement>,
    /// Entries found past the vault's anchor when a session began (written while the vault was
    /// out of reach, or added to the file by someone): the session anchors them with the rest,
    /// so this is where the vault remembers that it never vouched for them. Their notes (a
    /// host approval) are not believed.
    #[serde(default)]
    pub unvouched: Vec<SeqRange>,
}

/// Entries `from..=to` of an installation's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqRange {
    pub from: u64,
    pub to: u64,
}

impl SeqRange {
    pub fn contains(&self, seq: u64) -> bool {
        self.from <= seq && seq <= self.to
    }
}

/// A new chain segment: the log on the PC no longer matched the vault, so it was kept aside as
/// evidence and a new chain began, linked to the last head the vault vouched for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// 1, 2, … (segment 0 is the installation's original chain).
    pub number: u32,
    /// The vault-anchored head the segment's first entry links to.
    pub linked: Anchor,
    pub detected_at: DateTime<Utc>,
    pub detected_by: String,
    /// What verification found (one sentence).
    pub problem: String,
    /// Where the old log was kept on the PC.
    pub evidence_file: String,
    #[serde(default)]
    pub acknowledged: Option<Acknowledgement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub by: String,
    #[serde(default)]
    pub upn: Option<String>,
    pub at: DateTime<Utc>,
}

impl Acknowledgement {
    fn cap(&mut self) {
        self.by = capped(&self.by, MAX_NAME_CHARS);
        self.upn = self.upn.as_deref().map(|u| capped(u, MAX_NAME_CHARS));
    }
}

/// Another installation as its document's tags describe it (a listing, no value read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallationSummary {
    pub host: String,
    pub first_seen: Option<DateTime<Utc>>,
    pub first_operator: String,
    pub last_seen: Option<DateTime<Utc>>,
    /// The segment its log continues now (0: the original chain).
    pub segment: u32,
    pub segments: usize,
    pub open: usize,
}

fn capped(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((end, _)) if text.chars().count() > max => format!("{}…", &text[..end]),
        _ => text.to_string(),
    }
}

impl InstallationRecord {
    pub fn new(operator: &str, host: &str, now: DateTime<Utc>) -> InstallationRecord {
        InstallationRecord {
            first_seen: now,
            first_operator: capped(operator, MAX_NAME_CHARS),
            host: capped(host, MAX_NAME_CHARS),
            last_seen: None,
            last_operator: None,
            segments: Vec::new(),
            earlier_segments: 0,
            earlier_open: 0,
            known_host_acknowledged: None,
            unvouched: Vec::new(),
        }
    }

    pub fn from_json(text: &str) -> Result<InstallationRecord, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn to_json(&self) -> String {
        // Strings, numbers and dates always serialize.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Record that the installation was seen now (a record of an older console without a host
    /// gets this computer's name).
    pub fn seen(&mut self, operator: &str, host: &str, now: DateTime<Utc>) {
        self.last_seen = Some(now);
        self.last_operator = Some(capped(operator, MAX_NAME_CHARS));
        if self.host.is_empty() {
            self.host = capped(host, MAX_NAME_CHARS);
        }
    }

    /// The segment the installation's log continues now (`None`: its original chain).
    pub fn current_segment(&self) -> Option<&Segment> {
        self.segments.last()
    }

    /// Segments not acknowledged by an Admin, including counted older ones.
    pub fn open_segments(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| s.acknowledged.is_none())
            .count()
            + self.earlier_open as usize
    }

    pub fn segment_count(&self) -> usize {
        self.segments.len() + self.earlier_segments as usize
    }

    /// Begin a new segment and return its number.
    pub fn begin_segment(
        &mut self,
        linked: Anchor,
        detected_by: &str,
        problem: &str,
        evidence_file: &str,
        now: DateTime<Utc>,
    ) -> u32 {
        let number = self.segments.last().map_or(
            // Every kept segment was compacted away only if one existed: continue after them.
            self.earlier_segments + 1,
            |s| s.number + 1,
        );
        self.segments.push(Segment {
            number,
            linked,
            detected_at: now,
            detected_by: capped(detected_by, MAX_NAME_CHARS),
            problem: capped(problem, MAX_TEXT_CHARS),
            evidence_file: capped(evidence_file, MAX_TEXT_CHARS),
            acknowledged: None,
        });
        self.compact();
        number
    }

    /// Remember that entries `from..=to` were adopted without the vault's vouching.
    pub fn add_unvouched(&mut self, from: u64, to: u64) {
        if from <= to && !self.unvouched.iter().any(|r| r.from <= from && to <= r.to) {
            self.unvouched.push(SeqRange { from, to });
        }
        self.compact();
    }

    /// Whether entry `seq` was adopted without the vault's vouching.
    pub fn unvouched(&self, seq: u64) -> bool {
        self.unvouched.iter().any(|r| r.contains(seq))
    }

    /// Keep the newest segments in full, acknowledged ones go first; texts are capped; the
    /// oldest unvouched ranges are merged (what lies between them is then not believed either).
    pub fn compact(&mut self) {
        while self.unvouched.len() > MAX_UNVOUCHED_RANGES {
            let second = self.unvouched.remove(1);
            let first = &mut self.unvouched[0];
            first.from = first.from.min(second.from);
            first.to = first.to.max(second.to);
        }
        while self.segments.len() > MAX_SEGMENTS_KEPT {
            let index = self
                .segments
                .iter()
                .position(|s| s.acknowledged.is_some())
                .unwrap_or(0);
            let dropped = self.segments.remove(index);
            self.earlier_segments += 1;
            if dropped.acknowledged.is_none() {
                self.earlier_open += 1;
            }
        }
        self.first_operator = capped(&self.first_operator, MAX_NAME_CHARS);
        self.host = capped(&self.host, MAX_NAME_CHARS);
        if let Some(last) = &self.last_operator {
            self.last_operator = Some(capped(last, MAX_NAME_CHARS));
        }
        for segment in &mut self.segments {
            segment.problem = capped(&segment.problem, MAX_TEXT_CHARS);
            segment.evidence_file = capped(&segment.evidence_file, MAX_TEXT_CHARS);
            segment.detected_by = capped(&segment.detected_by, MAX_NAME_CHARS);
            if let Some(ack) = &mut segment.acknowledged {
                ack.cap();
            }
        }
        if let Some(ack) = &mut self.known_host_acknowledged {
            ack.cap();
        }
    }

    /// Mark every open segment acknowledged. Returns how many.
    pub fn acknowledge(&mut self, by: &str, upn: Option<&str>, now: DateTime<Utc>) -> usize {
        let mut count = self.earlier_open as usize;
        self.earlier_open = 0;
        for segment in self
            .segments
            .iter_mut()
            .filter(|s| s.acknowledged.is_none())
        {
            segment.acknowledged = Some(Acknowledgement {
                by: by.to_string(),
                upn: upn.map(str::to_string),
                at: now,
            });
            count += 1;
        }
        self.compact();
        count
    }

    /// The summary a listing shows (the document's tags).
    pub fn tags(&self) -> HashMap<String, String> {
        let mut tags: HashMap<String, String> = [
            ("host", self.host.clone()),
            ("first-seen", self.first_seen.to_rfc3339()),
            ("first-operator", self.first_operator.clone()),
            (
                "segment",
                self.current_segment().map_or(0, |s| s.number).to_string(),
            ),
            ("segments", self.segment_count().to_string()),
            ("open", self.open_segments().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), capped(&v, MAX_TAG_CHARS)))
        .collect();
        if let Some(last) = self.last_seen {
            tags.insert("last-seen".into(), last.to_rfc3339());
        }
        tags
    }

    pub fn summary(&self) -> InstallationSummary {
        InstallationSummary {
            host: self.host.clone(),
            first_seen: Some(self.first_seen),
            first_operator: self.first_operator.clone(),
            last_seen: self.last_seen,
            segment: self.current_segment().map_or(0, |s| s.number),
            segments: self.segment_count(),
            open: self.open_segments(),
        }
    }
}

impl InstallationSummary {
    /// Read from a listing's tags (anyone may edit tags: used for display and for flagging,
    /// never to trust a log).
    pub fn from_tags(tags: &HashMap<String, String>) -> InstallationSummary {
        let text = |k: &str| tags.get(k).cloned().unwrap_or_default();
        let date = |k: &str| {
            tags.get(k)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        let number = |k: &str| tags.get(k).and_then(|t| t.parse::<usize>().ok());
        InstallationSummary {
            host: text("host"),
            first_seen: date("first-seen"),
            first_operator: text("first-operator"),
            last_seen: date("last-seen"),
            segment: number("segment")
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
            segments: number("segments").unwrap_or(0),
            open: number("open").unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor(seq: u64) -> Anchor {
        Anchor {
            seq,
            hash: format!("{seq:064}"),
        }
    }

    #[test]
    fn segments_number_up_and_acknowledge_together() {
        let now = Utc::now();
        let mut record = InstallationRecord::new("Dana", "DANA-PC", now);
        assert!(record.current_segment().is_none());
        let first = record.begin_segment(Anchor::genesis(), "Dana", "edited", "a.jsonl", now);
        let second = record.begin_segment(anchor(4), "Dana", "cut", "b.jsonl", now);
        assert_eq!((first, second), (1, 2));
        assert_eq!(record.current_segment().map(|s| s.linked.seq), Some(4));
        assert_eq!(record.acknowledge("Admin", None, now), 2);
        assert_eq!(record.acknowledge("Admin", None, now), 0);
        let reloaded = InstallationRecord::from_json(&record.to_json()).expect("round trip");
        assert_eq!(reloaded, record);
        assert_eq!(reloaded.host, "DANA-PC");
        let summary = InstallationSummary::from_tags(&record.tags());
        assert_eq!((summary.segment, summary.segments, summary.open), (2, 2, 0));
        assert_eq!(summary.host, "DANA-PC");
    }

    #[test]
    fn a_record_stays_far_below_the_25_kb_limit_however_often_it_is_tampered_with() {
        let now = Utc::now();
        let long = "x".repeat(20_000);
        let mut record = InstallationRecord::new(&long, &long, now);
        for seq in 0..200 {
            record.begin_segment(anchor(seq), &long, &long, &long, now);
            if seq % 3 == 0 {
                record.acknowledge(&long, None, now);
            }
        }
        let bytes = record.to_json().len();
        assert!(bytes < 8 * 1024, "{bytes} bytes");
        // Nothing open is forgotten by compaction, and numbering goes on.
        assert_eq!(record.segment_count(), 200);
        assert_eq!(record.current_segment().map(|s| s.number), Some(200));
        assert_eq!(
            record.open_segments(),
            1,
            "the one segment since the last acknowledgement"
        );
        for value in record.tags().values() {
            assert!(value.chars().count() <= 256);
        }
    }

    #[test]
    fn unvouched_ranges_stay_few_and_never_forget_an_entry() {
        let now = Utc::now();
        let mut record = InstallationRecord::new("Dana", "PC", now);
        for n in 0..100 {
            record.add_unvouched(n * 10 + 1, n * 10 + 2);
        }
        assert!(record.unvouched.len() <= MAX_UNVOUCHED_RANGES);
        for n in 0..100 {
            assert!(record.unvouched(n * 10 + 1) && record.unvouched(n * 10 + 2));
        }
        assert!(!record.unvouched(995), "after the newest range");
        assert!(!record.unvouched(0));
    }

    #[test]
    fn an_unacknowledged_segment_compacted_away_still_counts_as_open() {
        let now = Utc::now();
        let mut record = InstallationRecord::new("Dana", "PC", now);
        for seq in 0..(MAX_SEGMENTS_KEPT as u64 + 3) {
            record.begin_segment(anchor(seq), "Dana", "cut", "", now);
        }
        assert_eq!(record.segments.len(), MAX_SEGMENTS_KEPT);
        assert_eq!(record.open_segments(), MAX_SEGMENTS_KEPT + 3);
        assert_eq!(
            record.acknowledge("Admin", None, now),
            MAX_SEGMENTS_KEPT + 3
        );
        assert_eq!(record.open_segments(), 0);
    }

    #[test]
    fn a_record_of_the_shared_registry_of_older_consoles_still_reads() {
        let legacy = r#"{"version":1,"installations":{"pc-1":{"first_seen":"2026-01-02T03:04:05Z","first_operator":"Dana","host":"DANA-PC","segments":[]}}}"#;
        let registry = AuditRegistry::from_json(legacy).expect("legacy");
        let record = &registry.installations["pc-1"];
        assert_eq!(record.host, "DANA-PC");
        assert!(record.known_host_acknowledged.is_none());
    }
}
