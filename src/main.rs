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
    /// Explain an error code (AADSTS700024), or every known error in a log read from stdin (-).
    ///
    /// Exit code: 0 explained (or, for a log, nothing known found), 1 a log held known
    /// errors, 2 unknown code or unreadable input.
    Explain {
        /// An error code such as AADSTS700024 (or 700024), or - to read a log on stdin.
        what: String,
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
        Command::Explain { what, wif_table } => explain(&what, wif_table),
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

fn explain(what: &str, wif_table: Option<String>) -> ExitCode {
    use azpls::cli::explain::{self, Outcome};
    let settings = Settings {
        wif: config::WifSettings { table: wif_table },
        ..Settings::default()
    };
    let config = match settings.to_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let kb = azpls::knowledge::knowledge();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = if what == "-" {
        explain::log(kb, config.table, std::io::stdin().lock(), &mut out)
    } else {
        explain::code(kb, config.table, what, &mut out)
    };
    match result {
        Ok(Outcome::Explained) if what == "-" => ExitCode::from(1),
        Ok(Outcome::Explained) | Ok(Outcome::NothingFound) => ExitCode::SUCCESS,
        Ok(Outcome::Unknown(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: cannot read the log: {e}");
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
