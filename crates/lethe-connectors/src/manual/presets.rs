//! Built-in manual steps for the parts of the estate no API reaches
//! (data-map.md "Third parties outside reach", and the console): the
//! operator usually adds only who the recipient is.
//!
//! | preset | what the person does | default recipient |
//! |---|---|---|
//! | `dialogflow` | delete the subject's bot history and analysed phrases in Google Dialogflow / Agent Assist | Dialogflow / Agent Assist administrator |
//! | `wfm` | have the third-party workforce-management system (e.g. Teleopti) delete or anonymise the subject | workforce-management provider |
//! | `backups` | keep erased data from coming back with a restore; note when the backups expire | backup administrator |
//! | `support-packages` | have the vendor delete technical-support packages that hold the subject | vendor technical support |
//! | `console-registry` | remove the subject's directory numbers and names from each attendant console's registry | console administrator |
//! | `voicemail` | delete the subject's voicemail messages (and, for an employee, the box and greeting) | telephony administrator |
//!
//! Every preset applies to erasure only; `on = ["access", "erasure"]`
//! makes a person gather the data for access requests too.

use lethe_domain::RequestKind;

use super::ManualTarget;

/// Every preset name, in the order of the table above.
pub const PRESET_NAMES: [&str; 6] = [
    "dialogflow",
    "wfm",
    "backups",
    "support-packages",
    "console-registry",
    "voicemail",
];

/// The preset called `name`.
pub fn preset(name: &str) -> Option<ManualTarget> {
    let (instructions, recipient, categories, purposes, retention): (
        &str,
        &str,
        &[&str],
        &[&str],
        &str,
    ) = match name {
        "dialogflow" => (
            "In Google Dialogflow / Agent Assist, delete the conversation history of the subject's bot \
             conversations and the phrases analysed from them (or ask Google to), for the conversations \
             the suite handed to the bot.",
            "Dialogflow / Agent Assist administrator (Google Cloud project owner)",
            &["bot conversation history", "analysed phrases"],
            &["Answering customers with a chat bot", "Suggesting answers to agents"],
            "As set in the Google Cloud project's conversation logging and data retention.",
        ),
        "wfm" => (
            "Ask the third-party workforce-management provider (e.g. Teleopti) to delete or anonymise \
             the subject's records: schedules and performance data of an employee, contact statistics \
             exported from the suite for a customer. Record the provider's confirmation.",
            "Workforce-management provider (e.g. Teleopti)",
            &["agent schedules", "performance statistics", "contact statistics"],
            &["Planning staff and shifts", "Measuring service levels"],
            "As agreed with the workforce-management provider.",
        ),
        "backups" => (
            "Backups of the suite's databases, indices and console PCs still hold what was erased. Make \
             sure a restore is followed by running this erasure again, and note in the confirmation the \
             date the last backup holding the data expires.",
            "Backup administrator",
            &["copies of every store erased by this request"],
            &["Restoring the service after a failure"],
            "Until the backup rotation deletes the backup.",
        ),
        "support-packages" => (
            "Technical-support packages (logs, database extracts, traces) sent to the vendor can hold the \
             subject's data. Ask the vendor's technical support to delete every package that does, and \
             record their answer.",
            "Vendor technical support (Mitel)",
            &["server and client logs", "database extracts", "call traces"],
            &["Diagnosing faults with the vendor"],
            "As long as the vendor keeps support cases open, or as agreed with the vendor.",
        ),
        "console-registry" => (
            "On each attendant console PC, remove the subject's directory numbers and names from the \
             console's registry entries (speed dials, recent directory numbers, held names), which the \
             console keeps outside its logs and directory files.",
            "Attendant console administrator",
            &["directory numbers", "names"],
            &["Letting switchboard operators reach people quickly"],
            "Until an operator or administrator removes the entry.",
        ),
        "voicemail" => (
            "On the voicemail system, delete the voicemail messages the subject left and, for an employee, \
             their voicemail box with its greeting and recorded name.",
            "Telephony administrator",
            &["voice messages", "greetings and recorded names"],
            &["Taking messages for people who cannot answer"],
            "Until the mailbox owner or the voicemail system's clean-up deletes the message.",
        ),
        _ => return None,
    };
    Some(ManualTarget {
        name: name.to_owned(),
        instructions: instructions.to_owned(),
        recipient: recipient.to_owned(),
        categories: strings(categories),
        on: vec![RequestKind::Erasure],
        purposes: strings(purposes),
        retention: retention.to_owned(),
    })
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}
