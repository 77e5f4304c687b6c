//! Placeholder: being written (issue 10 crash and fault suite).
