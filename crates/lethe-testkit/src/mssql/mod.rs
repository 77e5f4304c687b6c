//! The contact-center suite's SQL Server databases as fixtures: the DDL of
//! `CCMData` and `CCMStatisticalData` (data-map.md A1, `fixtures/mssql/`),
//! a deterministic generator of rows for the eight tables with planted
//! people whose row counts are known ([`generate`]), and the multi-row
//! `INSERT` statements that load them ([`insert_batches`]), each under SQL
//! Server's limits (2,100 parameters, 1,000 rows per `VALUES`).
//!
//! The statements are plain T-SQL with `@P1…` parameters, so any TDS
//! client runs them: the tests through tiberius against the TDS test
//! server, docker-compose's loader against a real SQL Server 2022.

mod rows;

pub use rows::{generate, CcmFixture, Planted, Table};

/// DDL of `CCMData`: the four trace tables, in schema `dbo`.
pub const CCMDATA_SQL: &str = include_str!("../../fixtures/mssql/ccmdata.sql");
/// DDL of `CCMStatisticalData`: conversation summaries and life-cycle tables.
pub const CCMSTATISTICALDATA_SQL: &str =
    include_str!("../../fixtures/mssql/ccmstatisticaldata.sql");

/// Most parameters per `INSERT`: under SQL Server's 2,100.
pub const MAX_INSERT_PARAMS: usize = 2_000;
/// SQL Server accepts at most 1,000 row constructors in one `VALUES`.
const MAX_VALUES_ROWS: usize = 1_000;

/// The DDL of `database` (`CCMData` or `CCMStatisticalData`), one
/// statement per element, comments removed: run each in that database.
pub fn ddl(database: &str) -> Vec<String> {
    let text = match database {
        "CCMData" => CCMDATA_SQL,
        "CCMStatisticalData" => CCMSTATISTICALDATA_SQL,
        _ => return Vec::new(),
    };
    let body: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    body.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One `INSERT` with its parameters (every value text or NULL; SQL
/// Server converts text to each column's type).
#[derive(Debug, Clone)]
pub struct Insert {
    pub sql: String,
    pub params: Vec<Option<String>>,
}

/// `INSERT INTO [db].[dbo].[table] ([c1], …) VALUES (@P1, …), (…)` for
/// all rows of `t`, split under the parameter and row limits.
pub fn insert_batches(t: &Table) -> Vec<Insert> {
    let width = t.columns.len().max(1);
    let per = (MAX_INSERT_PARAMS / width).clamp(1, MAX_VALUES_ROWS);
    let columns: Vec<String> = t.columns.iter().map(|c| format!("[{c}]")).collect();
    t.rows
        .chunks(per)
        .map(|chunk| {
            let mut sql = format!(
                "INSERT INTO [{}].[dbo].[{}] ({}) VALUES ",
                t.database,
                t.name,
                columns.join(", ")
            );
            let mut params = Vec::with_capacity(chunk.len() * width);
            for (r, row) in chunk.iter().enumerate() {
                if r > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for (c, v) in row.iter().enumerate() {
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    params.push(v.clone());
                    sql.push_str(&format!("@P{}", params.len()));
                }
                sql.push(')');
            }
            Insert { sql, params }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_has_the_eight_tables() {
        let all: Vec<String> = ["CCMData", "CCMStatisticalData"]
            .iter()
            .flat_map(|d| ddl(d))
            .collect();
        assert_eq!(all.len(), 8);
        assert!(all.iter().all(|s| s.starts_with("CREATE TABLE dbo.")));
        assert!(
            !CCMSTATISTICALDATA_SQL.to_lowercase().contains("(max)")
                || CCMSTATISTICALDATA_SQL.contains("-- NoteText")
        );
    }

    #[test]
    fn inserts_stay_under_the_limits() {
        let f = generate(7, 500);
        for t in &f.tables {
            let batches = insert_batches(t);
            assert_eq!(
                batches.iter().map(|b| b.params.len()).sum::<usize>(),
                t.rows.len() * t.columns.len()
            );
            for b in batches {
                assert!(b.params.len() <= MAX_INSERT_PARAMS);
                assert!(b.sql.ends_with(')'));
            }
        }
    }
}
