//! The configuration file: TOML whose keys are the flags' long names (`sync-interval = 5`,
//! `trusted-proxy = ["10.0.0.0/8"]`, `self-heal = true`). Its values become the flags'
//! defaults, so a flag or a `GEOREP_*` variable given still wins, and each value goes through
//! the flag's own parser (the same ranges, addresses and CIDR blocks as on the command line).
//! A key no flag has, or a value its flag refuses, is an error naming the file, the line and
//! the key.
use std::collections::BTreeMap;
use std::path::Path;

use clap::{Arg, ArgAction, Command};
use toml::{Spanned, Value};

/// Read when neither `--config` nor `GEOREP_CONFIG` names a file, if it exists.
pub const DEFAULT_PATH: &str = "/etc/georep/georep.toml";

/// Arguments that are not settings: no key in the file.
const NOT_KEYS: [&str; 3] = ["config", "help", "version"];

/// Where a key's flag lives: on the root command (global: every subcommand reads it) or on
/// `serve`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scope {
    Global,
    Serve,
}

/// The settings a file may hold: each flag's long name, where it lives, and the flag.
fn keys(cmd: &Command) -> Vec<(String, Scope, Arg)> {
    let serve = cmd
        .find_subcommand("serve")
        .expect("georep has a serve command");
    let setting = |a: &&Arg| {
        a.get_long().is_some() && !NOT_KEYS.contains(&a.get_id().as_str()) && !a.is_hide_set()
    };
    let global = cmd
        .get_arguments()
        .filter(setting)
        .map(|a| (Scope::Global, a));
    let served = serve
        .get_arguments()
        .filter(setting)
        .map(|a| (Scope::Serve, a));
    global
        .chain(served)
        .map(|(scope, a)| (a.get_long().unwrap().to_owned(), scope, a.clone()))
        .collect()
}

/// The key names, for `--help`-like listings and the error on an unknown key.
pub fn key_names(cmd: &Command) -> Vec<String> {
    keys(cmd).into_iter().map(|(k, _, _)| k).collect()
}

/// `cmd` with the values of the config file `path` as its flags' defaults.
pub fn apply(cmd: Command, path: &Path) -> Result<Command, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
    apply_text(cmd, path, &text)
}

/// The same with the file's text.
pub fn apply_text(mut cmd: Command, path: &Path, text: &str) -> Result<Command, String> {
    let file = path.display();
    let line = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
    let table: BTreeMap<Spanned<String>, Spanned<Value>> =
        toml::from_str(text).map_err(|e| match e.span() {
            Some(span) => format!("{file}: line {}: {}", line(span.start), e.message().trim()),
            None => format!("{file}: {}", e.message().trim()),
        })?;
    let known = keys(&cmd);
    for (key, value) in &table {
        let at = |what: String| format!("{file}: line {}: {what}", line(key.span().start));
        let Some((_, scope, arg)) = known.iter().find(|(k, _, _)| k == key.get_ref()) else {
            return Err(at(format!(
                "unknown key `{}` (the keys are the flags' long names: {})",
                key.get_ref(),
                key_names(&cmd).join(", ")
            )));
        };
        let values = strings(arg, value.get_ref())
            .map_err(|e| at(format!("`{key}`: {e}", key = key.get_ref())))?;
        for v in &values {
            check(arg, v)
                .map_err(|e| at(format!("`{}`: invalid value {v:?}: {e}", key.get_ref())))?;
        }
        let id = arg.get_id().clone();
        let set = move |a: Arg| a.default_values(values);
        cmd = match scope {
            Scope::Global => cmd.mut_arg(id, set),
            Scope::Serve => cmd.mut_subcommand("serve", |s| s.mut_arg(id, set)),
        };
    }
    Ok(cmd)
}

/// A TOML value as the words the flag would get: a boolean for a switch, a list (or one
/// string) for a flag that repeats, a string or a number for the others.
fn strings(arg: &Arg, value: &Value) -> Result<Vec<String>, String> {
    let word = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Integer(i) => Ok(i.to_string()),
        Value::Float(f) => Ok(f.to_string()),
        other => Err(format!(
            "expected a string or a number, not {}",
            other.type_str()
        )),
    };
    match (arg.get_action(), value) {
        (ArgAction::SetTrue, Value::Boolean(b)) => Ok(vec![b.to_string()]),
        (ArgAction::SetTrue, other) => {
            Err(format!("expected true or false, not {}", other.type_str()))
        }
        (ArgAction::Append, Value::Array(items)) => items.iter().map(word).collect(),
        (_, v) => word(v).map(|w| vec![w]),
    }
}

/// `value` through the flag's own parser (its error says why not: `0 is not in 1..=3600`).
fn check(arg: &Arg, value: &str) -> Result<(), String> {
    use std::error::Error;
    let probe = Command::new("georep-config").no_binary_name(true).arg(
        Arg::new("value")
            .long("value")
            .action(ArgAction::Set)
            .value_parser(arg.get_value_parser().clone()),
    );
    match probe.try_get_matches_from([format!("--value={value}")]) {
        Ok(_) => Ok(()),
        Err(e) => Err(match e.source() {
            Some(why) => why.to_string(),
            // clap's own wording, without its `error:` and usage lines
            None => e
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::CommandFactory;

    use crate::config::{Cli, Command, LoadError};

    const FILE: &str = "/etc/georep/test.toml";

    fn refused(text: &str) -> String {
        super::apply_text(Cli::command(), Path::new(FILE), text)
            .map(|_| ())
            .expect_err(text)
    }

    #[test]
    fn bad_keys_and_values_name_the_file_the_line_and_the_key() {
        let cases = [
            ("sync_interval = 5", "line 1: unknown key `sync_interval`"),
            ("\n[serve]\nlisten = \"x\"", "line 2: unknown key `serve`"),
            (
                "\nsync-interval = 0",
                "line 2: `sync-interval`: invalid value \"0\": 0 is not in 1..=3600",
            ),
            (
                "listen = \"localhost\"",
                "line 1: `listen`: invalid value \"localhost\": invalid socket address syntax",
            ),
            (
                "self-heal = \"yes\"",
                "line 1: `self-heal`: expected true or false, not string",
            ),
            (
                "probe-interval = true",
                "line 1: `probe-interval`: expected a string or a number, not boolean",
            ),
            (
                "trusted-proxy = [\"10.0.0.0/8\", \"nope\"]",
                "line 1: `trusted-proxy`: invalid value \"nope\"",
            ),
            ("listen = ", "line 1: string values must be quoted"),
        ];
        for (text, says) in cases {
            let e = refused(text);
            assert!(e.starts_with(&format!("{FILE}: {says}")), "{text:?}: {e}");
            assert_eq!(e.lines().count(), 1, "one line: {e}");
        }
        // the unknown key's error lists the keys there are
        assert!(refused("x = 1").contains("sync-interval, admin-password-file"));
    }

    fn load(file: &str, args: &[&str]) -> Result<Cli, LoadError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("georep.toml");
        std::fs::write(&path, file).unwrap();
        let mut argv = vec!["georep", "--config", path.to_str().unwrap()];
        argv.extend_from_slice(args);
        Cli::load_from(argv, Path::new("/nonexistent"))
    }

    fn serve(cli: Cli) -> crate::config::ServeArgs {
        match cli.command {
            Some(Command::Serve(s)) => s,
            other => panic!("not serve: {other:?}"),
        }
    }

    /// The file gives the defaults: a flag wins over it, a key not given keeps the built-in
    /// default, and no subcommand is `serve` with the file's values.
    #[test]
    fn the_file_is_below_the_flags_and_above_the_defaults() {
        let file = "gluster-timeout = 7\nsync-interval = 9\nself-heal = true\n\
                    trusted-proxy = [\"10.0.0.0/8\", \"192.0.2.1\"]\nprobe-interval = 0\n";
        let cli = load(file, &["serve", "--sync-interval", "11"]).unwrap();
        assert_eq!(cli.gluster.timeout, 7);
        let s = serve(cli);
        assert_eq!(s.sync_interval, 11, "the flag wins");
        assert!(s.health.self_heal);
        assert_eq!(s.health.probe_interval, 0);
        assert_eq!(s.health.lag_threshold, 300, "not in the file: the default");
        let proxies: Vec<String> = s.trusted_proxies.iter().map(|p| p.to_string()).collect();
        assert_eq!(proxies, ["10.0.0.0/8", "192.0.2.1/32"]);
        // a global key reaches every command; no subcommand is serve
        let cli = load(file, &["--gluster-timeout", "8"]).unwrap();
        assert_eq!(cli.gluster.timeout, 8);
        assert_eq!(serve(cli).sync_interval, 9);
        let cli = load(file, &["user", "list"]).unwrap();
        assert_eq!(cli.gluster.timeout, 7);
        // the two TLS files go together wherever they come from
        let Err(LoadError::File(e)) = load("tls-cert = \"/c.pem\"\n", &["serve"]) else {
            panic!("a certificate without its key")
        };
        assert!(e.contains("tls-cert and tls-key go together"), "{e}");
    }

    /// The file named, the default file only if it exists, and install and uninstall read none
    /// (an upgrade keeps a config file the new version might refuse: install checks it itself).
    #[test]
    fn which_file_is_read() {
        let Err(LoadError::File(e)) = load("bogus = 1", &["user", "list"]) else {
            panic!("a bad file is refused")
        };
        assert!(e.contains("unknown key `bogus`"), "{e}");
        assert!(load("bogus = 1", &["install", "--root", "/tmp/x"]).is_ok());
        assert!(load("bogus = 1", &["uninstall", "--root", "/tmp/x"]).is_ok());

        let dir = tempfile::tempdir().unwrap();
        let default = dir.path().join("georep.toml");
        let cli = Cli::load_from(["georep", "sync"], &default).unwrap();
        assert_eq!(cli.gluster.timeout, 30, "no default file: the defaults");
        std::fs::write(&default, "gluster-timeout = 12\n").unwrap();
        let cli = Cli::load_from(["georep", "sync"], &default).unwrap();
        // the tests may not change the environment: where the scripts set GEOREP_CONFIG
        // (scripts/env.sh: /dev/null), it is the variable that wins over the default file
        match std::env::var("GEOREP_CONFIG")
            .ok()
            .filter(|v| !v.is_empty())
        {
            None => assert_eq!(cli.gluster.timeout, 12, "the default file when it exists"),
            Some(v) if v == "/dev/null" => {
                assert_eq!(
                    cli.gluster.timeout, 30,
                    "GEOREP_CONFIG wins over the default"
                )
            }
            Some(v) => eprintln!("GEOREP_CONFIG={v}: the default file is not tried"),
        }
        let cli = Cli::load_from(["georep", "--config", "/dev/null", "sync"], &default).unwrap();
        assert_eq!(cli.gluster.timeout, 30, "--config /dev/null: no file");
        let Err(LoadError::File(e)) = Cli::load_from(
            ["georep", "--config", "/nonexistent.toml", "sync"],
            &default,
        ) else {
            panic!("a named file that is missing is an error")
        };
        assert!(
            e.starts_with("cannot read the config file /nonexistent.toml"),
            "{e}"
        );
    }

    /// The config file `install` writes documents every key (each commented line is a flag's
    /// long name), and all of it, uncommented, is a valid file.
    #[test]
    fn the_installed_config_names_every_key() {
        let uncommented: String = crate::install::CONFIG
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|l| l.contains(" = "))
                    .unwrap_or(l)
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let table: toml::Table = uncommented.parse().unwrap();
        let mut in_file: Vec<&str> = table.keys().map(String::as_str).collect();
        let mut keys = super::key_names(&Cli::command());
        in_file.sort();
        keys.sort();
        assert_eq!(in_file, keys);
        super::apply_text(Cli::command(), Path::new("georep.toml"), &uncommented).unwrap();
    }
}
