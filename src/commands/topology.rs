//! `kafkalab topology`: the install layouts of vagrant/ and docker/, and each host's configs.

use std::path::Path;

use clap::Subcommand;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};

use crate::error::Error;
use crate::topology::{Role, Target, Topology};

#[derive(Debug, Subcommand)]
pub enum TopologyCommand {
    /// The topologies there are.
    List,
    /// The hosts of a topology: names, addresses, roles, ids.
    Show { name: String },
    /// A host's zoo.cfg, myid or server.properties, exactly as the provisioning scripts write it.
    Render {
        name: String,
        host: String,
        #[arg(value_parser = ["zoo.cfg", "myid", "server.properties"])]
        file: String,
        #[arg(long, value_enum, default_value = "vm")]
        target: Target,
    },
}

pub fn run(root: &Path, command: &TopologyCommand) -> Result<(), Error> {
    let load = |name: &str| Topology::load(&Topology::path(root, name)).map_err(Error::from);
    match command {
        TopologyCommand::List => {
            for name in Topology::names(root)? {
                let t = load(&name)?;
                println!("{name:8} {}", t.description);
            }
        }
        TopologyCommand::Show { name } => {
            let t = load(name)?;
            println!("{} — {}", t.name, t.description);
            println!(
                "ZooKeeper {} · Kafka {} (Scala {}) · {} · zookeeper.connect={}",
                t.zookeeper.version,
                t.kafka.version,
                t.kafka.scala,
                t.java_package,
                t.zookeeper_connect()
            );
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED).set_header([
                "host",
                "ip",
                "roles",
                "myid",
                "broker.id",
                "memory",
                "cpus",
            ]);
            for h in &t.hosts {
                let roles: Vec<&str> = h
                    .roles
                    .iter()
                    .map(|r| match r {
                        Role::Zookeeper => "zookeeper",
                        Role::Kafka => "kafka",
                    })
                    .collect();
                let id = |v: Option<u32>| v.map_or("-".to_string(), |i| i.to_string());
                table.add_row([
                    h.name.clone(),
                    h.ip.to_string(),
                    roles.join(", "),
                    id(h.zookeeper_id),
                    id(h.broker_id),
                    format!("{} MiB", h.memory_mb),
                    h.cpus.to_string(),
                ]);
            }
            println!("{table}");
        }
        TopologyCommand::Render {
            name,
            host,
            file,
            target,
        } => {
            let t = load(name)?;
            // Exactly what the provisioning scripts write on that host.
            let text = match file.as_str() {
                "zoo.cfg" => t.zoo_cfg(host)?,
                "server.properties" => t.server_properties(host, *target)?,
                _ => t.myid(host)?,
            };
            print!("{text}");
        }
    }
    Ok(())
}
