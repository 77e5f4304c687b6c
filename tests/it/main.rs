//! End-to-end tests of lethe: the `lethe` binary as a process (its
//! configuration, commands, the kill test) and the whole service in-process
//! over a demo estate on disk.

mod callbacks;
mod cli;
mod clock_skew;
mod cloudlink_estate;
mod compose;
mod demo;
mod demo_server;
mod disk_full;
mod erasure;
mod es_estate;
mod estate;
mod failures;
mod generated_client;
mod kill;
mod kill_estate;
mod mssql_demo;
mod mssql_estate;
mod outage;
mod pgstore;
mod restarts;
mod scale_out;
mod schema_fuzz;
mod whole_estate;
