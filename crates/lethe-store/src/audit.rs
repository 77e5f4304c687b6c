//! CONTRACT STUB — helper implements.
