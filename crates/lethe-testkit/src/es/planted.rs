//! Planted documents (see the parent module for the kinds).

use serde_json::{json, Value};

use super::{Ctx, CHAT_CLOSING, CHAT_OPENING};
use crate::es::fixture::PlantedEs;
use crate::es::Family;
use crate::time::iso8601;

/// The number as free text writes it, shape `k` of E.164, national with a
/// space, international with spaces.
fn phone_text(p: &PlantedEs, k: usize) -> String {
    match k % 3 {
        0 => p.e164(),
        1 => p.national.clone(),
        _ => p.international(),
    }
}

/// The email as people type it: `John.Smith@Example.com`, or all capitals.
fn mixed_email(p: &PlantedEs, k: usize) -> String {
    if k % 2 == 1 {
        return p.email.to_uppercase();
    }
    let mut out = String::new();
    let mut up = true;
    for c in p.email.chars() {
        out.push(if up { c.to_ascii_uppercase() } else { c });
        up = matches!(c, '.' | '@');
    }
    out
}

/// The caller-ID name: `SMITH JOHN`, cut at the PBX's 15 characters.
fn caller_id(p: &PlantedEs) -> String {
    format!("{} {}", p.last, p.first)
        .to_uppercase()
        .chars()
        .take(15)
        .collect()
}

fn transcript(t: i64, customer: &str, line: String) -> Value {
    json!([
        {"Timestamp": iso8601(t), "SenderType": "Agent", "SenderName": "Agent Lena Nyx", "Text": CHAT_OPENING},
        {"Timestamp": iso8601(t + 20), "SenderType": "Customer", "SenderName": customer, "Text": line},
        {"Timestamp": iso8601(t + 45), "SenderType": "Agent", "SenderName": "Agent Lena Nyx", "Text": CHAT_CLOSING},
    ])
}

impl Ctx {
    pub(super) fn strong_contact(&mut self, p: &PlantedEs, k: usize) -> Value {
        if k == 0 {
            let mut c = self.contact(&p.name(), &p.first, &p.last, &p.email, &p.national);
            c["PhoneNumbers"] = json!([{"Type": "Work", "Number": p.e164()}]);
            c["AccountNumber"] = json!(p.account);
            c["Notes"] = json!(format!(
                "Prefers email; daytime number {}.",
                p.international()
            ));
            c
        } else {
            // Contact info added from a historic email: no phone.
            let mut c = self.contact(&p.name(), &p.first, &p.last, &p.email, "");
            c["Notes"] = json!("Added from an archived email.");
            c
        }
    }

    pub(super) fn strong_message(&mut self, p: &PlantedEs, k: usize) -> Value {
        let name = p.name();
        let phone = phone_text(p, k);
        match k % 3 {
            0 => {
                let mut m = self.message("Email", &p.email, &name, "Question about my order");
                m["Body"] = json!(format!(
                    "Hello,\nplease call me back on {phone}.\nRegards,\n{name}"
                ));
                m["BodyHtml"] = json!(format!("<p>Please call me back on {phone}.</p>"));
                m["Variables"]["OrderRef"] = json!(p.account);
                m["Attachments"] = json!([
                    {"FileName": "order-4711.pdf", "ContentType": "application/pdf", "Size": 48_213}
                ]);
                m
            }
            1 => {
                let mut m = self.message("Chat", &p.email, &name, "Web chat");
                m["Variables"]["PageEmail"] = json!(p.email);
                m["Variables"]["PageName"] = json!(name);
                let t = self.when();
                let line = format!("You can call me back on {phone}");
                m["Transcript"] = transcript(t, &name, line);
                m
            }
            _ => {
                let mut m = self.message("SMS", &p.e164(), &name, "SMS");
                m["To"] = json!(["+447700900000"]);
                m["Variables"]["CallbackNumber"] = json!(p.national);
                m["Body"] = json!(format!(
                    "Please ring me on {} or email {}",
                    p.national,
                    mixed_email(p, k)
                ));
                m
            }
        }
    }

    pub(super) fn strong_voice(&mut self, p: &PlantedEs, k: usize) -> Value {
        match k % 3 {
            0 => {
                let mut v = self.voice(&p.e164());
                v["CallerName"] = json!(caller_id(p));
                v["ContactId"] = json!(p.contact_id);
                v
            }
            1 => {
                let mut v = self.voice(&p.national_digits());
                v["CallerName"] = json!(caller_id(p));
                v["AccountCode"] = json!(p.account);
                v
            }
            _ => {
                // Withheld number; the IVR collected the callback number.
                let mut v = self.voice("anonymous");
                v["CallerName"] = json!("");
                v["Variables"]["CallbackNumber"] = json!(p.national);
                v["Variables"]["EnteredAccount"] = json!(p.account);
                v
            }
        }
    }

    pub(super) fn strong_case(&mut self, p: &PlantedEs, k: usize) -> Value {
        let other = self.person();
        let contacts = vec![
            json!({"Id": p.contact_id, "Name": p.name(), "Address": p.email}),
            self.case_contact(&other),
        ];
        let notes = vec![
            format!("Customer confirmed callback number {}.", phone_text(p, k)),
            "The parcel was re-sent by courier.".to_owned(),
        ];
        self.case("Refund request", contacts, notes)
    }

    pub(super) fn strong_directory(&mut self, p: &PlantedEs, k: usize) -> Value {
        match k % 3 {
            0 => {
                let mut d = self.directory(&p.first, &p.last, "ADContact");
                d["Mail"] = json!(p.email);
                d["TelephoneNumber"] = json!(p.e164());
                d
            }
            1 => {
                let mut d = self.directory(&p.first, &p.last, "ADContact");
                d["Mail"] = json!(p.email);
                d["TelephoneNumber"] = json!(p.national);
                d
            }
            _ => {
                let mut d = self.directory(&p.first, &p.last, "ADUser");
                d["Mail"] = json!(p.email);
                d["Mobile"] = json!(p.e164());
                d["Department"] = json!("Claims");
                d["Title"] = json!("Claims handler");
                d
            }
        }
    }

    /// Someone else's document whose free text holds the person's number
    /// or email; nothing structured is theirs.
    pub(super) fn free_text(&mut self, family: Family, p: &PlantedEs, k: usize) -> Value {
        let o = self.person();
        match family {
            Family::Contacts => {
                let mut c = self.contact(&o.name(), o.first, o.last, &o.email, &o.national);
                c["Notes"] = json!(format!("Emergency contact: {}.", phone_text(p, k)));
                c
            }
            Family::Message => match k % 3 {
                0 => {
                    let mut m = self.message("Email", &o.email, &o.name(), "Re: delivery");
                    let body = format!(
                        "Please also keep my partner informed: {}.",
                        mixed_email(p, k / 3)
                    );
                    m["Body"] = json!(body);
                    m
                }
                1 => {
                    let mut m = self.message("Chat", &o.email, &o.name(), "Web chat");
                    let t = self.when();
                    let line = format!("My husband's number is {}", phone_text(p, k));
                    m["Transcript"] = transcript(t, &o.name(), line);
                    m
                }
                _ => {
                    let subject = format!("Callback request {}", p.international());
                    let mut m = self.message("Email", &o.email, &o.name(), &subject);
                    m["Body"] = json!("Please call back this afternoon.");
                    m
                }
            },
            Family::Cases => {
                let contact = self.case_contact(&o);
                let note = if k % 2 == 1 {
                    format!("Neighbour gave {} as callback.", phone_text(p, k))
                } else {
                    format!("Caller's partner asked us to copy {}.", mixed_email(p, k))
                };
                self.case("Delivery issue", vec![contact], vec![note])
            }
            Family::Voice | Family::Directory => unreachable!("no free text in {family:?}"),
        }
    }

    /// Someone else's document mentioning only `First Last`.
    pub(super) fn weak(&mut self, family: Family, p: &PlantedEs, _k: usize) -> Value {
        let o = self.person();
        let name = p.name();
        match family {
            Family::Contacts => {
                let mut c = self.contact(&o.name(), o.first, o.last, &o.email, &o.national);
                c["Notes"] = json!(format!("Referred by {name}."));
                c
            }
            Family::Message => {
                let mut m = self.message("Email", &o.email, &o.name(), "Renewal");
                m["Body"] = json!(format!(
                    "Spoke to {name} about the renewal; no change needed."
                ));
                m
            }
            Family::Voice => {
                let mut v = self.voice(&o.e164());
                v["CallerName"] = json!(name);
                v
            }
            Family::Cases => {
                let contact = self.case_contact(&o);
                let note = format!("Spoke to {name}, no callback number given.");
                self.case("Renewal", vec![contact], vec![note])
            }
            Family::Directory => {
                // A namesake employee: same name, nothing else in common.
                let mut d = self.directory(&p.first, &p.last, "ADUser");
                let local = format!("{}{}", &p.first[..1], p.last).to_lowercase();
                d["Mail"] = json!(format!("{local}.sales@example.org"));
                d["TelephoneNumber"] = json!(o.e164());
                d["Department"] = json!("Sales");
                d
            }
        }
    }
}
