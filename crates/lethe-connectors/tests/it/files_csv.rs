//! CSV targets of `FilesConnector`: ADF directory rows deleted or
//! anonymised with the header and every other row left byte for byte,
//! proposals from a directory row, quoted multi-line rows, weak rows, and
//! permanent errors for malformed files that never quote their content.

use std::fs;
use std::path::Path;

use lethe_connectors::files::{
    CsvLayout, FileTarget, FileTargetSpec, FilesConnector, ReplacementName, StrategyName,
};
use lethe_connectors::{Connector, RetryClass};
use lethe_domain::{IdentifierHasher, IdentifierKind};

use crate::files_connector::batch;

const HEADER: &str = "Last Name,First Name,Number,Department,Location,Email,Tel Dir Name,Unique ID,Home Phone,Licence Plate";
const JOHN_ROW: &str = "Smith,John,2281,Claims,Leeds,john.smith@example.com,\"Smith,John\",U-000123,01632 960855,AB12 CDE";
const OTHERS: [&str; 2] = [
    "Brown,Alice,2201,Sales,York,alice.brown@example.com,\"Brown,Alice\",U-000200,,",
    "\"Reid\",Fiona,2207,IT,Hull,freid@example.com,\"Reid,Fiona\",U-000206,01632 960101,\"YK22 ABC\"",
];

/// An ADF folder (mapping + data) with John between two other rows.
fn adf(dir: &Path) -> String {
    let mapping = format!(
        "File Format Version,5\r\nData starts on line,2\r\nPrefix Digits,9\r\n{HEADER}\r\nLN,FN,NUM,DEPT,LOC,EMAIL,TDN,UID,NUM,TEXT\r\n"
    );
    fs::write(dir.join("mapping.csv"), mapping).unwrap();
    let data = format!(
        "{HEADER}\r\n{}\r\n{JOHN_ROW}\r\n{}\r\n",
        OTHERS[0], OTHERS[1]
    );
    fs::write(dir.join("Directory.csv"), &data).unwrap();
    data
}

fn adf_target(dir: &Path, strategy: StrategyName, with: Option<ReplacementName>) -> FileTarget {
    FileTargetSpec {
        strategy: Some(strategy),
        anonymise_with: with,
        ..FileTargetSpec::preset("adf-directory", dir)
    }
    .resolve()
    .unwrap()
}

/// Erases John from the ADF file with `target`, checks verify finds
/// nothing, and returns John's row as rewritten.
async fn erase_john(dir: &Path, target: FileTarget, hasher: Option<IdentifierHasher>) -> String {
    let data = adf(dir);
    let c = FilesConnector::new(vec![target], hasher).unwrap();
    let e = c
        .erase("adf-directory", &batch(&[crate::john()], false))
        .await
        .unwrap();
    assert_eq!(e[0].affected, 1);
    let v = c
        .verify("adf-directory", &batch(&[crate::john()], true))
        .await
        .unwrap();
    assert_eq!((v[0].matched, v[0].weak), (0, 0));
    let after = fs::read_to_string(dir.join("Directory.csv")).unwrap();
    let lines: Vec<&str> = after.split("\r\n").collect();
    assert_eq!(lines[0], HEADER);
    assert_eq!(
        (lines[1], lines[3]),
        (OTHERS[0], OTHERS[1]),
        "other rows byte for byte"
    );
    assert_ne!(after, data);
    lines[2].to_owned()
}

#[tokio::test]
async fn delete_removes_the_row_and_keeps_everything_else() {
    let dir = tempfile::tempdir().unwrap();
    let data = adf(dir.path());
    let c = FilesConnector::new(
        vec![adf_target(dir.path(), StrategyName::Delete, None)],
        None,
    )
    .unwrap();
    let e = c
        .erase("adf-directory", &batch(&[crate::john()], false))
        .await
        .unwrap();
    assert_eq!(e[0].affected, 1);
    let after = fs::read_to_string(dir.path().join("Directory.csv")).unwrap();
    assert_eq!(after, data.replace(&format!("{JOHN_ROW}\r\n"), ""));
    let again = c
        .erase("adf-directory", &batch(&[crate::john()], false))
        .await
        .unwrap();
    assert_eq!(again[0].affected, 0);
}

#[tokio::test]
async fn anonymise_overwrites_identifier_columns_and_keeps_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let t = adf_target(dir.path(), StrategyName::Anonymise, None);
    assert_eq!(
        erase_john(dir.path(), t, None).await,
        ",,,Claims,Leeds,,\"\",U-000123,,AB12 CDE"
    );

    let t = adf_target(
        dir.path(),
        StrategyName::Anonymise,
        Some(ReplacementName::Token),
    );
    assert_eq!(
        erase_john(dir.path(), t, None).await,
        "[ERASED],[ERASED],[ERASED],Claims,Leeds,[ERASED],\"[ERASED]\",U-000123,[ERASED],AB12 CDE"
    );

    let hasher = IdentifierHasher::new(b"test key, sixteen bytes at least");
    let p = |v: &str| format!("anon-{}", &hasher.hash_text("pseudonym", v).as_str()[..16]);
    let t = adf_target(
        dir.path(),
        StrategyName::Anonymise,
        Some(ReplacementName::Pseudonym),
    );
    let row = erase_john(dir.path(), t, Some(hasher.clone())).await;
    let expected = format!(
        "{},{},{},Claims,Leeds,{},\"{}\",U-000123,{},AB12 CDE",
        p("Smith"),
        p("John"),
        p("2281"),
        p("john.smith@example.com"),
        p("Smith,John"),
        p("01632 960855")
    );
    assert_eq!(row, expected);
}

#[tokio::test]
async fn a_directory_row_proposes_the_numbers_the_subject_did_not_give() {
    let dir = tempfile::tempdir().unwrap();
    adf(dir.path());
    let c = FilesConnector::new(
        vec![adf_target(dir.path(), StrategyName::Delete, None)],
        None,
    )
    .unwrap();
    let by_email = crate::subject(&["john.smith@example.com"], &[], &[]);
    let f = c
        .discover("adf-directory", &batch(&[by_email, crate::john()], false))
        .await
        .unwrap();
    let proposed = |i: usize| -> Vec<(IdentifierKind, String)> {
        f[i].proposed
            .iter()
            .map(|p| (p.kind, p.value.clone()))
            .collect()
    };
    assert_eq!(
        proposed(0),
        vec![
            (IdentifierKind::Phone, "2281".to_owned()),
            (IdentifierKind::Phone, "01632 960855".to_owned()),
        ]
    );
    // The full subject already has the home phone and the email.
    assert_eq!(
        proposed(1),
        vec![(IdentifierKind::Phone, "2281".to_owned())]
    );
    assert_eq!(
        (f[0].matched, f[0].places[0].place.as_str()),
        (1, "Directory.csv")
    );
}

fn comments_target(dir: &Path) -> FileTarget {
    FileTargetSpec::preset("console-comments", dir)
        .resolve()
        .unwrap()
}

#[tokio::test]
async fn quoted_multi_line_rows_and_weak_rows() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Comments.csv");
    let data = "UniqueID,Modified,Operator,Comment\n\
U-000200,2024-03-16T09:00:00Z,op1,\"Deliveries to bay B\nafter 2pm, ask for \"\"Sam\"\"\"\n\
U-000123,2024-03-15T11:02:00Z,op2,\"Callbacks please\nto john.smith@example.com, says John Smith\"\n\
U-000131,2024-03-16T08:45:00Z,op2,Visitor John Smith expected\n";
    fs::write(&file, data).unwrap();
    let c = FilesConnector::new(vec![comments_target(dir.path())], None).unwrap();
    let f = c
        .discover("console-comments", &batch(&[crate::john()], false))
        .await
        .unwrap();
    assert_eq!((f[0].matched, f[0].weak), (1, 1));
    let x = c
        .export("console-comments", &batch(&[crate::john()], false))
        .await
        .unwrap();
    assert_eq!(x[0].records[0]["row"], 2);
    assert_eq!(x[0].records[0]["key"], "U-000123");
    assert_eq!(x[0].records[1]["match"], "weak");

    c.erase("console-comments", &batch(&[crate::john()], false))
        .await
        .unwrap();
    let expected = data.replace(
        "to john.smith@example.com, says John Smith",
        "to [REDACTED], says [REDACTED]",
    );
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        expected,
        "weak row kept without include_weak"
    );

    let e = c
        .erase("console-comments", &batch(&[crate::john()], true))
        .await
        .unwrap();
    assert_eq!(e[0].affected, 1);
    let expected = expected.replace("Visitor John Smith", "Visitor [REDACTED]");
    assert_eq!(fs::read_to_string(&file).unwrap(), expected);
}

#[tokio::test]
async fn malformed_csv_is_permanent_and_quotes_no_content() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Comments.csv");
    fs::write(
        &file,
        "UniqueID,Modified,Operator,Comment\nU-1,2024,op1,\"John Smith john.smith@example.com 01632 960855\nU-2,x,y,z\n",
    )
    .unwrap();
    let c = FilesConnector::new(vec![comments_target(dir.path())], None).unwrap();
    let err = c
        .discover("console-comments", &batch(&[crate::john()], false))
        .await
        .unwrap_err();
    assert_eq!(err.class, RetryClass::Permanent);
    assert!(
        err.message.contains("Comments.csv") && err.message.contains("line 2"),
        "{}",
        err.message
    );
    for secret in ["john", "smith", "960855", "1632"] {
        assert!(
            !err.message.to_lowercase().contains(secret),
            "{}",
            err.message
        );
    }

    fs::write(
        &file,
        "Key,When,Who,Comment\nU-1,2024,op1,john.smith@example.com\n",
    )
    .unwrap();
    let err = c
        .discover("console-comments", &batch(&[crate::john()], false))
        .await
        .unwrap_err();
    assert_eq!(err.class, RetryClass::Permanent);
    assert!(
        err.message.contains("`UniqueID`") && !err.message.contains("john"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_bad_or_missing_adf_mapping_is_permanent() {
    let dir = tempfile::tempdir().unwrap();
    adf(dir.path());
    let c = FilesConnector::new(
        vec![adf_target(dir.path(), StrategyName::Delete, None)],
        None,
    )
    .unwrap();
    fs::write(
        dir.path().join("mapping.csv"),
        "File Format Version,5\nData starts on line,2\n",
    )
    .unwrap();
    let err = c
        .discover("adf-directory", &batch(&[crate::john()], false))
        .await
        .unwrap_err();
    assert_eq!(err.class, RetryClass::Permanent);
    assert!(
        err.message.contains("mapping.csv") && err.message.contains("five lines"),
        "{}",
        err.message
    );
    fs::remove_file(dir.path().join("mapping.csv")).unwrap();
    let err = c
        .discover("adf-directory", &batch(&[crate::john()], false))
        .await
        .unwrap_err();
    assert_eq!(err.class, RetryClass::Permanent);
    assert!(err.message.contains("does not exist"), "{}", err.message);
}

#[tokio::test]
async fn a_declared_layout_without_a_mapping_drives_anonymise() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    fs::write(&file, "id,name,mobile,notes\r\n7,Smith John,01632 960855,\"asked for John Smith's file\"\r\n8,Ann Lee,01632 960222,\r\n").unwrap();
    let target = FileTarget {
        csv: Some(CsvLayout {
            key_column: Some("id".into()),
            columns: [("mobile".to_owned(), vec![IdentifierKind::Phone])].into(),
            free_text: vec!["notes".into()],
            adf_mapping: None,
        }),
        ..FileTargetSpec {
            name: Some("people".into()),
            root: Some(dir.path().into()),
            format: Some(lethe_connectors::files::FileFormat::Csv),
            strategy: Some(StrategyName::Anonymise),
            ..FileTargetSpec::default()
        }
        .resolve()
        .unwrap()
    };
    let c = FilesConnector::new(vec![target], None).unwrap();
    let e = c
        .erase("people", &batch(&[crate::john()], false))
        .await
        .unwrap();
    assert_eq!(e[0].affected, 1);
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "id,name,mobile,notes\r\n7,Smith John,,\"asked for [REDACTED]'s file\"\r\n8,Ann Lee,01632 960222,\r\n"
    );
}
