//! [`CloudLinkFixture`]: the users and conversations of one CloudLink
//! account, deterministic, with planted employees whose items are known.
//!
//! Names and addresses are the ones the other fixtures plant (John Smith,
//! Mary Jones, Maximilian Featherstonehaugh), so a whole-estate test finds
//! the same people everywhere. Emails are `@example.com`/`.org` and every
//! number is from Ofcom's drama ranges (01632 960xxx, 07700 900xxx).

use serde_json::{json, Map, Value};

/// One chat conversation and its messages (the server lists the messages
/// on their own route, as CloudLink does).
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub conversation_id: String,
    /// `participantId`s of the `USER` participants.
    pub participants: Vec<String>,
    /// `open` while the chat is active, `closed` after.
    pub status: String,
    pub created_on: String,
    pub messages: Vec<Message>,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub message_id: String,
    pub body: String,
    pub sender: String,
    pub created_on: String,
}

impl Conversation {
    /// The conversation as `GET /conversations` shows it.
    pub fn to_json(&self) -> Value {
        json!({
            "conversationId": self.conversation_id,
            "participants": self.participants.iter()
                .map(|p| json!({"type": "USER", "participantId": p}))
                .collect::<Vec<_>>(),
            "status": self.status,
            "createdOn": self.created_on,
        })
    }

    /// Whether the chat is still active (its transcript is in CloudLink).
    pub fn is_open(&self) -> bool {
        self.status == "open"
    }
}

impl Message {
    /// The message as `GET /conversations/{id}/messages` shows it.
    pub fn to_json(&self, conversation_id: &str) -> Value {
        json!({
            "messageId": self.message_id,
            "conversationId": conversation_id,
            "body": self.body,
            "contentType": "text/plain",
            "createdOn": self.created_on,
            "sender": self.sender,
        })
    }
}

/// A planted employee and what the fixture holds about them.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantedEmployee {
    pub user_id: String,
    pub first_name: String,
    pub last_name: String,
    /// As stored in CloudLink (mixed case for Mary Jones, to exercise
    /// case-insensitive matching).
    pub email: String,
    /// National form, `01632 960855`.
    pub phone: String,
    pub mobile: String,
    pub extension: String,
    /// Ids of the open conversations the employee takes part in.
    pub open: Vec<String>,
    /// Ids of the closed ones.
    pub closed: Vec<String>,
}

impl PlantedEmployee {
    /// `First Last`.
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// Every user and conversation of the account.
#[derive(Debug, Clone)]
pub struct CloudLinkFixture {
    pub account_id: String,
    /// User objects as the admin API returns them.
    pub users: Vec<Value>,
    pub conversations: Vec<Conversation>,
    pub planted: Vec<PlantedEmployee>,
}

impl CloudLinkFixture {
    /// The planted employee with this email (compared case-insensitively).
    pub fn planted_by_email(&self, email: &str) -> &PlantedEmployee {
        self.planted
            .iter()
            .find(|p| p.email.eq_ignore_ascii_case(email))
            .expect("no planted employee with that email")
    }
}

/// Background names: none contains a planted surname.
const FIRST: [&str; 8] = [
    "Alice", "Brian", "Chloe", "David", "Emma", "Farid", "Grace", "Hamish",
];
const LAST: [&str; 8] = [
    "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright",
];

/// The account id of every fixture.
pub const ACCOUNT_ID: &str = "0f1e2d3c-acct-4b5a-9687-example00001";

fn user_id(n: u128) -> String {
    uuid::Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0000 | n).to_string()
}

fn timestamp(day: u32, minute: u32) -> String {
    format!(
        "2024-03-{:02}T{:02}:{:02}:00.000Z",
        1 + day % 28,
        8 + minute / 60 % 10,
        minute % 60
    )
}

#[allow(clippy::too_many_arguments)]
fn user(
    id: &str,
    first: &str,
    last: &str,
    email: &str,
    phone: &str,
    mobile: &str,
    extension: &str,
    role: &str,
    day: u32,
) -> Value {
    let mut m = Map::new();
    let name = format!("{first} {last}");
    for (k, v) in [
        ("userId", id.to_owned()),
        ("uniqueUserId", format!("{ACCOUNT_ID}.{id}")),
        ("accountId", ACCOUNT_ID.to_owned()),
        ("name", name.clone()),
        ("displayName", name),
        ("firstName", first.to_owned()),
        ("lastName", last.to_owned()),
        ("nickname", first.to_owned()),
        ("email", email.to_owned()),
        ("extension", extension.to_owned()),
        ("phone", phone.to_owned()),
        ("mobile", mobile.to_owned()),
        ("role", role.to_owned()),
        ("createdOn", timestamp(day, 0)),
        ("modifiedOn", timestamp(day, 30)),
    ] {
        m.insert(k.to_owned(), Value::String(v));
    }
    Value::Object(m)
}

/// A fixture with the three planted employees and `background` other
/// users (at least 4 are made, so every planted chat has a partner).
///
/// - John Smith: 2 open and 1 closed conversations;
/// - Mary Jones (`MJones@Example.org`): 1 open, 2 closed;
/// - Maximilian Featherstonehaugh: none;
/// - background users chat among themselves, open and closed.
///
/// Each conversation has 3 messages; the planted employee's messages
/// mention their own name.
pub fn generate(background: usize) -> CloudLinkFixture {
    let background = background.max(4);
    let people = [
        (
            "John",
            "Smith",
            "john.smith@example.com",
            "01632 960855",
            "07700 900855",
            "2855",
            (2usize, 1usize),
        ),
        (
            "Mary",
            "Jones",
            "MJones@Example.org",
            "01632 960999",
            "07700 900999",
            "2999",
            (1, 2),
        ),
        (
            "Maximilian",
            "Featherstonehaugh",
            "m.featherstonehaugh@example.org",
            "01632 960123",
            "07700 900123",
            "2123",
            (0, 0),
        ),
    ];
    let mut users = Vec::new();
    let mut planted = Vec::new();
    for (i, (first, last, email, phone, mobile, ext, _)) in people.iter().enumerate() {
        let id = user_id(i as u128 + 1);
        users.push(user(
            &id, first, last, email, phone, mobile, ext, "USER", i as u32,
        ));
        planted.push(PlantedEmployee {
            user_id: id,
            first_name: (*first).to_owned(),
            last_name: (*last).to_owned(),
            email: (*email).to_owned(),
            phone: (*phone).to_owned(),
            mobile: (*mobile).to_owned(),
            extension: (*ext).to_owned(),
            open: Vec::new(),
            closed: Vec::new(),
        });
    }
    let mut others = Vec::new();
    for k in 0..background {
        let (first, last) = (FIRST[k % 8], LAST[(k / 8 + k) % 8]);
        let id = user_id(1000 + k as u128);
        let email = format!(
            "{}.{}{}@example.org",
            first.to_lowercase(),
            last.to_lowercase(),
            k
        );
        users.push(user(
            &id,
            first,
            last,
            &email,
            &format!("01632 96{:04}", 1000 + k % 9000),
            &format!("07700 90{:04}", 1000 + k % 9000),
            &format!("{}", 3000 + k),
            if k == 0 { "ACCOUNT_ADMIN" } else { "USER" },
            k as u32,
        ));
        others.push((id, format!("{first} {last}")));
    }
    let mut conversations = Vec::new();
    let mut next_conv = 0u32;
    let mut conversation = |a: (&str, &str), b: (&str, &str), open: bool| {
        next_conv += 1;
        let id = format!("conv-{next_conv:05}");
        let day = next_conv;
        let messages = (0..3)
            .map(|m| {
                let (who, name) = if m % 2 == 0 { a } else { b };
                Message {
                    message_id: format!("{id}-msg-{m}"),
                    body: match m {
                        0 => format!("Hello, {name} here. How can I help?"),
                        1 => "Thanks, I have a question about my order.".to_owned(),
                        _ => format!("Of course. {name} will look into it now."),
                    },
                    sender: who.to_owned(),
                    created_on: timestamp(day, m),
                }
            })
            .collect();
        conversations.push(Conversation {
            conversation_id: id.clone(),
            participants: vec![a.0.to_owned(), b.0.to_owned()],
            status: if open { "open" } else { "closed" }.to_owned(),
            created_on: timestamp(day, 0),
            messages,
        });
        id
    };
    for (i, (_, _, _, _, _, _, (open, closed))) in people.iter().enumerate() {
        let name = planted[i].name();
        let me = planted[i].user_id.clone();
        for c in 0..open + closed {
            let partner = &others[(i + c) % others.len()];
            let id = conversation((&me, &name), (&partner.0, &partner.1), c < *open);
            if c < *open {
                planted[i].open.push(id);
            } else {
                planted[i].closed.push(id);
            }
        }
    }
    for k in 0..others.len() {
        let (a, b) = (&others[k], &others[(k + 1) % others.len()]);
        conversation((&a.0, &a.1), (&b.0, &b.1), k % 2 == 0);
    }
    CloudLinkFixture {
        account_id: ACCOUNT_ID.to_owned(),
        users,
        conversations,
        planted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_counts_are_what_the_docs_say() {
        let f = generate(6);
        assert_eq!(f.users.len(), 9);
        let john = f.planted_by_email("JOHN.SMITH@example.com");
        assert_eq!((john.open.len(), john.closed.len()), (2, 1));
        let mary = f.planted_by_email("mjones@example.org");
        assert_eq!((mary.open.len(), mary.closed.len()), (1, 2));
        for p in &f.planted {
            let mine: Vec<_> = f
                .conversations
                .iter()
                .filter(|c| c.participants.contains(&p.user_id))
                .collect();
            assert_eq!(mine.len(), p.open.len() + p.closed.len());
            assert_eq!(mine.iter().filter(|c| c.is_open()).count(), p.open.len());
        }
        let emails: Vec<&str> = f
            .users
            .iter()
            .map(|u| u["email"].as_str().unwrap())
            .collect();
        assert!(emails
            .iter()
            .all(|e| e.ends_with("@example.com") || e.to_lowercase().ends_with("@example.org")));
    }
}
