//! `lethe token`: a development token from the configured HS256 secret.

use anyhow::Context;
use clap::Args;
use lethe_api::Role;
use secrecy::ExposeSecret;

use super::Config;

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The token's subject (who acts).
    #[arg(long)]
    sub: String,
    /// A role to grant; repeat for several.
    #[arg(long = "role", value_parser = parse_role, required = true)]
    roles: Vec<Role>,
    /// Lifetime, e.g. `30m`, `1h`, `7d`.
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    ttl: u64,
}

fn parse_role(s: &str) -> Result<Role, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| format!("unknown role `{s}`: requester, approver, viewer or admin"))
}

/// Parses `90s`, `30m`, `1h`, `7d` (or plain seconds) into seconds.
pub fn parse_ttl(s: &str) -> Result<u64, String> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 30m or 1h"))?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{s}`: use s, m, h or d")),
    };
    Ok(n * mult)
}

/// Prints the token on standard output.
pub fn run(config: &Config, args: &TokenArgs) -> anyhow::Result<()> {
    let secret = config
        .auth
        .hs256_secret
        .as_ref()
        .context("auth.hs256_secret is not set (lethe.toml or LETHE__AUTH__HS256_SECRET)")?;
    let token = lethe_api::auth::mint_hs256(
        secret.expose_secret().as_bytes(),
        &args.sub,
        &args.roles,
        args.ttl,
    )?;
    println!("{token}");
    Ok(())
}
