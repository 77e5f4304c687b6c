//! The erasure report (SPEC §8, Art. 17): per target, what was found, what
//! was erased, what is still there and what was kept and why, with counts;
//! as JSON (this type) and as a self-contained HTML page ([`page`]).
//!
//! Counts come from verification, not from adding up what erase calls
//! said they changed: a re-run after a crash reports 0 changed, so
//! `erased` is what erasure had to remove minus what verify still found.
//! For a target whose verification passed,
//! `found + weak == erased + remaining + retained`.

mod page;

pub use page::render_report_html;

use std::fmt;

use chrono::{DateTime, Utc};
use lethe_domain::{Replacement, RequestStatus, StepStatus, Strategy};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::evidence::{
    sorted_targets, IdentifierHint, PlaceCount, RequestEvidence, TargetEvidence,
};

/// The reason given for weak items that were not erased.
pub const NAME_ONLY_REASON: &str = "name-only match, not erased (weak)";

/// What lethe did for one erasure request, target by target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErasureReport {
    /// The request this report is about.
    pub request_id: Uuid,
    /// The request's status when the report was made.
    pub status: RequestStatus,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// When the request was received.
    pub received_at: DateTime<Utc>,
    /// When the answer is due, extensions included.
    pub due_at: DateTime<Utc>,
    /// When the request reached a terminal status, if it has.
    pub completed_at: Option<DateTime<Utc>>,
    /// The identifiers searched, masked.
    pub identifiers: Vec<IdentifierHint>,
    /// Sums over all targets.
    pub totals: ErasureTotals,
    /// One entry per target of the plan, sorted by key.
    pub targets: Vec<TargetReport>,
    /// The plan's manual steps.
    pub manual: Vec<ManualReport>,
    /// Set while manual steps still wait for a person: how many, and the
    /// deadline they hold the request past if nobody acts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder: Option<String>,
}

/// Sums over all targets of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErasureTotals {
    /// Targets in the plan.
    pub targets: u64,
    /// Items with a strong match, over all targets.
    pub found: u64,
    /// Items matched by a name only, over all targets.
    pub weak: u64,
    /// Items erased (deleted, anonymised or redacted), as verified.
    pub erased: u64,
    /// Items verification still found.
    pub remaining: u64,
    /// Items kept on purpose (legal ground, or weak and not included).
    pub retained: u64,
    /// How many targets ended in each outcome.
    pub outcomes: OutcomeCounts,
}

/// Targets per outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OutcomeCounts {
    /// Targets whose erasure was verified.
    pub erased: u64,
    /// Targets where nothing of the subject was found.
    pub nothing_found: u64,
    /// Targets where everything found was kept on purpose.
    pub retained: u64,
    /// Targets where a step failed or verification still found items.
    pub failed: u64,
    /// Targets still being worked on.
    pub pending: u64,
}

/// What happened in one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TargetReport {
    /// `connector:name`.
    pub key: String,
    /// Connector kind (`files`, `mssql`, ...).
    pub connector: String,
    /// Target name within its connector.
    pub name: String,
    /// What the store is, in words.
    pub description: String,
    /// What erasure does here.
    pub strategy: StrategySummary,
    /// Items with a strong match found by discovery.
    pub found: u64,
    /// Items matched by a name only.
    pub weak: u64,
    /// Whether weak items were erased too.
    pub include_weak: bool,
    /// Items erased, as verified: what erasure had to remove (`found`, plus
    /// `weak` when included) minus `remaining`. 0 until verification ran,
    /// and for a retained target.
    pub erased: u64,
    /// Items verification still found in the erased scope; `None` when
    /// verification has not run.
    pub remaining: Option<u64>,
    /// Items kept on purpose, and why.
    pub retained: Vec<Retained>,
    /// Where the matches were (no personal data).
    pub places: Vec<PlaceCount>,
    /// What the target came to.
    pub outcome: TargetOutcome,
    /// What verification said.
    pub verify: VerifyOutcome,
    /// The error of a failed step (names places, never content).
    pub error: Option<String>,
    /// What erasure here cannot reach (snapshots, copies elsewhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<String>,
}

/// The erasure strategy, flattened for people and spreadsheets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StrategySummary {
    /// `delete`, `anonymise`, `redact` or `retain`.
    pub name: String,
    /// For `retain`: the legal ground for keeping the data.
    pub ground: Option<String>,
    /// For `anonymise`: what the personal fields are overwritten with.
    pub replacement: Option<Replacement>,
}

impl From<&Strategy> for StrategySummary {
    fn from(s: &Strategy) -> Self {
        Self {
            name: s.name().to_owned(),
            ground: match s {
                Strategy::Retain { ground } => Some(ground.clone()),
                _ => None,
            },
            replacement: match s {
                Strategy::Anonymise { with } => Some(with.clone()),
                _ => None,
            },
        }
    }
}

/// Items kept in a target, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Retained {
    /// How many items.
    pub items: u64,
    /// The kind of reason.
    pub because: RetainedBecause,
    /// The reason in words: the target's legal ground, or
    /// [`NAME_ONLY_REASON`].
    pub reason: String,
}

/// Why items were kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetainedBecause {
    /// The target's strategy is `retain`, for a documented legal ground.
    LegalGround,
    /// Matched by a name only, and weak matches were not included.
    NameOnlyMatch,
}

/// What one target came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetOutcome {
    /// Everything in scope was erased and verification found nothing left.
    Erased,
    /// Discovery found nothing of the subject.
    NothingFound,
    /// Nothing was to be erased: the target is kept under a legal ground,
    /// or it held weak matches only and they were not included.
    Retained,
    /// A step failed, or verification still found items.
    Failed,
    /// Discovery, erasure or verification has not finished.
    Pending,
}

/// What verification said about one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerifyOutcome {
    /// Verification re-ran discovery and found nothing left to erase.
    Passed,
    /// Verification failed, or still found items.
    Failed,
    /// No verification result (nothing to erase, retained, or not yet run).
    NotRun,
}

/// A manual step as the report shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ManualReport {
    /// The step's name.
    pub name: String,
    /// What had to be done.
    pub description: String,
    /// Who does it or receives the instruction.
    pub recipient: String,
    /// Where the step stands.
    pub status: StepStatus,
    /// The officer's note on confirming or declining.
    pub note: Option<String>,
}

impl fmt::Debug for ManualReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualReport")
            .field("name", &self.name)
            .field("recipient", &self.recipient)
            .field("status", &self.status)
            .field("note", &self.note.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds the erasure report of `e`, made at `generated_at`. Targets are
/// sorted by key whatever the order of `e.targets`.
pub fn erasure_report(e: &RequestEvidence, generated_at: DateTime<Utc>) -> ErasureReport {
    let targets: Vec<TargetReport> = sorted_targets(&e.targets)
        .into_iter()
        .map(target_report)
        .collect();
    let totals = totals(&targets);
    let open = e
        .manual
        .iter()
        .filter(|m| m.status == StepStatus::AwaitingManual)
        .count();
    let reminder = (open > 0).then(|| {
        format!(
            "{open} manual step(s) still wait for a person; the request is due {}",
            e.due_at.format("%Y-%m-%d %H:%M UTC")
        )
    });
    ErasureReport {
        reminder,
        request_id: e.request_id,
        status: e.status,
        generated_at,
        received_at: e.received_at,
        due_at: e.due_at,
        completed_at: e.completed_at,
        identifiers: e.identifiers.clone(),
        totals,
        targets,
        manual: e
            .manual
            .iter()
            .map(|m| ManualReport {
                name: m.name.clone(),
                description: m.description.clone(),
                recipient: m.recipient.clone(),
                status: m.status,
                note: m.note.clone(),
            })
            .collect(),
    }
}

fn target_report(t: &TargetEvidence) -> TargetReport {
    let info = &t.target;
    let retain = info.strategy.is_retain();
    // What erasure had to remove.
    let scope = if retain {
        0
    } else {
        t.found + if t.include_weak { t.weak } else { 0 }
    };
    let verify = verify_outcome(t);
    // A passed verification without a count means nothing was left.
    let remaining = match (verify, t.remaining) {
        (VerifyOutcome::Passed, None) => Some(0),
        (_, r) => r,
    };
    let erased = if retain {
        0
    } else {
        remaining.map_or(0, |r| scope.saturating_sub(r))
    };

    let mut retained = Vec::new();
    if let Strategy::Retain { ground } = &info.strategy {
        if t.found + t.weak > 0 {
            retained.push(Retained {
                items: t.found + t.weak,
                because: RetainedBecause::LegalGround,
                reason: ground.clone(),
            });
        }
    } else if !t.include_weak && t.weak > 0 {
        retained.push(Retained {
            items: t.weak,
            because: RetainedBecause::NameOnlyMatch,
            reason: NAME_ONLY_REASON.to_owned(),
        });
    }

    let failed = |s: Option<StepStatus>| s == Some(StepStatus::Failed);
    let unfinished_discovery = t
        .discover_status
        .is_some_and(|s| !matches!(s, StepStatus::Succeeded | StepStatus::Skipped));
    let outcome =
        if failed(t.discover_status) || failed(t.erase_status) || verify == VerifyOutcome::Failed {
            TargetOutcome::Failed
        } else if unfinished_discovery {
            TargetOutcome::Pending
        } else if t.found + t.weak == 0 {
            TargetOutcome::NothingFound
        } else if scope == 0 {
            TargetOutcome::Retained
        } else if verify == VerifyOutcome::Passed {
            TargetOutcome::Erased
        } else {
            TargetOutcome::Pending
        };

    TargetReport {
        key: info.key(),
        connector: info.connector.clone(),
        name: info.name.clone(),
        description: info.description.clone(),
        strategy: StrategySummary::from(&info.strategy),
        found: t.found,
        weak: t.weak,
        include_weak: t.include_weak,
        erased,
        remaining,
        retained,
        places: t.places.clone(),
        outcome,
        verify,
        error: t.error.clone(),
        caveats: info.caveats.clone(),
    }
}

/// Passed when verification succeeded or counted nothing left; failed
/// when it failed or counted something; otherwise not run.
fn verify_outcome(t: &TargetEvidence) -> VerifyOutcome {
    match (t.verify_status, t.remaining) {
        (Some(StepStatus::Failed), _) => VerifyOutcome::Failed,
        (_, Some(r)) if r > 0 => VerifyOutcome::Failed,
        (Some(StepStatus::Succeeded), _) | (None, Some(0)) => VerifyOutcome::Passed,
        _ => VerifyOutcome::NotRun,
    }
}

fn totals(targets: &[TargetReport]) -> ErasureTotals {
    let mut outcomes = OutcomeCounts::default();
    for t in targets {
        let slot = match t.outcome {
            TargetOutcome::Erased => &mut outcomes.erased,
            TargetOutcome::NothingFound => &mut outcomes.nothing_found,
            TargetOutcome::Retained => &mut outcomes.retained,
            TargetOutcome::Failed => &mut outcomes.failed,
            TargetOutcome::Pending => &mut outcomes.pending,
        };
        *slot += 1;
    }
    ErasureTotals {
        targets: targets.len() as u64,
        found: targets.iter().map(|t| t.found).sum(),
        weak: targets.iter().map(|t| t.weak).sum(),
        erased: targets.iter().map(|t| t.erased).sum(),
        remaining: targets.iter().filter_map(|t| t.remaining).sum(),
        retained: targets
            .iter()
            .flat_map(|t| &t.retained)
            .map(|r| r.items)
            .sum(),
        outcomes,
    }
}

impl TargetOutcome {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Erased => "erased",
            Self::NothingFound => "nothing_found",
            Self::Retained => "retained",
            Self::Failed => "failed",
            Self::Pending => "pending",
        }
    }
}

impl VerifyOutcome {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::NotRun => "not_run",
        }
    }
}
