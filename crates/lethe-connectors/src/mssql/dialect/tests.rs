//! The T-SQL the engine emits through [`MsSql`], as sent.

use lethe_domain::{PhoneRegion, Subject, SubjectInput};

use super::*;
use crate::mssql::presets::preset;
use crate::sql::statement::{delete, select, update, RowChange};
use crate::sql::{ColumnTypes, Layout, Needles};

fn john() -> Subject {
    let input = SubjectInput {
        phones: vec!["01632 960855".into()],
        names: vec!["John Smith".into()],
        emails: vec!["john.smith@example.com".into()],
        ..SubjectInput::default()
    };
    Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap()
}

fn dialect(db: &str) -> MsSql {
    let mut d = MsSql {
        database: Some(Ident::parse(db).unwrap()),
        families: HashMap::new(),
    };
    d.families.insert("Pkey".into(), Family::Guid);
    d.families.insert("CallStartTime".into(), Family::Date);
    d.families.insert("Duration".into(), Family::Other);
    d
}

/// Nothing but T-SQL: no PostgreSQL or SQLite syntax, every placeholder
/// bound exactly once, in order.
fn assert_tsql(r: &Rendered) {
    let lower = r.sql.to_lowercase();
    for bad in [
        " limit ",
        "||",
        "returning",
        "$1",
        "::",
        "is not distinct",
        "regexp",
        "btrim",
        "ilike",
        " any(",
    ] {
        assert!(!lower.contains(bad), "`{bad}` in {}", r.sql);
    }
    assert!(!r.sql.contains(OPEN) && !r.sql.contains(CLOSE));
    assert!(r.params.len() <= MAX_PARAMS);
    for n in 1..=r.params.len() {
        assert_eq!(
            r.sql.matches(&format!("@P{n}")).count()
                - r.sql.matches(&format!("@P{n}0")).count()
                - (1..10)
                    .map(|k| r.sql.matches(&format!("@P{n}{k}")).count())
                    .sum::<usize>(),
            1,
            "@P{n} in {}",
            r.sql
        );
    }
}

#[test]
fn select_expands_lists_into_placeholders() {
    let (t, db) = preset("ccm-lc-trace").unwrap();
    let d = dialect(db);
    let layout = Layout::new(&t, true);
    let s = select(&d, &t, &layout, &Needles::new(&[john()])).unwrap();
    let r = render(&s).unwrap();
    assert_tsql(&r);
    assert!(
        r.sql
            .starts_with("select cast(t.[Pkey] as nvarchar(36)), t.[ANI], "),
        "{}",
        r.sql
    );
    assert!(r
        .sql
        .contains("convert(nvarchar(40), t.[CallStartTime], 126)"));
    assert!(r.sql.contains("cast(t.[Duration] as nvarchar(100))"));
    assert!(r
        .sql
        .contains(" from [CCMStatisticalData].[dbo].[tblData_LC_Trace] as t where "));
    assert!(r.sql.contains(
        "replace(replace(replace(replace(replace(replace(replace(t.[ANI], ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''), '/', '') in (@P"
    ), "{}", r.sql);
    assert!(
        r.sql.contains("upper(ltrim(rtrim(t.[CallerName]))) in (@P"),
        "{}",
        r.sql
    );
    assert!(r
        .sql
        .contains("lower(ltrim(rtrim(t.[ContactEmail]))) in (@P"));
    assert!(r
        .params
        .contains(&MsParam::Text(Some("01632960855".into()))));
    assert!(
        r.params
            .contains(&MsParam::Text(Some("SMITH, JOHN".into())))
            || r.params.contains(&MsParam::Text(Some("JOHN SMITH".into())))
    );
}

#[test]
fn free_text_is_searched_with_like_patterns() {
    let (t, db) = preset("ccm-lc-note").unwrap();
    let s = select(
        &dialect(db),
        &t,
        &Layout::new(&t, false),
        &Needles::new(&[john()]),
    )
    .unwrap();
    let r = render(&s).unwrap();
    assert_tsql(&r);
    assert!(
        r.sql.contains(
            "(upper(t.[NoteText]) like @P1 escape '\\' or upper(t.[NoteText]) like @P2 escape '\\'"
        ),
        "{}",
        r.sql
    );
    assert!(r.sql.contains("replace(t.[NoteText], ' ', '')"));
    assert!(
        r.sql.contains("like @P") && r.params.contains(&MsParam::Text(Some("%2960855%".into())))
    );
    assert!(
        r.params
            .contains(&MsParam::Text(Some("%JOHN.SMITH@EXAMPLE.COM%".into()))),
        "patterns upper-cased"
    );
}

fn changes(n: usize, personal: usize, set: &[usize]) -> Vec<RowChange> {
    (0..n)
        .map(|i| RowChange {
            key: format!("00000000-0000-0000-0000-{i:012}"),
            old: vec![Some("x".into()); personal],
            new: (0..personal)
                .map(|c| set.contains(&c).then_some(None))
                .collect(),
        })
        .collect()
}

#[test]
fn updates_join_a_derived_table_of_rows_and_guard_what_was_read() {
    let (t, db) = preset("ccm-ca-trace").unwrap();
    let d = dialect(db);
    let layout = Layout::new(&t, false);
    let n = layout.personal().count();
    let s = update(
        &d,
        &t,
        &layout,
        &ColumnTypes::default(),
        &changes(2, n, &[0, 1]),
    );
    let r = render(&s).unwrap();
    assert_tsql(&r);
    assert!(r.sql.starts_with("update [CCMData].[dbo].[tblData_CA_Trace] set [ANI] = case when (m.f & 1) <> 0 then @P"), "{}", r.sql);
    assert!(
        r.sql.contains("else [tblData_CA_Trace].[AccountCode] end")
            && r.sql.contains("else [tblData_CA_Trace].[ANI] end")
    );
    // Placeholders number in order of appearance: the SET's scalars first.
    assert!(
        r.sql
            .contains(" from (select @P3 as k, @P4 as f, @P5 as o0"),
        "{}",
        r.sql
    );
    assert!(r.sql.contains(" union all select @P"));
    assert!(!r.sql.contains(" t.["), "no alias left: {}", r.sql);
    assert!(r.sql.contains(") as m where [tblData_CA_Trace].[Pkey] = m.k and ([tblData_CA_Trace].[ANI] = m.o0 or ([tblData_CA_Trace].[ANI] is null and m.o0 is null))"), "{}", r.sql);
    assert_eq!(r.params[3], MsParam::Int(3), "both columns change in row 1");
    assert_eq!(r.params[0], MsParam::Text(None), "one NULL for all rows");
}

#[test]
fn deletes_join_the_same_row_source() {
    let (t, db) = preset("ccm-outbound-trace").unwrap();
    let layout = Layout::new(&t, false);
    let n = layout.personal().count();
    let r = render(&delete(
        &dialect(db),
        &t,
        &layout,
        &ColumnTypes::default(),
        &changes(3, n, &[]),
    ))
    .unwrap();
    assert_tsql(&r);
    assert!(r.sql.starts_with("delete from [CCMData].[dbo].[tblData_OutboundTrace] where exists (select 1 from (select @P1 as k, "), "{}", r.sql);
    assert!(
        r.sql
            .contains(") as m where [tblData_OutboundTrace].[Pkey] = m.k and "),
        "{}",
        r.sql
    );
    assert_eq!(r.params.len(), 3 * (1 + n));
}

#[test]
fn tables_default_to_dbo_and_the_login_database() {
    let d = MsSql::default();
    assert_eq!(
        d.table(&TableName::parse("ConversationSummary").unwrap()),
        "[dbo].[ConversationSummary]"
    );
    assert_eq!(d.table(&TableName::parse("rpt.X").unwrap()), "[rpt].[X]");
}
