use std::process::ExitCode;

use clap::Parser;
use georep::config::{Cli, ClusterCommand, Command, RoleArg, ServeArgs, TokenCommand, UserCommand};
use georep::service::auth::Role;
use georep::service::Service;
use georep::store::Store;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    georep::telemetry::init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("georep: {message}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Parser)]
struct DefaultServe {
    #[command(flatten)]
    serve: ServeArgs,
}

async fn run(cli: Cli) -> Result<(), String> {
    let store = Store::open(&cli.database)
        .await
        .map_err(|e| e.to_string())?;
    // ssh host keys in georep's own file beside the database (gluster/known_hosts.rs)
    let gluster = georep::gluster::Gluster::new(cli.gluster.command.clone(), cli.gluster.timeout())
        .with_known_hosts(georep::gluster::KnownHosts::beside(&cli.database));
    let service = Service::new(store, gluster);
    // no subcommand means `serve`, with its flags' environment variables still read
    let command = cli
        .command
        .unwrap_or_else(|| Command::Serve(DefaultServe::parse_from(["georep"]).serve));
    match command {
        Command::Serve(args) => georep::startup::serve(&args, service, &cli.database)
            .await
            .map_err(|e| e.to_string()),
        Command::Cluster(ClusterCommand::Add {
            name,
            host,
            connection,
            description,
            no_verify,
        }) => {
            let c = service
                .register_cluster(
                    app::domain::NewCluster {
                        name,
                        description,
                        host,
                        connection: connection.into(),
                    },
                    !no_verify,
                )
                .await
                .map_err(|e| e.to_string())?;
            println!("{}\t{}", c.id, c.name);
            Ok(())
        }
        Command::Sync => {
            let mut failed = false;
            for (name, r) in georep::sync::sync_all(service.store(), service.gluster()).await {
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
        Command::User(UserCommand::Add {
            name,
            role,
            password_stdin,
        }) => {
            let role = match role {
                RoleArg::Admin => Role::Admin,
                RoleArg::Viewer => Role::Viewer,
            };
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
        Command::User(UserCommand::List) => {
            for u in service.list_users().await.map_err(|e| e.to_string())? {
                println!("{}\t{}", u.name, u.role.as_str());
            }
            Ok(())
        }
        Command::Token(TokenCommand::Add { user, name }) => {
            println!(
                "{}",
                service
                    .add_token(&user, &name)
                    .await
                    .map_err(|e| e.to_string())?
            );
            Ok(())
        }
        Command::User(UserCommand::Remove { name }) => {
            service.remove_user(&name).await.map_err(|e| e.to_string())
        }
        Command::Token(TokenCommand::List) => {
            for (id, user, name, at) in service.list_tokens().await.map_err(|e| e.to_string())? {
                println!(
                    "{id}\t{user}\t{name}\t{}",
                    at.format("%Y-%m-%d %H:%M:%S UTC")
                );
            }
            Ok(())
        }
        Command::Token(TokenCommand::Revoke { id }) => {
            service.revoke_token(id).await.map_err(|e| e.to_string())
        }
        Command::Cluster(ClusterCommand::AcceptHostKey { host, fingerprint }) => {
            let (before, now) = service
                .accept_host_key(&whoami(), &host, &fingerprint)
                .await
                .map_err(|e| e.to_string())?;
            println!("{host}\t{before} -> {now}");
            Ok(())
        }
        Command::Cluster(ClusterCommand::List) => {
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

/// Who runs a CLI command, for the audit trail (`cli:` and the login name).
fn whoami() -> String {
    let user = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}
