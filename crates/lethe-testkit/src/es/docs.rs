//! Document builders for [`super::fixture`]. Background people come from
//! name pools without any planted first or last name, numbers from
//! Ofcom's drama ranges (never a planted number), emails `@example.*`.
//!
//! Planted documents, by [`Kind`]:
//! - `Strong(k)`: the person in keyword fields (email, number in a
//!   rotating shape, account) and, in most families, in free text too;
//! - `FreeText(k)`: someone else's document whose free text holds the
//!   person's number or mixed-case email (nothing structured);
//! - `Weak(k)`: someone else's document mentioning only `First Last`.
//!
//! Chats have three transcript lines of which only one is about the
//! person; strong cases have two contacts of which only one is the person.

use serde_json::{json, Value};

use super::fixture::{EsDoc, PlantedEs};
use super::Family;
use crate::time::{epoch, iso8601};

/// What a planted document is; the number is the shape rotation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Strong(usize),
    FreeText(usize),
    Weak(usize),
}

/// Background names: none is a planted first or last name.
const FIRST: [&str; 10] = [
    "Alice", "Brian", "Chloe", "David", "Emma", "Farid", "Grace", "Hamish", "Isla", "Kwame",
];
const LAST: [&str; 10] = [
    "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Okafor",
    "Patel",
];
const AGENTS: [&str; 4] = [
    "Agent Ruth Ellis",
    "Agent Tom Hardy",
    "Agent Lena Nyx",
    "Agent Omar Ali",
];
const QUEUES: [&str; 3] = ["Q-Claims", "Q-Billing", "Q-Sales"];
/// Unrelated sentences of free text.
const FILLER: [&str; 5] = [
    "Thanks for getting back to us so quickly.",
    "The parcel was re-sent by courier.",
    "Renewal quote attached as discussed.",
    "No further action needed on our side.",
    "Customer asked about opening hours.",
];
/// The two transcript lines around the one about the subject; tests check
/// they stay unchanged after a redaction.
pub const CHAT_OPENING: &str = "Hello, thanks for contacting us. How can I help?";
pub const CHAT_CLOSING: &str = "Thanks, I have noted that on your order.";

/// A background person.
struct Person {
    first: &'static str,
    last: &'static str,
    email: String,
    national: String,
    account: String,
}

impl Person {
    fn name(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
    fn e164(&self) -> String {
        let d: String = self.national.chars().filter(char::is_ascii_digit).collect();
        format!("+44{}", &d[1..])
    }
}

/// Generator state: random numbers, unique ids, the month being written.
pub(crate) struct Ctx {
    rng: u64,
    next_id: u64,
    pub(crate) month: (i64, i64),
    /// National digits of planted numbers, never given to background people.
    reserved: Vec<String>,
}

impl Ctx {
    pub(crate) fn new(seed: u64, first_id: u64) -> Self {
        Self {
            rng: seed,
            next_id: first_id,
            month: (2026, 9),
            reserved: Vec::new(),
        }
    }

    pub(crate) fn reserve(&mut self, planted: &[PlantedEs]) {
        self.reserved = planted.iter().map(PlantedEs::national_digits).collect();
    }

    fn next(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// A unique lower-case GUID: random head, the counter in the tail.
    pub(crate) fn guid(&mut self) -> String {
        let a = self.next();
        let n = self.next_id;
        self.next_id += 1;
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (n >> 48) & 0xfff,
            n & 0xffff_ffff_ffff
        )
    }

    /// A moment in the current month (days 1 to 28).
    fn when(&mut self) -> i64 {
        let (y, m) = self.month;
        epoch(y, m, 1) + self.below(28 * 86_400) as i64
    }

    /// A drama-range number, national with spaces, not a planted one.
    fn number(&mut self) -> String {
        loop {
            let n = self.below(1000);
            let s = match self.below(3) {
                0 => format!("01632 960{n:03}"),
                1 => format!("07700 900{n:03}"),
                _ => format!("020 7946 0{n:03}"),
            };
            let d: String = s.chars().filter(char::is_ascii_digit).collect();
            if !self.reserved.contains(&d) {
                return s;
            }
        }
    }

    fn person(&mut self) -> Person {
        let (first, last) = (self.pick(&FIRST), self.pick(&LAST));
        let domain = self.pick(&["example.org", "example.com"]);
        let email = format!(
            "{}.{}{}@{domain}",
            first.to_lowercase(),
            last.to_lowercase(),
            self.below(100)
        );
        Person {
            first,
            last,
            email,
            national: self.number(),
            account: format!("AC7{:06}", self.below(1_000_000)),
        }
    }

    fn doc(&self, family: Family, id: String, mut source: Value, about: Option<usize>) -> EsDoc {
        source[family.id_field()] = Value::String(id.clone());
        EsDoc { id, source, about }
    }

    fn filler(&mut self) -> &'static str {
        self.pick(&FILLER)
    }

    /// A background document of `family`.
    pub(crate) fn background(&mut self, family: Family) -> EsDoc {
        let p = self.person();
        let id = self.guid();
        let filler = self.filler();
        let source = match family {
            Family::Contacts => {
                let mut c = self.contact(&p.name(), p.first, p.last, &p.email, &p.national);
                c["AccountNumber"] = json!(p.account);
                c["Notes"] = json!(filler);
                c
            }
            Family::Message => {
                let mut m = self.message("Email", &p.email, &p.name(), "Your order");
                m["Body"] = json!(format!("Hello,\n{filler}\nRegards, {}", p.name()));
                m
            }
            Family::Voice => {
                let mut v = self.voice(&p.e164());
                v["CallerName"] = json!(p.name().to_uppercase());
                v["AccountCode"] = json!(p.account);
                v
            }
            Family::Cases => {
                let contact = self.case_contact(&p);
                self.case("Order query", vec![contact], vec![filler.to_owned()])
            }
            Family::Directory => {
                let mut d = self.directory(p.first, p.last, "ADContact");
                d["Mail"] = json!(p.email);
                d["TelephoneNumber"] = json!(p.e164());
                d
            }
        };
        self.doc(family, id, source, None)
    }

    /// A planted document about `plant` (person number `about`).
    pub(crate) fn planted(
        &mut self,
        family: Family,
        about: usize,
        plant: &PlantedEs,
        kind: Kind,
    ) -> EsDoc {
        let id = self.guid();
        let source = match (family, kind) {
            (_, Kind::Weak(k)) => self.weak(family, plant, k),
            (_, Kind::FreeText(k)) => self.free_text(family, plant, k),
            (Family::Contacts, Kind::Strong(k)) => self.strong_contact(plant, k),
            (Family::Message, Kind::Strong(k)) => self.strong_message(plant, k),
            (Family::Voice, Kind::Strong(k)) => self.strong_voice(plant, k),
            (Family::Cases, Kind::Strong(k)) => self.strong_case(plant, k),
            (Family::Directory, Kind::Strong(k)) => self.strong_directory(plant, about + k),
        };
        // The main contact record keeps the id other documents point to.
        let id = match (family, kind) {
            (Family::Contacts, Kind::Strong(0)) => plant.contact_id.clone(),
            _ => id,
        };
        self.doc(family, id, source, Some(about))
    }

    // --- family skeletons: every field but the ones a kind decides -------

    fn contact(&mut self, name: &str, first: &str, last: &str, email: &str, phone: &str) -> Value {
        let created = self.when();
        json!({
            "Type": "ElasticContact",
            "Name": name,
            "FirstName": first,
            "LastName": last,
            "Company": "Example Trading Ltd",
            "Email": email,
            "Emails": [email],
            "Phone": phone,
            "Extension": "",
            "CreatedOn": iso8601(created),
            "ModifiedOn": iso8601(created + 86_400),
        })
    }

    fn message(&mut self, media: &str, from: &str, name: &str, subject: &str) -> Value {
        let created = self.when();
        let (queue, agent) = (self.pick(&QUEUES), self.pick(&AGENTS));
        let case_id = self.guid();
        json!({
            "CaseId": case_id,
            "MediaType": media,
            "Direction": "Inbound",
            "From": from,
            "To": ["service@example.com"],
            "Cc": [],
            "Subject": subject,
            "ContactName": name,
            "ContactAddress": from,
            "Variables": {"Language": "en-GB"},
            "QueueReporting": queue,
            "AgentReporting": agent,
            "CreatedOn": iso8601(created),
        })
    }

    fn voice(&mut self, ani: &str) -> Value {
        let start = self.when();
        let duration = 30 + self.below(900) as i64;
        let (queue, agent) = (self.pick(&QUEUES), self.pick(&AGENTS));
        let recording = self.guid();
        json!({
            "ANI": ani,
            "DNIS": "+442079460000",
            "DigitsDialed": "",
            "RecordingId": recording,
            "Variables": {"Language": "en-GB"},
            "StartTime": iso8601(start),
            "EndTime": iso8601(start + duration),
            "Duration": duration,
            "QueueReporting": queue,
            "AgentReporting": agent,
        })
    }

    fn case_contact(&mut self, p: &Person) -> Value {
        json!({"Id": self.guid(), "Name": p.name(), "Address": p.email})
    }

    fn case(&mut self, subject: &str, contacts: Vec<Value>, notes: Vec<String>) -> Value {
        let created = self.when();
        let (queue, agent) = (self.pick(&QUEUES), self.pick(&AGENTS));
        let site = self.guid();
        let notes: Vec<Value> = notes
            .into_iter()
            .enumerate()
            .map(|(n, text)| {
                json!({"Text": text, "CreatedBy": agent, "CreatedOn": iso8601(created + 600 * n as i64)})
            })
            .collect();
        json!({
            "SiteId": site,
            "State": "Closed",
            "Subject": subject,
            "LastMediaType": "Email",
            "LastQueueName": queue,
            "LastAgentName": agent,
            "MediaTypes": ["Email"],
            "Contacts": contacts,
            "Notes": notes,
            "CreatedOn": iso8601(created),
            "ModifiedOn": iso8601(created + 3_600),
            "ClosedOn": iso8601(created + 7_200),
        })
    }

    fn directory(&mut self, first: &str, last: &str, kind: &str) -> Value {
        let sam = format!("{}{}", &first[..1], last).to_lowercase();
        json!({
            "Type": kind,
            "DisplayName": format!("{first} {last}"),
            "GivenName": first,
            "Surname": last,
            "Department": "Customers",
            "Title": "",
            "DistinguishedName": format!("CN={first} {last},OU=Contacts,DC=corp,DC=example,DC=org"),
            "SamAccountName": sam,
        })
    }
}

#[path = "planted.rs"]
mod planted;
