//! `lethe audit verify`: walk the chain and name the first broken event.

use std::process::ExitCode;

use clap::Subcommand;

use super::Config;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every link of the audit chain; exits 2 at the first broken event.
    Verify {
        /// The head hash printed by an earlier run and kept outside lethe;
        /// when given, the current head must equal it (nothing appended or
        /// rewritten since).
        #[arg(long)]
        expect_head: Option<String>,
    },
}

pub async fn run(config: &Config, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { expect_head } = command;
    let store = super::serve::open_store(config).await?;
    let report = store.verify_audit().await?;
    if let Some(brk) = &report.first_break {
        println!("audit chain BROKEN: {brk}");
        return Ok(ExitCode::from(2));
    }
    if let Some(expected) = expect_head {
        if expected != report.head_hash {
            println!("audit chain head differs from the expected one: events were removed or rewritten after it was recorded");
            return Ok(ExitCode::from(2));
        }
    }
    println!(
        "audit chain intact: {} events, head seq {} hash {}",
        report.events, report.head_seq, report.head_hash
    );
    Ok(ExitCode::SUCCESS)
}
