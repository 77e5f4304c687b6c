//! The people of the kill test across the estate: who is erased, who is
//! left alone, and how an independent search recognises them.

use super::*;

/// One person as the stores hold them: the strong identifiers an
/// independent search looks for.
pub(super) struct Who {
    /// Lower case.
    pub(super) emails: &'static [&'static str],
    /// The national number without its leading 0 (`1632960855`): every
    /// shape of the number (E.164, `0044`, `9` trunk prefix, spaces) holds
    /// these digits once separators are dropped.
    pub(super) digits: &'static [&'static str],
    /// Upper case.
    pub(super) accounts: &'static [&'static str],
}

/// John Smith: in every store (PostgreSQL plants his number under another
/// surname, which is the same phone).
pub(super) const JOHN: Who = Who {
    emails: &["john.smith@example.com"],
    digits: &["1632960855"],
    accounts: &["AC5500855"],
};
/// Mary Jones: the files' `mary.jones@example.com`/`01632 960912`, the
/// suite's and CloudLink's `MJones@Example.org`/`01632 960999`, and
/// Elasticsearch's `mary.jones@example.org`; not in PostgreSQL.
pub(super) const MARY: Who = Who {
    emails: &[
        "mary.jones@example.com",
        "mary.jones@example.org",
        "mjones@example.org",
    ],
    digits: &["1632960912", "1632960999"],
    accounts: &["AC5500999"],
};
/// Maximilian Featherstonehaugh: SQL Server, Elasticsearch and CloudLink
/// (where he has no chats); only an access request is made for him, so
/// everything of his must be untouched.
pub(super) const MAX: Who = Who {
    emails: &["m.featherstonehaugh@example.org"],
    digits: &["2079460123", "1632960123"],
    accounts: &["AC5500123"],
};
/// PostgreSQL's untouched people: the caller Maximilian Wolfeschlegelstein
/// and the operator Anna Quennell (by her login).
pub(super) const PG_OTHERS: Who = Who {
    emails: &["corp\\aquennell"],
    digits: &["7700900123"],
    accounts: &[],
};

pub(super) fn input(
    emails: &[&str],
    phones: &[&str],
    names: &[&str],
    accounts: &[&str],
) -> SubjectInput {
    let v = |x: &[&str]| x.iter().map(|s| (*s).to_owned()).collect();
    SubjectInput {
        emails: v(emails),
        phones: v(phones),
        names: v(names),
        account_numbers: v(accounts),
        ..SubjectInput::default()
    }
}

/// The requests: John erased (and erased again: the second run finds what
/// the first left, nothing), Mary erased under every address and number
/// she has somewhere, Priya (files only) erased, John and Maximilian
/// exported.
pub(super) fn requests() -> Vec<(RequestKind, SubjectInput)> {
    let john = input(
        &["john.smith@example.com"],
        &["01632 960855"],
        &["John Smith"],
        &["AC5500855"],
    );
    let mary = input(
        &[
            "mary.jones@example.com",
            "mary.jones@example.org",
            "MJones@Example.org",
        ],
        &["01632 960912", "01632 960999"],
        &["Mary Jones"],
        &["AC5500999"],
    );
    let priya = input(&[], &["01632 960977"], &["Priya Patel"], &[]);
    let max = input(
        &["m.featherstonehaugh@example.org"],
        &["020 7946 0123", "01632 960123"],
        &["Maximilian Featherstonehaugh"],
        &["AC5500123"],
    );
    vec![
        (RequestKind::Erasure, john.clone()),
        (RequestKind::Access, john.clone()),
        (RequestKind::Erasure, mary),
        (RequestKind::Access, max),
        (RequestKind::Erasure, priya),
        (RequestKind::Erasure, john),
    ]
}

/// Every shape of every identifier of the requests' subjects that could
/// turn up in a log: what the worker logs must not contain.
pub(super) fn log_forms() -> Vec<String> {
    let mut forms: Vec<String> = Vec::new();
    let demo =
        lethe_connectors::files::write_demo_estate(&tempfile::tempdir().unwrap().path().join("x"))
            .unwrap();
    for s in &demo.subjects {
        forms.extend(
            s.strong_forms
                .iter()
                .chain(&s.name_forms)
                .map(|f| f.to_string()),
        );
    }
    for who in [&JOHN, &MARY, &MAX] {
        forms.extend(who.emails.iter().map(|e| e.to_string()));
        forms.extend(who.accounts.iter().map(|a| a.to_string()));
        for d in who.digits {
            forms.push(d.to_string());
            forms.push(format!("0{d}"));
            forms.push(format!("+44{d}"));
            forms.push(format!("0{} {}", &d[..4], &d[4..]));
            forms.push(format!("+44 {} {}", &d[..4], &d[4..]));
        }
    }
    forms.extend(
        [
            "020 7946 0123",
            "Maximilian Featherstonehaugh",
            "FEATHERSTONEHAUGH",
            "Featherstonehaugh,Maximilian",
        ]
        .map(str::to_owned),
    );
    forms
}

/// Whether any string in `v` holds one of `who`'s strong identifiers (a
/// number in any shape: its digits appear in the string's digits).
pub(super) fn holds(v: &Value, who: &Who) -> bool {
    match v {
        Value::String(s) => {
            let lower = s.to_lowercase();
            let digits: String = s.chars().filter(char::is_ascii_digit).collect();
            who.emails.iter().any(|e| lower.contains(e))
                || who
                    .accounts
                    .iter()
                    .any(|a| lower.contains(&a.to_lowercase()))
                || who.digits.iter().any(|d| digits.contains(d))
        }
        Value::Array(a) => a.iter().any(|x| holds(x, who)),
        Value::Object(o) => o.values().any(|x| holds(x, who)),
        _ => false,
    }
}

/// Rows (documents, users) of `rows` holding `who`.
pub(super) fn count(rows: &BTreeMap<String, Value>, who: &Who) -> usize {
    rows.values().filter(|r| holds(r, who)).count()
}

/// The rows (documents, users) of `rows` holding `who`.
pub(super) fn untouched<'a>(rows: &'a BTreeMap<String, Value>, who: &Who) -> Vec<&'a Value> {
    rows.values().filter(|r| holds(r, who)).collect()
}

/// Recordings whose file name holds one of `who`'s numbers.
pub(super) fn recordings_of(recs: &[(PathBuf, String)], who: &Who) -> usize {
    recs.iter()
        .filter(|(p, _)| holds(&Value::String(p.display().to_string()), who))
        .count()
}

/// Open CloudLink conversations one of `users` takes part in.
pub(super) fn open_chats_of(d: &Dump, users: &[String]) -> usize {
    d.cl_conversations
        .iter()
        .filter(|c| c.is_open() && c.participants.iter().any(|p| users.contains(p)))
        .count()
}

/// CloudLink user ids of `who` (by email or number).
pub(super) fn cl_ids(d: &Dump, who: &Who) -> Vec<String> {
    d.cl_users
        .iter()
        .filter(|(_, u)| holds(u, who))
        .map(|(id, _)| id.clone())
        .collect()
}
