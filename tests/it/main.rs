//! End-to-end tests of lethe: the `lethe` binary as a process (its
//! configuration, commands, the kill test) and the whole service in-process
//! over a demo estate on disk.

mod callbacks;
mod cli;
mod cloudlink_estate;
mod compose;
mod demo;
mod demo_server;
mod erasure;
mod es_estate;
mod estate;
mod failures;
mod generated_client;
mod kill;
mod mssql_demo;
mod outage;
mod pgstore;
mod scale_out;
mod schema_fuzz;
mod whole_estate;
