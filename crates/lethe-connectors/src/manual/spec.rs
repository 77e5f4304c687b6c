//! [`ManualTargetSpec`]: a `[[manual]]` table of `lethe.toml` as written, a
//! preset name plus overrides, resolved into a [`ManualTarget`].

use lethe_domain::RequestKind;
use serde::Deserialize;

use super::presets::{preset, PRESET_NAMES};
use super::ManualTarget;
use crate::spec::{required_without_preset, set};

/// A `[[manual]]` table: every field optional. With `preset`, the preset
/// is the starting point and each given field replaces its value (lists
/// as a whole); `name` defaults to the preset's name. Without `preset`,
/// `name`, `instructions` and `recipient` are required. `on` defaults to
/// `["erasure"]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualTargetSpec {
    pub preset: Option<String>,
    pub name: Option<String>,
    /// What the person must do.
    pub instructions: Option<String>,
    /// Who does it or receives the instruction (Art. 19).
    pub recipient: Option<String>,
    pub categories: Option<Vec<String>>,
    pub on: Option<Vec<RequestKind>>,
    pub purposes: Option<Vec<String>>,
    pub retention: Option<String>,
}

impl ManualTargetSpec {
    /// A spec for `preset`, nothing overridden.
    pub fn preset(preset: &str) -> Self {
        Self {
            preset: Some(preset.to_owned()),
            ..Self::default()
        }
    }

    /// The target this table means, validated. Errors name the table and
    /// say what to fix.
    pub fn resolve(self) -> Result<ManualTarget, String> {
        let mut t = match &self.preset {
            Some(p) => preset(p).ok_or_else(|| {
                format!(
                    "unknown manual preset `{p}`; known presets: {}",
                    PRESET_NAMES.join(", ")
                )
            })?,
            None => {
                required_without_preset(
                    "manual",
                    &[
                        ("name", self.name.is_none()),
                        ("instructions", self.instructions.is_none()),
                        ("recipient", self.recipient.is_none()),
                    ],
                )?;
                ManualTarget {
                    name: String::new(),
                    instructions: String::new(),
                    recipient: String::new(),
                    categories: Vec::new(),
                    on: vec![RequestKind::Erasure],
                    purposes: Vec::new(),
                    retention: "not stated in the configuration".to_owned(),
                }
            }
        };
        set(&mut t.name, self.name);
        set(&mut t.instructions, self.instructions);
        set(&mut t.recipient, self.recipient);
        set(&mut t.categories, self.categories);
        set(&mut t.on, self.on);
        set(&mut t.purposes, self.purposes);
        set(&mut t.retention, self.retention);
        t.validate()?;
        Ok(t)
    }
}
