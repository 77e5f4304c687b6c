//! `lethe`: finds, exports and verifiably erases one person across a Mitel
//! contact-center estate. This binary wires configuration, the store and the
//! API together; the work lives in the crates.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
