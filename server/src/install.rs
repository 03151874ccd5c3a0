//! `georep install` and `georep uninstall`: the binary, the site, the systemd unit, the config
//! file and the data folder in their places (README "Install"), under `--root` as if it were
//! `/` (the files name their final paths, as a package's staging folder would hold them).
//! Files only: nothing is started, enabled or reloaded here (the admin runs `systemctl`).
use std::path::{Path, PathBuf};

use crate::config::{InstallArgs, UninstallArgs};

/// The unit and the first config file, as `server/dist/` holds them.
pub const UNIT: &str = include_str!("../dist/georep.service");
pub const CONFIG: &str = include_str!("../dist/georep.toml");

/// Where each part goes (absolute, final paths: `under` puts them below a root).
pub const BINARY: &str = "/usr/local/bin/georep";
pub const SITE: &str = "/usr/local/share/georep/site";
pub const SHARE: &str = "/usr/local/share/georep";
pub const UNIT_FILE: &str = "/etc/systemd/system/georep.service";
/// The link `systemctl enable` makes (removed with the unit if `disable` was forgotten).
const UNIT_WANTS: &str = "/etc/systemd/system/multi-user.target.wants/georep.service";
pub const CONFIG_DIR: &str = "/etc/georep";
pub const CONFIG_FILE: &str = "/etc/georep/georep.toml";
pub const DATA_DIR: &str = "/var/lib/georep";

/// The final path `path` under `root`.
pub fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// `georep install`: checks the site and a config file it keeps first, then puts each part
/// in place; a file replaced is replaced whole (written beside, renamed over), so a running
/// georep keeps its binary and a page its site files until the restart.
pub fn install(args: &InstallArgs) -> Result<(), String> {
    let root = &args.root;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let site = match &args.site {
        Some(s) => s.clone(),
        // target/release/georep -> target/site, where cargo-leptos builds it
        None => exe
            .parent()
            .and_then(Path::parent)
            .map(|t| t.join("site"))
            .unwrap_or_else(|| "site".into()),
    };
    if !site.join("pkg").is_dir() {
        return Err(format!(
            "no built site in {} (no pkg/ folder): build it (`cargo leptos build --release`) \
             or name it with --site",
            site.display()
        ));
    }
    // cargo-leptos leaves the hashed names beside the binary; an installed site carries them
    let hashes = Some(site.join("hash.txt"))
        .filter(|h| h.is_file())
        .or_else(|| {
            exe.parent()
                .map(|d| d.join("hash.txt"))
                .filter(|h| h.is_file())
        });
    let config = under(root, CONFIG_FILE);
    let keep_config = config.exists();
    if keep_config {
        // an upgrade with a config file the new georep refuses would leave a unit that fails
        use clap::CommandFactory;
        crate::config::file::apply(crate::config::Cli::command(), &config)
            .map_err(|e| format!("refused, the config file kept would stop georep: {e}"))?;
    }

    let binary = under(root, BINARY);
    replace_file(&binary, 0o755, |new| std::fs::copy(&exe, new).map(drop))?;
    say("installed", &binary);
    let installed_site = under(root, SITE);
    replace_site(&site, hashes.as_deref(), &installed_site)?;
    say("installed", &installed_site);
    let unit = under(root, UNIT_FILE);
    replace_file(&unit, 0o644, |new| std::fs::write(new, UNIT))?;
    say("installed", &unit);
    if keep_config {
        say("kept", &config);
    } else {
        replace_file(&config, 0o644, |new| std::fs::write(new, CONFIG))?;
        say("installed", &config);
    }
    let data = under(root, DATA_DIR);
    if data.is_dir() {
        say("kept", &data);
    } else {
        make_dir(&data, 0o700)?;
        say("made", &data);
    }
    if root == Path::new("/") {
        println!(
            "next: systemctl daemon-reload && systemctl enable --now georep (an upgrade: \
             systemctl restart georep); the first admin's password is then in \
             {DATA_DIR}/initial-admin-password"
        );
    }
    Ok(())
}

/// `georep uninstall`: the binary, the site, the unit; with `purge` the config and the data.
pub fn uninstall(args: &UninstallArgs) -> Result<(), String> {
    let root = &args.root;
    for path in [BINARY, UNIT_FILE, UNIT_WANTS] {
        remove(&under(root, path), false)?;
    }
    remove(&under(root, SHARE), true)?;
    for dir in [CONFIG_DIR, DATA_DIR] {
        let dir = under(root, dir);
        if args.purge {
            remove(&dir, true)?;
        } else if dir.exists() {
            say("kept", &dir);
        }
    }
    Ok(())
}

fn say(what: &str, path: &Path) {
    println!("{what}\t{}", path.display());
}

fn io(path: &Path, e: std::io::Error) -> String {
    format!("{}: {e}", path.display())
}

/// The folder `dir` with its parents, `mode` for `dir` itself.
fn make_dir(dir: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)
        .map_err(|e| io(dir, e))
}

/// `path` with `mode`, its content written by `write` beside it, then renamed over it.
fn replace_file(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().expect("an installed file has a folder");
    make_dir(dir, 0o755)?;
    let name = path.file_name().expect("a file name").to_string_lossy();
    let new = dir.join(format!(".{name}.new"));
    write(&new).map_err(|e| io(&new, e))?;
    std::fs::set_permissions(&new, std::fs::Permissions::from_mode(mode))
        .map_err(|e| io(&new, e))?;
    std::fs::rename(&new, path).map_err(|e| io(path, e))
}

/// The site `from` (with the hash file `hashes` in it) as `to`: copied beside, then swapped.
fn replace_site(from: &Path, hashes: Option<&Path>, to: &Path) -> Result<(), String> {
    let dir = to.parent().expect("the site has a folder");
    make_dir(dir, 0o755)?;
    let new = dir.join(".site.new");
    let old = dir.join(".site.old");
    for stale in [&new, &old] {
        remove_quietly(stale)?;
    }
    copy_tree(from, &new)?;
    if let Some(h) = hashes {
        let dest = new.join("hash.txt");
        std::fs::copy(h, &dest).map_err(|e| io(&dest, e))?;
    }
    if to.exists() {
        std::fs::rename(to, &old).map_err(|e| io(to, e))?;
    }
    std::fs::rename(&new, to).map_err(|e| io(to, e))?;
    remove_quietly(&old)
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    make_dir(to, 0o755)?;
    for entry in std::fs::read_dir(from).map_err(|e| io(from, e))? {
        let entry = entry.map_err(|e| io(from, e))?;
        let (src, dest) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_tree(&src, &dest)?;
        } else {
            std::fs::copy(&src, &dest).map_err(|e| io(&src, e))?;
        }
    }
    Ok(())
}

fn remove_quietly(path: &Path) -> Result<(), String> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(path, e)),
        _ => Ok(()),
    }
}

/// Removes `path` (a file or link; a folder with all it holds if `tree`), saying so.
fn remove(path: &Path, tree: bool) -> Result<(), String> {
    // symlink_metadata: the `enable` link is removed, never followed
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(());
    }
    let done = if tree && path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    done.map_err(|e| io(path, e))?;
    say("removed", path);
    Ok(())
}
