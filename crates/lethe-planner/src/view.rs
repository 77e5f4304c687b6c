//! The plan as officers see it (`GET /v1/requests/{id}/plan`, `lethe plan`):
//! per target, what discovery found and what will be (or was) done there.

use lethe_domain::{RequestKind, StepAction, StepStatus, Strategy, TargetInfo};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{include_weak, step_key, Policy, RequestState, StepState};

/// The whole plan of one request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    /// Access or erasure: decides whether found items are exported or erased.
    pub kind: RequestKind,
    /// Whether name-only matches will be erased.
    pub erase_weak_matches: bool,
    /// Every configured target, in catalog order, found or not.
    pub targets: Vec<PlanTarget>,
}

/// One target of the plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanTarget {
    /// `connector:name`.
    pub key: String,
    /// Connector kind (`files`, `mssql`, `elasticsearch`, ...).
    pub connector: String,
    /// Target name, unique within its connector.
    pub name: String,
    /// What the store is, in words.
    pub description: String,
    /// What erasure does here (delete, anonymise, redact, or retain and why).
    pub strategy: Strategy,
    /// Status of the discovery step; absent until it is planned, and
    /// always absent on a manual target (nothing is discovered there).
    pub discovery: Option<StepStatus>,
    /// Items with a strong match (absent until discovery succeeded).
    pub found: Option<i64>,
    /// Items matched by a name only.
    pub weak: u64,
    /// Where, without personal data (from the discovery step's detail):
    /// `[{"place": "2026/01/console.log", "items": 2, "weak": 0}, ...]`,
    /// a file path relative to the target's root, a table or an index,
    /// with strong (`items`) and name-only (`weak`) counts.
    #[schema(value_type = Vec<Object>)]
    pub places: serde_json::Value,
    /// What the plan does here.
    pub action: TargetAction,
    /// Status of the action's step, when planned: export, erase (then see
    /// `verify_status`) or manual (`awaiting_manual` until an approver
    /// confirms, `succeeded`, or `skipped` when declined).
    pub action_status: Option<StepStatus>,
    /// Status of the verify step after an erase, when planned.
    pub verify_status: Option<StepStatus>,
    /// Items left after erasure, per the verify step.
    pub remaining: Option<i64>,
    /// What erasure here cannot reach (snapshots, copies elsewhere).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<String>,
    /// Things discovery found for a person to do here (recordings stored
    /// beyond every configured root); erasure waits for their manual step.
    #[serde(skip_serializing_if = "is_zero")]
    pub follow_ups: u64,
    /// Status of that manual step, when planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up_status: Option<StepStatus>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What the plan does in a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetAction {
    /// Discovery has not finished.
    AwaitingDiscovery,
    /// Nothing found: nothing to do.
    None,
    /// Access: the strong matches go into the access package.
    Export,
    /// Erasure: the matches are deleted, anonymised or redacted, then verified.
    Erase,
    /// Found, kept under the target's legal ground.
    Retain,
    /// Done by a person (no API reaches the store): a `manual` step waits
    /// for an approver to confirm or decline it.
    Manual,
}

/// Builds the plan view from the same inputs as [`crate::advance`].
pub fn plan_view(
    req: &RequestState,
    steps: &[StepState],
    catalog: &[TargetInfo],
    policy: &Policy,
) -> PlanView {
    let find = |a: StepAction, t: &TargetInfo| {
        let key = step_key(a, t, req.generation);
        steps.iter().find(|s| s.key == key)
    };
    let weak_included = include_weak(req, policy);
    let targets = catalog
        .iter()
        .map(|t| {
            let d = find(StepAction::Discover, t);
            let found = d
                .filter(|d| d.status == StepStatus::Succeeded)
                .and_then(|d| d.matched);
            let weak = d.map_or(0, StepState::weak);
            let strong = found.unwrap_or(0).max(0) as u64;
            let action = match (found, req.kind) {
                _ if t.manual_for.contains(&req.kind) => TargetAction::Manual,
                _ if t.is_manual() => TargetAction::None,
                (None, _) => TargetAction::AwaitingDiscovery,
                (Some(_), RequestKind::Access) if strong > 0 => TargetAction::Export,
                (Some(_), RequestKind::Erasure)
                    if strong + if weak_included { weak } else { 0 } > 0 =>
                {
                    if t.strategy.is_retain() {
                        TargetAction::Retain
                    } else {
                        TargetAction::Erase
                    }
                }
                _ => TargetAction::None,
            };
            let act = match action {
                TargetAction::Export => find(StepAction::Export, t),
                TargetAction::Erase => find(StepAction::Erase, t),
                TargetAction::Manual => find(StepAction::Manual, t),
                _ => None,
            };
            let verify = (action == TargetAction::Erase)
                .then(|| find(StepAction::Verify, t))
                .flatten();
            PlanTarget {
                key: t.key(),
                connector: t.connector.clone(),
                name: t.name.clone(),
                description: t.description.clone(),
                strategy: t.strategy.clone(),
                discovery: d.map(|d| d.status),
                found,
                weak,
                places: d
                    .and_then(|d| d.detail.as_ref())
                    .and_then(|v| v.get("places").cloned())
                    .unwrap_or_else(|| serde_json::json!([])),
                action,
                action_status: act.map(|s| s.status),
                verify_status: verify.map(|s| s.status),
                remaining: verify.and_then(|s| s.remaining),
                caveats: t.caveats.clone(),
                follow_ups: d.map_or(0, StepState::follow_ups),
                follow_up_status: (!t.is_manual())
                    .then(|| find(StepAction::Manual, t))
                    .flatten()
                    .map(|s| s.status),
            }
        })
        .collect();
    PlanView {
        kind: req.kind,
        erase_weak_matches: weak_included,
        targets,
    }
}
