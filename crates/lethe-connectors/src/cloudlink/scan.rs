//! [`Scan`]: what one batch looks like in CloudLink (the users found, who
//! they match, their conversations), and the [`Finding`] of each subject
//! computed from it. Pure: the requests are made by the connector.

use std::collections::HashMap;

use lethe_domain::{IdentifierKind, Subject};
use serde_json::Value;

use super::users::{user_id, Strength};
use crate::connector::{Finding, Place, Proposal};

/// What one batch looks like in CloudLink.
pub(crate) struct Scan {
    /// Users found, each once, in the order found.
    pub(crate) users: Vec<Value>,
    /// Per subject: the users (indices into `users`) it matches, and how.
    pub(crate) matches: Vec<Vec<(usize, Strength)>>,
    /// Per user index: the conversations it takes part in, as listed.
    pub(crate) conversations: HashMap<usize, Vec<Value>>,
}

impl Scan {
    pub(crate) fn conversations_of(&self, user: usize) -> &[Value] {
        self.conversations
            .get(&user)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

pub(crate) fn is_open(conversation: &Value) -> bool {
    conversation["status"]
        .as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("open"))
}

pub(crate) fn conversation_id(conversation: &Value) -> Option<&str> {
    conversation["conversationId"]
        .as_str()
        .filter(|s| !s.is_empty())
}

/// Counts and places of one subject; proposes the user id and email of
/// each strongly matched user that the subject did not give.
pub(crate) fn finding(scan: &Scan, subject: &Subject, matches: &[(usize, Strength)]) -> Finding {
    let mut f = Finding::default();
    let (mut users, mut users_weak, mut convs, mut convs_weak) = (0, 0, 0, 0);
    let mut counted: HashMap<&str, Strength> = HashMap::new();
    for &(u, strength) in matches {
        match strength {
            Strength::Strong => users += 1,
            Strength::Weak => users_weak += 1,
        }
        for conv in scan.conversations_of(u).iter().filter(|c| is_open(c)) {
            let Some(id) = conversation_id(conv) else {
                continue;
            };
            match (counted.get(id), strength) {
                (None, s) => {
                    counted.insert(id, s);
                }
                (Some(Strength::Weak), Strength::Strong) => {
                    counted.insert(id, Strength::Strong);
                }
                _ => {}
            }
        }
        if strength == Strength::Strong {
            propose(&mut f.proposed, subject, &scan.users[u]);
        }
    }
    for s in counted.values() {
        match s {
            Strength::Strong => convs += 1,
            Strength::Weak => convs_weak += 1,
        }
    }
    f.matched = users + convs;
    f.weak = users_weak + convs_weak;
    for (place, items, weak) in [
        ("users", users, users_weak),
        ("conversations", convs, convs_weak),
    ] {
        if items + weak > 0 {
            f.places.push(Place {
                place: place.to_owned(),
                items,
                weak,
            });
        }
    }
    f
}

fn propose(out: &mut Vec<Proposal>, subject: &Subject, user: &Value) {
    if let Some(id) = user_id(user) {
        if !subject
            .cloudlink_user_ids
            .iter()
            .any(|u| u.normalised() == id)
        {
            out.push(Proposal {
                kind: IdentifierKind::CloudlinkUserId,
                value: id.to_owned(),
            });
        }
    }
    if let Some(email) = user["email"].as_str().filter(|e| !e.is_empty()) {
        if !subject
            .emails
            .iter()
            .any(|e| e.normalised().eq_ignore_ascii_case(email))
        {
            out.push(Proposal {
                kind: IdentifierKind::Email,
                value: email.to_owned(),
            });
        }
    }
}
