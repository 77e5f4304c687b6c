//! From what the store holds to what `lethe_evidence` renders: one
//! [`RequestEvidence`] per request, shared by the access package and the
//! erasure report so both state the same counts.
//!
//! Per target, the steps that count are those of the current plan: the
//! discovery of the current generation (after accepted identifiers, an
//! older discovery searched fewer identifiers and no longer speaks for the
//! request) and the export, erase and verify steps.

use std::collections::HashMap;

use lethe_domain::{StepAction, StepStatus, TargetInfo};
use lethe_evidence::{IdentifierHint, ManualEvidence, PlaceCount, RequestEvidence, TargetEvidence};
use lethe_planner::{step_key, Policy};
use lethe_store::{IdentifierOrigin, RequestRecord, StepRecord};

use crate::requests::plan::request_state;

/// Everything a package or report needs about one request.
pub fn request_evidence(
    record: &RequestRecord,
    steps: &[StepRecord],
    outputs: Vec<(String, serde_json::Value)>,
    targets: &[TargetInfo],
    policy: &Policy,
) -> RequestEvidence {
    let generation = request_state(record).generation;
    let include_weak = record.include_weak || policy.erase_weak_matches;
    // Export records by step key; each export step stores a JSON array.
    let mut records: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
    for (key, payload) in outputs {
        let items = records.entry(key).or_default();
        match payload {
            serde_json::Value::Array(values) => items.extend(values),
            serde_json::Value::Null => {}
            other => items.push(other),
        }
    }
    // A manual target has no discovery or counts of its own: it is
    // reported through its manual step.
    let evidence = targets
        .iter()
        .filter(|t| !t.is_manual())
        .map(|t| {
            let mut e = target_evidence(t, steps, generation);
            e.include_weak = include_weak;
            e.records = records
                .remove(&step_key(StepAction::Export, t, generation))
                .unwrap_or_default();
            e
        })
        .collect();
    RequestEvidence {
        request_id: record.id,
        kind: record.kind,
        status: record.status,
        received_at: record.received_at,
        due_at: record.due_at,
        completed_at: record.status.is_terminal().then_some(record.updated_at),
        // Searched identifiers only: a proposal nobody accepted was not
        // searched and may not even be the subject's.
        identifiers: record
            .identifiers
            .iter()
            .filter(|i| i.origin != IdentifierOrigin::Proposed)
            .map(|i| IdentifierHint {
                kind: i.kind,
                hint: i.hint.clone(),
            })
            .collect(),
        targets: evidence,
        manual: steps
            .iter()
            .filter(|s| s.action == StepAction::Manual)
            .map(|s| manual_evidence(s, targets))
            .collect(),
    }
}

/// One target's evidence from its current steps (records are added by the caller).
fn target_evidence(t: &TargetInfo, steps: &[StepRecord], generation: u32) -> TargetEvidence {
    let find = |action: StepAction| {
        let key = step_key(action, t, generation);
        steps.iter().find(|s| s.step_key == key)
    };
    let discover = find(StepAction::Discover);
    let export = find(StepAction::Export);
    let erase = find(StepAction::Erase);
    let verify = find(StepAction::Verify);
    let mut e = TargetEvidence::new(t.clone());
    if let Some(d) = discover {
        e.discover_status = Some(d.status);
        e.found = d.items_matched.unwrap_or(0).max(0) as u64;
        let detail = d.detail.as_ref();
        e.weak = detail
            .and_then(|v| v.get("weak"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        e.places = detail
            .and_then(|v| v.get("places"))
            .and_then(|p| serde_json::from_value::<Vec<PlaceCount>>(p.clone()).ok())
            .unwrap_or_default();
    }
    e.export_status = export.map(|s| s.status);
    e.erase_status = erase.map(|s| s.status);
    e.verify_status = verify.map(|s| s.status);
    e.remaining = verify
        .and_then(|s| s.items_remaining)
        .map(|n| n.max(0) as u64);
    // The most recent error among the target's failed steps.
    e.error = [discover, export, erase, verify]
        .into_iter()
        .flatten()
        .filter(|s| s.status == StepStatus::Failed && s.error.is_some())
        .max_by_key(|s| s.finished_at)
        .and_then(|s| s.error.clone());
    e
}

/// A manual step, described by its target when the catalog has it: the
/// instructions, and the recipient Art. 19 asks to be notified.
fn manual_evidence(s: &StepRecord, targets: &[TargetInfo]) -> ManualEvidence {
    let info = targets
        .iter()
        .find(|t| t.connector == s.connector && t.name == s.target);
    ManualEvidence {
        name: s.target.clone(),
        description: info.map_or_else(
            || format!("manual step on {}:{}", s.connector, s.target),
            |t| t.description.clone(),
        ),
        recipient: info.map(|t| t.recipients.join(", ")).unwrap_or_default(),
        status: s.status,
        // What the approver wrote on confirming or declining
        // (`finish_manual_step` stores `{"note", "decided_by", "decision"}`).
        note: s
            .detail
            .as_ref()
            .and_then(|d| d.get("note"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
    }
}
