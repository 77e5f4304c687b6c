//! Built-in declarations for the contact-center suite's SQL Server tables
//! (data-map.md A1, reconstructed names: every one can be overridden):
//!
//! | preset | database | table | key | personal columns |
//! |---|---|---|---|---|
//! | `ccm-ca-trace` | CCMData | `dbo.tblData_CA_Trace` | `Pkey` | `ANI`, `CallerName`, `DigitsDialed`, `AccountCode`; free text `SmdrRecord` |
//! | `ccm-inbound-trace` | CCMData | `dbo.tblData_InboundTrace` | `Pkey` | `ANI`, `CallerName`, `DNIS`, `DigitsDialed` |
//! | `ccm-outbound-trace` | CCMData | `dbo.tblData_OutboundTrace` | `Pkey` | `PhoneNumber`, `CalledName`, `AccountCode` |
//! | `ccm-vwm-condition-trace` | CCMData | `dbo.tblData_VWM_ConditionTrace` | `Pkey` | `ANI`, `DNIS`, `Destination`; free text `VariableValue` |
//! | `ccm-conversation-summary` | CCMStatisticalData | `dbo.ConversationSummary` | `ConversationKey` | `ContactName`, `ContactAddress`, `DialedAddress`; free text `Subject` |
//! | `ccm-lc-trace` | CCMStatisticalData | `dbo.tblData_LC_Trace` | `Pkey` | `ANI`, `CallerName`, `DNIS`, `ContactEmail` |
//! | `ccm-lc-note` | CCMStatisticalData | `dbo.tblData_LC_Note` | `Pkey` | free text `NoteText` |
//! | `ccm-lc-call-recording` | CCMStatisticalData | `dbo.tblData_LC_CallRecording` | `Pkey` | free text `RecordingLocation` |
//!
//! Every preset anonymises with NULL: the row, its keys, times, durations,
//! costs and peg counts stay, so the suite's reports still add up; free
//! text is redacted in place. `DNIS` and `DialedAddress` are the number the
//! caller dialled (usually the center's own), searched because a callback
//! or outbound call puts the customer there.

use std::collections::BTreeMap;

use lethe_domain::IdentifierKind::{self, AccountNumber, Email, Name, Phone};

use crate::sql::{SqlTarget, StrategyName, TableName};

/// Every preset name, in the order of the table above.
pub const PRESET_NAMES: [&str; 8] = [
    "ccm-ca-trace",
    "ccm-inbound-trace",
    "ccm-outbound-trace",
    "ccm-vwm-condition-trace",
    "ccm-conversation-summary",
    "ccm-lc-trace",
    "ccm-lc-note",
    "ccm-lc-call-recording",
];

/// The suite's call-trace database.
pub const CCM_DATA: &str = "CCMData";
/// The suite's statistics database.
pub const CCM_STATISTICAL_DATA: &str = "CCMStatisticalData";

/// The preset called `name`: its table declaration and default database.
pub fn preset(name: &str) -> Option<(SqlTarget, &'static str)> {
    let p = match name {
        "ccm-ca-trace" => Preset {
            table: "tblData_CA_Trace",
            db: CCM_DATA,
            key: "Pkey",
            columns: &[
                ("ANI", &[Phone]),
                ("CallerName", &[Name]),
                ("DigitsDialed", &[Phone]),
                ("AccountCode", &[AccountNumber]),
            ],
            parties: &[&["ANI", "CallerName"], &["DigitsDialed"], &["AccountCode"]],
            free_text: &["SmdrRecord"],
            context: &["CallStartTime", "CallType", "Duration", "TimeToAnswer", "CallCompletionStatus"],
            what: "Call accounting records built from the phone system's call log (SMDR): the calling number and \
                   caller-ID name, the digits dialled, the account code entered, and the raw call-log line.",
        },
        "ccm-inbound-trace" => Preset {
            table: "tblData_InboundTrace",
            db: CCM_DATA,
            key: "Pkey",
            columns: &[
                ("ANI", &[Phone]),
                ("CallerName", &[Name]),
                ("DNIS", &[Phone]),
                ("DigitsDialed", &[Phone]),
            ],
            parties: &[&["ANI", "CallerName"], &["DNIS"], &["DigitsDialed"]],
            free_text: &[],
            context: &["CallStartTime", "Duration", "TimeToAnswer", "TimeToAbandon", "Disposition"],
            what: "Inbound call traces of the contact center: the calling number and caller-ID name, the number \
                   dialled, and how the call was handled.",
        },
        "ccm-outbound-trace" => Preset {
            table: "tblData_OutboundTrace",
            db: CCM_DATA,
            key: "Pkey",
            columns: &[
                ("PhoneNumber", &[Phone]),
                ("CalledName", &[Name]),
                ("AccountCode", &[AccountNumber]),
            ],
            parties: &[&["PhoneNumber", "CalledName"], &["AccountCode"]],
            free_text: &[],
            context: &["CallStartTime", "CallType", "Duration"],
            what: "Outbound call traces: the number an agent called, its caller-ID name and the account code.",
        },
        "ccm-vwm-condition-trace" => Preset {
            table: "tblData_VWM_ConditionTrace",
            db: CCM_DATA,
            key: "Pkey",
            columns: &[("ANI", &[Phone]), ("DNIS", &[Phone]), ("Destination", &[Phone])],
            parties: &[&["ANI"], &["DNIS"], &["Destination"]],
            free_text: &["VariableValue"],
            context: &["ConditionStartTime", "WorkflowName", "ConditionFriendlyName", "VariableName"],
            what: "Traces of the IVR workflows a call went through: the calling number, where the call was sent, \
                   and values collected in workflow variables (digits entered, account numbers).",
        },
        "ccm-conversation-summary" => Preset {
            table: "ConversationSummary",
            db: CCM_STATISTICAL_DATA,
            key: "ConversationKey",
            columns: &[
                ("ContactName", &[Name]),
                ("ContactAddress", &[Phone, Email]),
                ("DialedAddress", &[Phone, Email]),
            ],
            parties: &[&["ContactName", "ContactAddress"], &["DialedAddress"]],
            free_text: &["Subject"],
            context: &["StartTime", "EndTime", "MediaType", "Direction", "Duration"],
            what: "Conversation detail records (calls, chats, emails) per media server: the contact's name and \
                   address (phone number or email), the address dialled, and the subject line.",
        },
        "ccm-lc-trace" => Preset {
            table: "tblData_LC_Trace",
            db: CCM_STATISTICAL_DATA,
            key: "Pkey",
            columns: &[
                ("ANI", &[Phone]),
                ("CallerName", &[Name]),
                ("DNIS", &[Phone]),
                ("ContactEmail", &[Email]),
            ],
            parties: &[&["ANI", "CallerName", "ContactEmail"], &["DNIS"]],
            free_text: &[],
            context: &["CallStartTime", "MediaType", "Queue", "Duration"],
            what: "Contact life-cycle traces: the contact's number, caller-ID name and email per contact.",
        },
        "ccm-lc-note" => Preset {
            table: "tblData_LC_Note",
            db: CCM_STATISTICAL_DATA,
            key: "Pkey",
            columns: &[],
            parties: &[],
            free_text: &["NoteText"],
            context: &["NoteTime"],
            what: "Notes agents wrote about a contact (free text).",
        },
        "ccm-lc-call-recording" => Preset {
            table: "tblData_LC_CallRecording",
            db: CCM_STATISTICAL_DATA,
            key: "Pkey",
            columns: &[],
            parties: &[],
            free_text: &["RecordingLocation"],
            context: &["RecordingStart", "Duration", "RecordingID"],
            what: "References to call recordings, whose file names can contain the calling number. The \
                   recordings themselves are a separate target.",
        },
        _ => return None,
    };
    Some((p.target(name), p.db))
}

/// A preset in compact form.
struct Preset {
    table: &'static str,
    db: &'static str,
    key: &'static str,
    columns: &'static [(&'static str, &'static [IdentifierKind])],
    parties: &'static [&'static [&'static str]],
    free_text: &'static [&'static str],
    context: &'static [&'static str],
    what: &'static str,
}

impl Preset {
    fn target(&self, name: &str) -> SqlTarget {
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        SqlTarget {
            name: name.to_owned(),
            table: TableName::parse(&format!("dbo.{}", self.table)).expect("valid preset table"),
            key: self.key.to_owned(),
            columns: self
                .columns
                .iter()
                .map(|(c, k)| ((*c).to_owned(), k.to_vec()))
                .collect::<BTreeMap<_, _>>(),
            free_text: strings(self.free_text),
            parties: self.parties.iter().map(|p| strings(p)).collect(),
            context: strings(self.context),
            strategy: StrategyName::Anonymise,
            anonymise_with: None,
            replace: BTreeMap::new(),
            token: None,
            retain_ground: None,
            description: Some(self.what.split_whitespace().collect::<Vec<_>>().join(" ")),
            purposes: strings(&[
                "Routing and handling contacts in the contact center",
                "Contact-center reporting (volumes, answer times, costs)",
            ]),
            recipients: strings(&[
                "Contact-center supervisors and reporting users",
                "Your organisation's IT and telephony administrators",
            ]),
            retention: Some(
                "Kept until the suite's data-retention job or an administrator removes it."
                    .to_owned(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_preset_is_valid() {
        for name in super::PRESET_NAMES {
            let (t, db) = super::preset(name).unwrap();
            assert_eq!(t.name, name);
            assert!(db.starts_with("CCM"));
            t.validate().unwrap();
        }
        assert!(super::preset("nope").is_none());
    }
}
