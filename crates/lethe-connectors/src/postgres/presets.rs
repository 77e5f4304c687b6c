//! Built-in declarations for the PostgreSQL stores of the estate
//! (data-map.md A5), so an operator says only where the database is:
//!
//! ```toml
//! [[postgres]]
//! preset = "console-call-history"
//! url_env = "LETHE_CONSOLE_DB_URL"      # or url = "postgres://..."
//! sslmode = "verify-full"
//! ca_file = "/etc/lethe/console-db-ca.pem"
//! table = "console.call_history"        # the schema is not published: override freely
//! ```
//!
//! | preset | table | key | identifier columns (parties) | strategy |
//! |---|---|---|---|---|
//! | `console-call-history` | `public.call_history` | `id` | caller: `caller_number` (phone), `caller_name` (name); called: `called_number`, `dialed_digits` (phone), `called_name` (name); transfer: `transferred_to_number` (phone), `transferred_to_name` (name); operator: `operator_login` (directory account) | anonymise with null; times, durations, direction, trunk, disposition and `company_name` kept |

use std::collections::BTreeMap;

use lethe_domain::IdentifierKind;

use crate::sql::{SqlTarget, StrategyName, TableName};

/// Every preset name, in the order of the table above.
pub const PRESET_NAMES: [&str; 1] = ["console-call-history"];

/// The preset called `name`.
pub fn preset(name: &str) -> Option<SqlTarget> {
    match name {
        "console-call-history" => Some(console_call_history()),
        _ => None,
    }
}

fn console_call_history() -> SqlTarget {
    use IdentifierKind::{DirectoryAccount, Name, Phone};
    let columns: BTreeMap<String, Vec<IdentifierKind>> = [
        ("caller_number", Phone),
        ("caller_name", Name),
        ("called_number", Phone),
        ("called_name", Name),
        ("dialed_digits", Phone),
        ("transferred_to_number", Phone),
        ("transferred_to_name", Name),
        ("operator_login", DirectoryAccount),
    ]
    .into_iter()
    .map(|(c, k)| (c.to_owned(), vec![k]))
    .collect();
    SqlTarget {
        name: "console-call-history".to_owned(),
        table: TableName::parse("public.call_history").expect("valid preset table"),
        key: "id".to_owned(),
        columns,
        free_text: Vec::new(),
        parties: vec![
            strings(&["caller_number", "caller_name"]),
            strings(&["called_number", "called_name", "dialed_digits"]),
            strings(&["transferred_to_number", "transferred_to_name"]),
            strings(&["operator_login"]),
        ],
        context: strings(&[
            "console_id",
            "call_start",
            "call_answer",
            "call_end",
            "duration_s",
            "direction",
            "disposition",
        ]),
        strategy: StrategyName::Anonymise,
        anonymise_with: None,
        replace: BTreeMap::new(),
        token: None,
        retain_ground: None,
        description: Some(
            "The switchboard (attendant console) call history: for each call, the caller's number and name as shown \
             by caller ID, the number called or dialled, where the call was transferred, which operator handled it, \
             and when and for how long."
                .to_owned(),
        ),
        purposes: strings(&[
            "Letting switchboard operators see and return recent calls",
            "Reporting on call volumes and answer times",
        ]),
        recipients: strings(&["Switchboard operators", "Your organisation's IT and telephony administrators"]),
        retention: Some("Kept until the console's call-history clean-up removes it or an administrator deletes it.".to_owned()),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_preset_is_valid() {
        for name in super::PRESET_NAMES {
            let t = super::preset(name).unwrap();
            assert_eq!(t.name, name);
            t.validate().unwrap();
        }
        assert!(super::preset("nope").is_none());
    }
}
