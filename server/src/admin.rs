//! The admin CLI: `georep cluster|sync|user|token …` against the service, `backup|restore`
//! on the database file (main.rs parses the command line and hands each subcommand here).
//! Results go to stdout, one tab-separated line per item; an error comes back as its message.
use std::path::Path;

use crate::config::{ClusterCommand, TokenCommand, UserCommand};
use crate::service::Service;

/// `georep cluster add|edit|remove|accept-host-key|list`.
pub async fn cluster(service: &Service, command: ClusterCommand) -> Result<(), String> {
    match command {
        ClusterCommand::Add {
            name,
            host,
            connection,
            description,
            ssh_user,
            ssh_port,
            no_verify,
        } => {
            let new = app::domain::NewCluster {
                name,
                description,
                host,
                connection: connection.into(),
                ssh_user,
                ssh_port,
            };
            let c = service
                .register_cluster(&whoami(), new, !no_verify)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}\t{}", c.id, c.name);
            Ok(())
        }
        ClusterCommand::Edit {
            cluster,
            name,
            description,
            ssh_user,
            ssh_port,
            no_verify,
        } => {
            let id = service
                .find_cluster(&cluster)
                .await
                .map_err(|e| e.to_string())?
                .id;
            let edit = app::domain::ClusterEdit {
                name,
                description,
                ssh_user,
                ssh_port,
                host_key: None,
            };
            let c = service
                .edit_cluster(&whoami(), id, edit, !no_verify)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{}\t{}\t{}\t{}\t{}",
                c.id,
                c.name,
                c.connection.as_str(),
                c.ssh_user,
                c.ssh_port
            );
            Ok(())
        }
        ClusterCommand::Remove { cluster, force } => {
            let id = service
                .find_cluster(&cluster)
                .await
                .map_err(|e| e.to_string())?
                .id;
            let r = service
                .remove_cluster(&whoami(), id, force)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{}\t{}\tremoved\t{} hosts\t{} volumes\t{} sessions",
                r.id, r.name, r.hosts, r.volumes, r.sessions
            );
            Ok(())
        }
        ClusterCommand::AcceptHostKey { host, fingerprint } => {
            let (before, now) = service
                .accept_host_key(&whoami(), &host, &fingerprint)
                .await
                .map_err(|e| e.to_string())?;
            println!("{host}\t{before} -> {now}");
            Ok(())
        }
        ClusterCommand::List => {
            for c in service.list_clusters().await.map_err(|e| e.to_string())? {
                println!(
                    "{}\t{}\t{}\t{}",
                    c.id,
                    c.name,
                    c.sync_state.as_str(),
                    c.sync_error.unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}

/// `georep sync`: every cluster once, a line each.
pub async fn sync(service: &Service) -> Result<(), String> {
    let mut failed = false;
    for (name, r) in service.sync_all().await {
        match r {
            Ok(rep) => println!(
                "{name}\tok\t{} writes\t{} changes",
                rep.writes,
                rep.changes.len()
            ),
            Err(e) => {
                failed = true;
                println!("{name}\terror\t{e}");
            }
        }
    }
    if failed {
        Err("some clusters could not be synced".into())
    } else {
        Ok(())
    }
}

/// `georep user add|list|remove`.
pub async fn user(service: &Service, command: UserCommand) -> Result<(), String> {
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
        } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .map_err(|e| format!("cannot read the password: {e}"))?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let (user, drawn) = service
                .add_user(&name, role, password)
                .await
                .map_err(|e| e.to_string())?;
            match drawn {
                Some(p) => println!("{}\t{}\tpassword: {p}", user.name, user.role.as_str()),
                None => println!("{}\t{}", user.name, user.role.as_str()),
            }
            Ok(())
        }
        UserCommand::List => {
            for u in service.list_users().await.map_err(|e| e.to_string())? {
                println!("{}\t{}", u.name, u.role.as_str());
            }
            Ok(())
        }
        UserCommand::Remove { name } => service.remove_user(&name).await.map_err(|e| e.to_string()),
    }
}

/// `georep token add|list|revoke`.
pub async fn token(service: &Service, command: TokenCommand) -> Result<(), String> {
    match command {
        TokenCommand::Add { user, name } => {
            println!(
                "{}",
                service
                    .add_token(&user, &name)
                    .await
                    .map_err(|e| e.to_string())?
            );
            Ok(())
        }
        TokenCommand::List => {
            for (id, user, name, at) in service.list_tokens().await.map_err(|e| e.to_string())? {
                println!(
                    "{id}\t{user}\t{name}\t{}",
                    at.format("%Y-%m-%d %H:%M:%S UTC")
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => service.revoke_token(id).await.map_err(|e| e.to_string()),
    }
}

/// `georep backup FILE`: the copy's size and migration level.
pub async fn backup(database: &Path, file: &Path) -> Result<(), String> {
    let c = crate::store::backup(database, file)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "{}\t{} bytes\tmigration {}",
        file.display(),
        c.bytes,
        c.migration
    );
    Ok(())
}

/// `georep restore FILE`: what replaced the database.
pub async fn restore(database: &Path, file: &Path) -> Result<(), String> {
    let c = crate::store::restore(database, file)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "{}\trestored from {}\t{} bytes\tmigration {}",
        database.display(),
        file.display(),
        c.bytes,
        c.migration
    );
    Ok(())
}

/// Who runs a CLI command, for the audit trail (`cli:` and the login name).
fn whoami() -> String {
    let user = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}
