//! Built-in declarations for the file stores of the Mitel estate
//! (data-map.md, "Files on each console PC" and "Files on the suite's
//! server"), so an operator only says where the files are:
//!
//! ```toml
//! [[files]]
//! preset = "console-logs"
//! root = 'C:\ProgramData\Mitel\MiVoice Business Console\logs'
//!
//! [[files]]
//! preset = "adf-directory"
//! name = "adf-directory-site2"          # optional; defaults to the preset name
//! root = '\\console2\ADF'
//! csv = { adf_mapping = "PBSync/mapping.csv" }
//! ```
//!
//! Any field of a `[[files]]` table overrides the preset's (see
//! [`FileTargetSpec`](super::FileTargetSpec)); `csv` replaces the whole
//! layout.
//!
//! | preset | format | files (`include`) | strategy | what is in them |
//! |---|---|---|---|---|
//! | `console-logs` | lines | `**/*.log`, `**/*.log.[0-9]*`, `**/*.gz` | redact | console software logs: caller numbers and names, operator user names, call times |
//! | `console-log-collector` | lines | same as `console-logs` | redact | the same logs gathered on an FTP log collector |
//! | `adf-directory` | csv, ADF mapping `mapping.csv` | `**/*.csv` (not the mapping) | delete | the console's telephone directory: names, numbers, emails, admin-added columns |
//! | `console-comments` | csv `UniqueID,Modified,Operator,Comment`, key `UniqueID`, free text `Comment` | `**/*.csv` | redact | operators' comments on directory entries |
//! | `scratch-pad` | free text | `**/ScratchPad*.txt` | redact | the operator's scratch pad |
//! | `suite-server-logs` | lines | `**/*.log`, `**/*.log.[0-9]*`, `**/*.gz`, `**/*.txt` | redact | MiCC-B server and client logs: contact details, staff log-ins |
//! | `suite-iis-logs` | lines | `**/*.log` | redact | the suite's web-server request logs |
//! | `suite-search-logs` | lines | `**/*.log`, `**/*.log.[0-9]*`, `**/*.gz`, `**/*.json` | redact | the suite's search logs: what staff searched for |
//!
//! ADF mapping tags: `LN`, `FN`, `TDN` name; `NUM` phone; `EMAIL` email;
//! `UID` the row key; `TEXT` free text; other tags (`DEPT`, `LOC`) are not
//! identifiers. Redaction writes `[REDACTED]` unless `token` is set.

use std::path::PathBuf;

use super::target::{CsvLayout, FileFormat, FileTarget, StrategyName};

/// Every preset name, in the order of the table above.
pub const PRESET_NAMES: [&str; 8] = [
    "console-logs",
    "console-log-collector",
    "adf-directory",
    "console-comments",
    "scratch-pad",
    "suite-server-logs",
    "suite-iis-logs",
    "suite-search-logs",
];

const LOG_GLOBS: [&str; 3] = ["**/*.log", "**/*.log.[0-9]*", "**/*.gz"];

/// The preset called `name`, with an empty `root` for the operator to set.
pub fn preset(name: &str) -> Option<FileTarget> {
    let console_log_purposes = strings(&[
        "Diagnosing faults in the attendant console",
        "Investigating complaints about how a call was handled",
    ]);
    let it_support = strings(&[
        "Your organisation's IT support staff",
        "Mitel technical support, when a fault is escalated to them",
    ]);
    let target = match name {
        "console-logs" => lines(
            name,
            &LOG_GLOBS,
            "Technical logs written by the switchboard (attendant console) software on each operator's PC: \
             when calls came in, the caller's number and name as shown by caller ID, which operator took the call \
             and where it was transferred.",
            console_log_purposes,
            it_support,
            "Kept until the console's log rotation overwrites them or IT removes them.",
        ),
        "console-log-collector" => lines(
            name,
            &LOG_GLOBS,
            "Copies of the switchboard software's logs, gathered from the operators' PCs on a central log server: \
             caller numbers and names, call times, operator user names.",
            console_log_purposes,
            it_support,
            "Kept on the log server until IT removes them.",
        ),
        "adf-directory" => FileTarget {
            csv: Some(CsvLayout {
                adf_mapping: Some(PathBuf::from("mapping.csv")),
                ..CsvLayout::default()
            }),
            strategy: StrategyName::Delete,
            ..base(
                name,
                FileFormat::Csv,
                &["**/*.csv"],
                "The telephone directory loaded into the switchboard software: names, extensions and phone numbers, \
                 department, location, email address, and any extra columns an administrator added (for example a \
                 home phone number or a car's licence plate).",
                strings(&["Letting switchboard operators find people and put calls through to them"]),
                strings(&["Switchboard operators", "Your organisation's IT administrators"]),
                "For as long as the entry is kept in the organisation's directory.",
            )
        },
        "console-comments" => FileTarget {
            csv: Some(CsvLayout {
                // `Operator` is the member of staff who wrote the note,
                // not the person it is about: not an identifier column.
                key_column: Some("UniqueID".to_owned()),
                free_text: vec!["Comment".to_owned()],
                ..CsvLayout::default()
            }),
            ..base(
                name,
                FileFormat::Csv,
                &["**/*.csv"],
                "Notes that switchboard operators attach to directory entries, for example how a person prefers to be \
                 reached. They can mention other people too.",
                strings(&["Helping switchboard operators handle calls for a person as that person asked"]),
                strings(&["Switchboard operators"]),
                "Until the note or the directory entry is removed.",
            )
        },
        "scratch-pad" => base(
            name,
            FileFormat::FreeText,
            &["**/ScratchPad*.txt"],
            "A switchboard operator's scratch pad: free notes typed during calls, such as a caller's name and \
             number for a callback.",
            strings(&["Taking notes while handling calls"]),
            strings(&["The switchboard operator who wrote them"]),
            "Until the operator deletes the notes.",
        ),
        "suite-server-logs" => lines(
            name,
            &["**/*.log", "**/*.log.[0-9]*", "**/*.gz", "**/*.txt"],
            "Logs of the contact center's server software: contact details of people who called, chatted or \
             emailed, and the user names of staff who signed in.",
            strings(&["Running and troubleshooting the contact center", "Security monitoring of sign-ins"]),
            it_support,
            "Kept until the server's log clean-up removes them.",
        ),
        "suite-iis-logs" => lines(
            name,
            &["**/*.log"],
            "Request logs of the contact center's web server: which pages and services were used, from which \
             network address, by which signed-in user; a request can carry a searched name, number or email.",
            strings(&["Running and securing the contact center's web services"]),
            it_support,
            "Kept until the web server's log clean-up removes them.",
        ),
        "suite-search-logs" => lines(
            name,
            &["**/*.log", "**/*.log.[0-9]*", "**/*.gz", "**/*.json"],
            "Logs of the contact center's search service: searches staff made, which can contain names, phone \
             numbers and email addresses.",
            strings(&["Running and troubleshooting the contact center's search"]),
            it_support,
            "Kept until the search service's log clean-up removes them.",
        ),
        _ => return None,
    };
    Some(target)
}

fn lines(
    name: &str,
    include: &[&str],
    description: &str,
    purposes: Vec<String>,
    recipients: Vec<String>,
    retention: &str,
) -> FileTarget {
    base(
        name,
        FileFormat::Lines,
        include,
        description,
        purposes,
        recipients,
        retention,
    )
}

fn base(
    name: &str,
    format: FileFormat,
    include: &[&str],
    description: &str,
    purposes: Vec<String>,
    recipients: Vec<String>,
    retention: &str,
) -> FileTarget {
    FileTarget {
        name: name.to_owned(),
        root: PathBuf::new(),
        include: strings(include),
        exclude: Vec::new(),
        format,
        strategy: StrategyName::Redact,
        anonymise_with: None,
        token: None,
        retain_ground: None,
        csv: None,
        description: Some(description.to_owned()),
        purposes,
        recipients,
        retention: Some(retention.to_owned()),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_exists_and_is_valid_once_rooted() {
        for name in PRESET_NAMES {
            let mut t = preset(name).unwrap();
            assert_eq!(t.name, name);
            t.root = PathBuf::from("/srv/x");
            t.validate().unwrap();
        }
        assert!(preset("nope").is_none());
    }
}
