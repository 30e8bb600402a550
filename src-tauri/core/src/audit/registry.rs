//! The vault's registry of every console installation that keeps an audit log for it: when each
//! was first seen and by whom, and the chain segments begun after tampering was detected. It lives
//! in the vault (`akv-console-audit-registry`), never in a local file, so a PC whose settings file
//! was edited to a new installation id shows up as a new installation, and an edited log cannot
//! quietly choose which anchor it is compared with.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Anchor;

pub const REGISTRY_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRegistry {
    pub version: u32,
    /// By installation id.
    pub installations: BTreeMap<String, InstallationRecord>,
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
    /// Chain segments begun after tampering was detected, oldest first.
    #[serde(default)]
    pub segments: Vec<Segment>,
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

impl AuditRegistry {
    pub fn from_json(text: &str) -> Result<AuditRegistry, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn to_json(&self) -> String {
        // Maps, strings and dates always serialize.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The segment an installation's log continues now (`None`: its original chain).
    pub fn current_segment(&self, installation: &str) -> Option<&Segment> {
        self.installations
            .get(installation)
            .and_then(|record| record.segments.last())
    }

    /// Record that `installation` was seen now (adds it when new).
    pub fn seen(&mut self, installation: &str, operator: &str, host: &str, now: DateTime<Utc>) {
        self.version = REGISTRY_FORMAT_VERSION;
        let record = self
            .installations
            .entry(installation.to_string())
            .or_insert_with(|| InstallationRecord {
                first_seen: now,
                first_operator: operator.to_string(),
                host: host.to_string(),
                last_seen: None,
                last_operator: None,
                segments: Vec::new(),
            });
        record.last_seen = Some(now);
        record.last_operator = Some(operator.to_string());
    }

    /// Begin a new segment for `installation` and return its number.
    pub fn begin_segment(
        &mut self,
        installation: &str,
        linked: Anchor,
        detected_by: &str,
        problem: &str,
        evidence_file: &str,
        now: DateTime<Utc>,
    ) -> u32 {
        self.seen(installation, detected_by, "", now);
        let record = self.installations.get_mut(installation).map(|record| {
            let number = record.segments.last().map_or(1, |s| s.number + 1);
            record.segments.push(Segment {
                number,
                linked,
                detected_at: now,
                detected_by: detected_by.to_string(),
                problem: problem.to_string(),
                evidence_file: evidence_file.to_string(),
                acknowledged: None,
            });
            number
        });
        record.unwrap_or(1)
    }

    /// Mark the installation's unacknowledged segments acknowledged. Returns how many.
    pub fn acknowledge(
        &mut self,
        installation: &str,
        by: &str,
        upn: Option<&str>,
        now: DateTime<Utc>,
    ) -> usize {
        let Some(record) = self.installations.get_mut(installation) else {
            return 0;
        };
        let mut count = 0;
        for segment in record
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
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_number_up_and_acknowledge_together() {
        let now = Utc::now();
        let mut registry = AuditRegistry::default();
        registry.seen("pc-1", "Dana", "DANA-PC", now);
        assert!(registry.current_segment("pc-1").is_none());
        let first =
            registry.begin_segment("pc-1", Anchor::genesis(), "Dana", "edited", "a.jsonl", now);
        let second = registry.begin_segment(
            "pc-1",
            Anchor {
                seq: 4,
                hash: "h".into(),
            },
            "Dana",
            "cut",
            "b.jsonl",
            now,
        );
        assert_eq!((first, second), (1, 2));
        assert_eq!(
            registry.current_segment("pc-1").map(|s| s.linked.seq),
            Some(4)
        );
        assert_eq!(registry.acknowledge("pc-1", "Admin", None, now), 2);
        assert_eq!(registry.acknowledge("pc-1", "Admin", None, now), 0);
        let reloaded = AuditRegistry::from_json(&registry.to_json()).expect("round trip");
        assert_eq!(reloaded, registry);
        assert_eq!(reloaded.installations["pc-1"].host, "DANA-PC");
    }
}
