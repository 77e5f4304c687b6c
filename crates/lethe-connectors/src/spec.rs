//! What every `[[section]]` table resolver shares: a table without
//! `preset` must say everything a preset would, and a given field replaces
//! the preset's value.

/// Fails, naming every missing field, when a table of `section` without
/// `preset` leaves out a field it needs; `fields` pairs each needed field
/// with whether it is absent.
pub(crate) fn required_without_preset(
    section: &str,
    fields: &[(&str, bool)],
) -> Result<(), String> {
    let missing: Vec<&str> = fields
        .iter()
        .filter_map(|(field, absent)| absent.then_some(*field))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = fields.iter().map(|(f, _)| format!("`{f}`")).collect();
    let needs = match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    Err(format!(
        "a `[[{section}]]` table without `preset` needs {needs}; missing: {}",
        missing.join(", ")
    ))
}

/// Replaces `slot` with `value` when the table gives one.
pub(crate) fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_what_is_needed_and_what_is_missing() {
        assert!(required_without_preset("x", &[("name", false)]).is_ok());
        let e = required_without_preset(
            "files",
            &[("name", true), ("root", false), ("format", true)],
        )
        .unwrap_err();
        assert_eq!(
            e,
            "a `[[files]]` table without `preset` needs `name`, `root` and `format`; missing: name, format"
        );
    }
}
