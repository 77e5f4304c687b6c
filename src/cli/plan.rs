//! `lethe plan`: a dry run. Searches every configured target for a subject
//! given on the command line and prints what an erasure would do there,
//! without creating a request or changing anything.

use clap::Args;
use lethe_connectors::BatchSubject;
use lethe_domain::{Subject, SubjectInput};

use super::Config;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Email address (repeatable).
    #[arg(long = "email")]
    emails: Vec<String>,
    /// Phone number in any common shape (repeatable).
    #[arg(long = "phone")]
    phones: Vec<String>,
    /// Name, `First Last` or `LAST, First` (repeatable; weak on its own).
    #[arg(long = "name")]
    names: Vec<String>,
    /// Account or card number (repeatable).
    #[arg(long = "account-number")]
    account_numbers: Vec<String>,
    /// Windows account (repeatable).
    #[arg(long = "directory-account")]
    directory_accounts: Vec<String>,
    /// CloudLink user id (repeatable).
    #[arg(long = "cloudlink-user-id")]
    cloudlink_user_ids: Vec<String>,
}

pub async fn run(config: &Config, args: PlanArgs) -> anyhow::Result<()> {
    let input = SubjectInput {
        emails: args.emails,
        phones: args.phones,
        names: args.names,
        account_numbers: args.account_numbers,
        cloudlink_user_ids: args.cloudlink_user_ids,
        directory_accounts: args.directory_accounts,
    };
    let subject = Subject::parse(&input, super::work::region(config)?).map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("  {}: {}", e.pointer, e.detail))
            .collect();
        anyhow::anyhow!("the subject is not valid:\n{}", lines.join("\n"))
    })?;
    let catalog = super::work::catalog(config)?;
    if catalog.targets().is_empty() {
        anyhow::bail!(
            "no targets are configured: add [[files]], [[postgres]], [[mssql]], [[elasticsearch]] or [[manual]] tables to the configuration"
        );
    }
    println!("Identifiers searched:");
    for id in subject.identifiers() {
        let forms: Vec<String> = id
            .variants
            .iter()
            .map(|v| format!("{:?}", v.form))
            .collect();
        println!(
            "  {:<18} {:<24} forms: {}",
            id.kind.as_str(),
            id.hint,
            forms.join(", ")
        );
    }
    println!();
    println!(
        "{:<44} {:<10} {:>7} {:>6}  would",
        "target", "strategy", "found", "weak"
    );
    let batch = [BatchSubject {
        subject,
        include_weak: config.policy.erase_weak_matches,
    }];
    for t in catalog.targets() {
        // A person does the work there: nothing to search, only to say.
        if t.manual_for.contains(&lethe_domain::RequestKind::Erasure) {
            println!(
                "{:<44} {:<10} {:>7} {:>6}  manual step for {}",
                t.key(),
                "manual",
                "-",
                "-",
                t.recipients.join(", ")
            );
            println!("    {}", t.description);
            continue;
        }
        if t.is_manual() {
            continue;
        }
        let connector = catalog
            .connector(&t.connector)
            .expect("the catalog holds the connector of each target");
        match connector.discover(&t.name, &batch).await {
            Ok(found) => {
                let f = &found[0];
                let would = match (&t.strategy, f.to_erase(batch[0].include_weak)) {
                    (_, 0) if f.weak > 0 => "keep (name-only matches need an approver)".to_owned(),
                    (_, 0) => "nothing".to_owned(),
                    (lethe_domain::Strategy::Retain { ground }, _) => format!("retain: {ground}"),
                    (s, n) => format!("{} {n} item(s)", s.name()),
                };
                println!(
                    "{:<44} {:<10} {:>7} {:>6}  {would}",
                    t.key(),
                    t.strategy.name(),
                    f.matched,
                    f.weak
                );
                for p in &f.places {
                    println!("    {} ({} strong, {} weak)", p.place, p.items, p.weak);
                }
            }
            Err(e) => println!(
                "{:<44} {:<10} {:>7} {:>6}  error: {}",
                t.key(),
                t.strategy.name(),
                "-",
                "-",
                e.message
            ),
        }
    }
    Ok(())
}
