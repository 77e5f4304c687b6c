//! End-to-end tests of the `lethe` binary: the real process, its
//! configuration from the environment, and its commands.

mod cli;
