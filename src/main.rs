//! The `azpls` command: `server` (the language server on stdio), `check` (the same
//! analysis for files), `rules` (what each rule finds).

use azpls::analysis;
use azpls::cli;
use azpls::config::{self, Settings};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "azpls",
    version,
    about = "Azure Pipelines language server: which tasks will break with workload identity federation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the language server on stdin/stdout (what editors start).
    Server,
    /// Check pipeline files and print what will not work with workload identity federation.
    Check {
        /// Pipeline files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Which dated table of the document to apply (default: the newest).
        #[arg(long, value_name = "DATE")]
        wif_table: Option<String>,
    },
    /// List the rules, or explain one.
    Rules {
        /// A rule id, such as wif-deprecated-version.
        id: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Server => server(),
        Command::Check { files, wif_table } => check(&files, wif_table),
        Command::Rules { id } => rules(id.as_deref()),
    }
}

#[cfg(feature = "lsp")]
fn server() -> ExitCode {
    match azpls::lsp::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("azpls: cannot start the server: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(feature = "lsp"))]
fn server() -> ExitCode {
    eprintln!("azpls: this build has no language server (built without the `lsp` feature)");
    ExitCode::from(2)
}

fn check(files: &[PathBuf], wif_table: Option<String>) -> ExitCode {
    let start = files.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let settings = match config::load_for(&start) {
        Ok((settings, _)) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let cli_settings = Settings {
        wif: config::WifSettings { table: wif_table },
        ..Settings::default()
    };
    let config = match settings.merge(cli_settings).to_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    match cli::check::run(files, &config, &mut stdout.lock(), &mut stderr.lock()) {
        Ok(summary) if summary.errors > 0 => ExitCode::from(2),
        Ok(summary) if summary.findings > 0 => ExitCode::from(1),
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn rules(id: Option<&str>) -> ExitCode {
    match id {
        None => {
            for (rule, _) in analysis::RULES {
                println!("{:<26} {}", rule.id, rule.summary);
            }
            ExitCode::SUCCESS
        }
        Some(id) => match analysis::rule(id) {
            Some(rule) => {
                println!("{}: {}\n\n{}", rule.id, rule.summary, rule.explanation);
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("error: no rule \"{id}\"; `azpls rules` lists them");
                ExitCode::from(2)
            }
        },
    }
}
