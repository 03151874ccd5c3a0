//! A session's options.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::empty_is_none;
use crate::api::repr::Root;
use app::domain::SessionOption;

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "georeplication_options")]
pub struct Options {
    #[serde(rename = "option", default)]
    pub options: Vec<OptionDoc>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
pub struct AllowedValues {
    #[serde(rename = "value", default)]
    pub values: Vec<String>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "option")]
pub struct OptionDoc {
    #[serde(rename = "@id")]
    pub id_attr: String,
    #[serde(rename = "@href")]
    pub href: String,
    pub id: String,
    pub key: String,
    pub value: String,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub default_value: Option<String>,
    #[serde(default)]
    pub allowed_values: AllowedValues,
    pub read_only: bool,
    /// A command option: its value names a program, a command line or a path that gsyncd
    /// runs or writes as root on the session's nodes (ssh_command, rsync_options, …).
    #[serde(default)]
    pub command_option: bool,
    /// Why this server refuses to change it: command options while the server does not
    /// allow them (`serve --allow-command-options`); empty when it may be changed.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub refused_reason: Option<String>,
    /// Where the browser's options table shows it: common, advanced, command, read_only.
    #[serde(default)]
    pub group: String,
    /// gluster's own help text (gsyncd.conf), empty where it has none.
    #[serde(default)]
    pub description: String,
}

impl OptionDoc {
    pub fn new(session_href: &str, o: SessionOption) -> Self {
        OptionDoc {
            id_attr: o.key.clone(),
            href: format!("{session_href}/options/{}", o.key),
            id: o.key.clone(),
            default_value: o.default_value,
            allowed_values: AllowedValues {
                values: o.allowed_values,
            },
            read_only: o.read_only,
            command_option: o.command_option,
            refused_reason: o.refused_reason,
            group: o.group.to_string(),
            description: o.description,
            value: o.value,
            key: o.key,
        }
    }
}

/// `<option><value>5</value></option>`
#[derive(Deserialize, Serialize, ToSchema, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OptionBody {
    pub value: String,
}

impl Root for OptionBody {
    const ROOT: &'static str = "option";
}
