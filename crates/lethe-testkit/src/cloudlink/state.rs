//! What the CloudLink test server remembers: users, conversations, issued
//! tokens, pending faults and the request log. One `std::sync::Mutex`
//! around all of it: requests are tiny and tests want a consistent view.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::fixture::{CloudLinkFixture, Conversation};
use super::server::{RetryAfter, Seen};

/// One injected failure.
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    /// Only requests of this route (see `Seen::route`); any when `None`.
    pub route: Option<&'static str>,
    pub status: u16,
    pub retry_after: Option<RetryAfter>,
}

/// Issued tokens. Access tokens expire by time or by
/// `expire_all_tokens`; a refresh token is good for one use.
#[derive(Default)]
pub(crate) struct Tokens {
    access: HashMap<String, Instant>,
    refresh: HashSet<String>,
    counter: AtomicU64,
    pub password_grants: u64,
    pub refresh_grants: u64,
}

impl Tokens {
    /// A new access/refresh pair valid for `lifetime`.
    pub fn issue(&mut self, lifetime: Duration) -> (String, String) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let salt = uuid::Uuid::now_v7().simple().to_string();
        let access = format!("at-{n}-{salt}");
        let refresh = format!("rt-{n}-{salt}");
        self.access
            .insert(access.clone(), Instant::now() + lifetime);
        self.refresh.insert(refresh.clone());
        (access, refresh)
    }

    /// Whether `token` is a live access token.
    pub fn valid(&self, token: &str) -> bool {
        self.access
            .get(token)
            .is_some_and(|until| Instant::now() < *until)
    }

    /// Consumes a refresh token: true once per issued token.
    pub fn redeem(&mut self, refresh: &str) -> bool {
        self.refresh.remove(refresh)
    }

    pub fn expire_access(&mut self) {
        self.access.clear();
    }

    pub fn revoke_all(&mut self) {
        self.access.clear();
        self.refresh.clear();
    }
}

/// Everything behind the lock.
pub(crate) struct State {
    pub users: Vec<Map<String, Value>>,
    pub conversations: Vec<Conversation>,
    pub tokens: Tokens,
    pub faults: VecDeque<Fault>,
    /// Successful API answers left before every access token expires
    /// (`expire_tokens_after`).
    pub expire_after: Option<usize>,
    pub log: Vec<Seen>,
}

impl State {
    pub fn new(fixture: &CloudLinkFixture) -> Self {
        Self {
            users: fixture
                .users
                .iter()
                .filter_map(|u| u.as_object().cloned())
                .collect(),
            conversations: fixture.conversations.clone(),
            tokens: Tokens::default(),
            faults: VecDeque::new(),
            expire_after: None,
            log: Vec::new(),
        }
    }

    pub fn user_index(&self, user_id: &str) -> Option<usize> {
        self.users
            .iter()
            .position(|u| u.get("userId").and_then(Value::as_str) == Some(user_id))
    }

    /// The first pending fault for `route`, removed.
    pub fn take_fault(&mut self, route: &str) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|f| f.route.is_none_or(|r| r == route))?;
        self.faults.remove(i)
    }

    /// Counts down `expire_after` for one successful API answer.
    pub fn served(&mut self) {
        if let Some(left) = self.expire_after.as_mut() {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.expire_after = None;
                self.tokens.expire_access();
            }
        }
    }
}
