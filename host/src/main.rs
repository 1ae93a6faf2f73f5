//! `till-host`: serve the back office, migrate its database, create a merchant.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use till_host::{AppState, ServeOptions, db, portal};

#[derive(Debug, Parser)]
#[command(
    name = "till-host",
    version,
    about = "OpenTill back office: sync endpoint for tills and merchant portal"
)]
struct Cli {
    /// PostgreSQL connection URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        global = true,
        default_value = "postgres://opentill@127.0.0.1:55432/opentill"
    )]
    database_url: String,
    /// Address people reach the portal at (links in mail). Default: the listening address.
    #[arg(long, env = "TILL_HOST_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve the tills' API and the portal (the default).
    Serve {
        /// Where to listen; loopback by default.
        #[arg(long, env = "TILL_HOST_LISTEN", default_value = "127.0.0.1:8470")]
        listen: SocketAddr,
        /// PEM certificate chain: with --tls-key, serve HTTPS.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Minutes east of UTC for dates in the portal.
        #[arg(long, default_value_t = 480, allow_hyphen_values = true)]
        utc_offset_minutes: i32,
        /// Minutes after which an unused portal session is over.
        #[arg(long, env = "TILL_HOST_IDLE_MINUTES", default_value_t = till_host::DEFAULT_IDLE_MINUTES)]
        idle_minutes: i32,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Create a merchant and its owner; prints the owner's activation link (valid 72 hours).
    CreateMerchant {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Owner")]
        alias: String,
    },
    /// Publish a release on a channel: a package URL and its minisign signature (Tauri's form,
    /// or the .minisig/.sig file) per platform. The release key never comes near the host.
    PublishRelease {
        #[arg(long, default_value = "stable")]
        channel: String,
        #[arg(long)]
        version: String,
        #[arg(long, default_value = "")]
        notes: String,
        /// PLATFORM=URL=SIGNATURE_FILE, e.g. linux-x86_64=https://…/opentill_0.2.0_amd64.deb=pkg.deb.sig
        #[arg(long = "package", required = true)]
        packages: Vec<String>,
    },
    /// Choose the channel a shop's tills follow, or pin them to a published version.
    ShopUpdates {
        #[arg(long)]
        merchant: i64,
        #[arg(long)]
        shop: i64,
        #[arg(long, default_value = "stable")]
        channel: String,
        /// A published version; without it the shop follows the channel's newest.
        #[arg(long)]
        pin: Option<String>,
    },
}

/// `PLATFORM=URL=SIGNATURE_FILE` (the URL may itself hold '=': the last one splits the file).
fn package(arg: &str) -> anyhow::Result<(String, till_sync::update::Package)> {
    let (platform, rest) = arg.split_once('=').context("--package PLATFORM=URL=SIGNATURE_FILE")?;
    let (url, file) = rest.rsplit_once('=').context("--package PLATFORM=URL=SIGNATURE_FILE")?;
    let signature = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
    Ok((
        platform.to_owned(),
        till_sync::update::Package {
            url: url.to_owned(),
            signature: signature.trim().to_owned(),
        },
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let cmd = cli.cmd.unwrap_or(Cmd::Serve {
        listen: "127.0.0.1:8470".parse()?,
        tls_cert: None,
        tls_key: None,
        utc_offset_minutes: 480,
        idle_minutes: till_host::DEFAULT_IDLE_MINUTES,
    });
    match cmd {
        Cmd::Serve {
            listen,
            tls_cert,
            tls_key,
            utc_offset_minutes,
            idle_minutes,
        } => {
            let opts = ServeOptions {
                listen,
                database_url: cli.database_url,
                public_url: cli.public_url,
                utc_offset_minutes,
                tls: tls_cert.zip(tls_key),
                idle_minutes,
            };
            till_host::serve(opts).await.context("till-host")?;
        }
        Cmd::Migrate => {
            let pool = db::connect(&cli.database_url, 1).await.context("connecting")?;
            db::migrate(&pool).await.context("migrating")?;
            println!("database is up to date");
        }
        Cmd::CreateMerchant { name, email, alias } => {
            let pool = db::connect(&cli.database_url, 1).await.context("connecting")?;
            db::migrate(&pool).await.context("migrating")?;
            let public_url = cli.public_url.unwrap_or_else(|| "http://127.0.0.1:8470".to_owned());
            let state = AppState::load(pool, public_url, 480).await?;
            let link = portal::create_merchant(&state, &name, &email, &alias).await?;
            println!("{link}");
        }
        Cmd::PublishRelease {
            channel,
            version,
            notes,
            packages,
        } => {
            let packages = packages.iter().map(|p| package(p)).collect::<anyhow::Result<_>>()?;
            let pool = db::connect(&cli.database_url, 1).await.context("connecting")?;
            db::migrate(&pool).await.context("migrating")?;
            let release = till_host::updates::Release {
                channel,
                version,
                notes,
                packages,
            };
            till_host::updates::publish(&pool, &release).await?;
            println!("published {} on {}", release.version, release.channel);
        }
        Cmd::ShopUpdates {
            merchant,
            shop,
            channel,
            pin,
        } => {
            let pool = db::connect(&cli.database_url, 1).await.context("connecting")?;
            db::migrate(&pool).await.context("migrating")?;
            till_host::updates::set_shop_policy(&pool, merchant, shop, &channel, pin.as_deref()).await?;
            println!(
                "shop {shop}: channel {channel}{}",
                pin.map(|p| format!(", pinned to {p}")).unwrap_or_default()
            );
        }
    }
    Ok(())
}
