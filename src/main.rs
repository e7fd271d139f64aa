//! The `azpls` command: `server` (the language server on stdio), `check` (the same
//! analysis for files), `explain` (error messages and pipeline logs), `doctor` (a service
//! connection against its identity's federated credentials), `rules` (what each rule and
//! each doctor check finds).

use azpls::analysis;
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
    Server {
        /// Accepted for clients that always pass it (vscode-languageclient): stdio is the
        /// only transport.
        #[arg(long)]
        stdio: bool,
    },
    /// Check pipelines (files, or every pipeline under folders) for what will not work with
    /// workload identity federation.
    ///
    /// Exit code: 0 no findings at or above --severity, 1 findings, 2 usage or I/O errors.
    Check(CheckArgs),
    /// Explain an error code (AADSTS700024), or every known error in a log read from stdin (-),
    /// with the step that printed it; without an argument, list every message it knows.
    ///
    /// Exit code: 0 explained (or, for a log, nothing known found), 1 a log held known
    /// errors, 2 unknown code or unreadable input.
    Explain {
        /// An error code such as AADSTS700024 (or 700024), a message id, or - to read a log
        /// on stdin (downloaded from the web UI, with timestamps, or without them).
        what: Option<String>,
        /// Which dated table of the document to apply (default: the newest).
        #[arg(long, value_name = "DATE")]
        wif_table: Option<String>,
    },
    /// Check a service connection against the federated credentials of its identity, offline,
    /// from the JSON that `az` prints: whether Microsoft Entra will accept its token, what a
    /// pipeline would print if not, and the exact fix.
    ///
    /// Exit code: 0 healthy, 1 problems at or above --severity (errors by default), 2 bad input.
    Doctor(DoctorArgs),
    /// Print the pipeline the service will run: templates included, template expressions
    /// evaluated, with the source file and line of every item; runtime expressions stay.
    ///
    /// Exit code: 0 expanded, 1 the expansion reported errors (what could be expanded is
    /// still printed), 2 bad input.
    Expand {
        /// The pipeline file.
        file: PathBuf,
        /// A runtime parameter's value, as name=value (repeatable); a list or a mapping is
        /// written as YAML ([a, b]).
        #[arg(long = "parameter", value_name = "NAME=VALUE")]
        parameters: Vec<String>,
        /// Output format: yaml, json.
        #[arg(long, default_value = "yaml", value_name = "FORMAT")]
        format: String,
    },
    /// List the rules and the doctor checks, or explain one.
    Rules {
        /// A rule or check id, such as wif-deprecated-version or subject-mismatch.
        id: Option<String>,
    },
}

#[derive(clap::Args)]
struct DoctorArgs {
    /// The service connection, as `az devops service-endpoint show` (or `list`, or the REST
    /// API) prints it: one object or a list; - reads standard input.
    #[arg(long, value_name = "FILE")]
    connection: PathBuf,
    /// The identity's federated credentials, as `az ad app federated-credential list` or `az
    /// identity federated-credential list` prints them; - reads standard input.
    #[arg(long, value_name = "FILE")]
    credentials: PathBuf,
    /// Only the connection of this name, when the file lists several.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Output format: human, json.
    #[arg(long, default_value = "human", value_name = "FORMAT")]
    format: String,
    /// Lowest severity that makes the exit code 1: error (what fails now), or warning (also
    /// what will fail, such as the Azure DevOps issuer's retirement).
    #[arg(long, default_value = "error", value_name = "LEVEL")]
    severity: String,
    /// Judge the Azure DevOps issuer's retirement as of this day (YYYY-MM-DD; default: today).
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or folders to check (default: the current folder); - reads standard input.
    /// A file named here is checked whatever its name or type (a FIFO, /dev/stdin).
    /// Each path takes its settings from the nearest azpls.toml in its folder or above,
    /// up to the repository root (the folder with .git).
    paths: Vec<PathBuf>,
    /// Output format: human, concise, json, sarif, github, azure.
    #[arg(long, default_value = "human", value_name = "FORMAT")]
    format: String,
    /// Lowest severity that makes the exit code 1: error, warning, info, hint.
    #[arg(long, default_value = "hint", value_name = "LEVEL")]
    severity: String,
    /// Which dated table of the document to apply (default: the newest).
    #[arg(long, value_name = "DATE")]
    wif_table: Option<String>,
    /// Check every YAML file, not only those that look like pipelines.
    #[arg(long)]
    all_yaml: bool,
    /// Say why each file was checked or skipped (on stderr).
    #[arg(long)]
    verbose: bool,
    /// Apply every safe fix, then report what remains.
    #[arg(long)]
    fix: bool,
    /// Apply the unsafe fixes too (implies --fix; with --diff, shows them too).
    #[arg(long)]
    unsafe_fixes: bool,
    /// Fix files that --fix leaves alone for safety, too: files with other hard links (the
    /// other names keep the old text) and read-only files (implies --fix).
    #[arg(long)]
    fix_anyway: bool,
    /// Print the unified diff of what --fix (or --unsafe-fixes) would change, and change
    /// nothing. The diff alone goes to stdout, for `git apply`; the report goes to stderr.
    #[arg(long)]
    diff: bool,
    /// Report `# azpls: ignore` comments that silence nothing.
    #[arg(long)]
    report_unused_ignores: bool,
    /// Only steps that use this Azure Resource Manager service connection (repeatable):
    /// what breaks if it is converted to workload identity federation. A name that no
    /// checked step uses is an error (exit code 2), so a typo cannot pass a gate.
    #[arg(long = "connection", value_name = "NAME")]
    connections: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Server { .. } => server(),
        Command::Check(args) => check(args),
        Command::Explain { what, wif_table } => explain(what, wif_table),
        Command::Doctor(args) => doctor(args),
        Command::Rules { id } => rules(id.as_deref()),
        Command::Expand {
            file,
            parameters,
            format,
        } => expand(file, parameters, format),
    }
}

fn expand(file: PathBuf, parameters: Vec<String>, format: String) -> ExitCode {
    use azpls::cli::escape;
    use azpls::cli::expand::{self, Format};
    let Some(format) = Format::parse(&format) else {
        eprintln!(
            "error: unknown --format {}; use yaml or json",
            escape::quote(&format, 40)
        );
        return ExitCode::from(2);
    };
    let mut given = Vec::new();
    for p in &parameters {
        match expand::parameter(p) {
            Ok(p) => given.push(p),
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
        }
    }
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    match expand::run(
        &file,
        &given,
        format,
        &mut stdout.lock(),
        &mut stderr.lock(),
    ) {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(feature = "lsp")]
fn server() -> ExitCode {
    match azpls::lsp::run() {
        Ok(code) => code,
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

fn check(args: CheckArgs) -> ExitCode {
    use azpls::analysis::Severity;
    use azpls::cli::check::{self, Format, Options};
    use azpls::cli::escape;
    use std::io::IsTerminal;
    let usage = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    };
    let Some(format) = Format::parse(&args.format) else {
        return usage(format!(
            "unknown --format {}; use human, concise, json, sarif, github or azure",
            escape::quote(&args.format, 40)
        ));
    };
    let severity = match args.severity.as_str() {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        "info" => Severity::Info,
        "hint" => Severity::Hint,
        other => {
            return usage(format!(
                "unknown --severity {}; use error, warning, info or hint",
                escape::quote(other, 40)
            ));
        }
    };
    if args.diff && (args.fix || args.fix_anyway) {
        return usage(
            "--diff shows what --fix would do; use one or the other (--diff --unsafe-fixes shows the unsafe fixes too)"
                .to_string(),
        );
    }
    // With --diff, --unsafe-fixes says which fixes to show, and nothing is written.
    let fix = args.fix || args.fix_anyway || (args.unsafe_fixes && !args.diff);
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let stdin = paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && fix {
        return usage(
            "--fix cannot write to standard input (-); use --diff to see the fixes".to_string(),
        );
    }
    let overrides = Settings {
        wif: config::WifSettings {
            table: args.wif_table,
        },
        ..Settings::default()
    };
    let mut options = match Options::new(paths, format, &overrides) {
        Ok(options) => options,
        Err(e) => return usage(escape::text(&e).into_owned()),
    };
    options.severity = severity;
    options.all_yaml = args.all_yaml;
    options.verbose = args.verbose;
    options.fix = fix;
    options.unsafe_fixes = args.unsafe_fixes;
    options.fix_anyway = args.fix_anyway;
    options.diff = args.diff;
    options.report_unused_ignores = args.report_unused_ignores;
    options.connections = args.connections;
    // With --diff the report goes to stderr (stdout has the diff).
    let report_on_terminal = if args.diff {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    options.color = format == Format::Human
        && report_on_terminal
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    options.progress = format.is_human() && std::io::stderr().is_terminal();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    match check::run(&options, &mut stdout.lock(), &mut stderr.lock()) {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => usage(e.to_string()),
    }
}

fn explain(what: Option<String>, wif_table: Option<String>) -> ExitCode {
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
    let Some(what) = what else {
        return match explain::list(kb, &mut out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    };
    let what = what.as_str();
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
        // A reader that stops early (`| head`) is no error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot read the log: {e}");
            ExitCode::from(2)
        }
    }
}

fn doctor(args: DoctorArgs) -> ExitCode {
    use azpls::cli::doctor::{self, Format, Options};
    use azpls::cli::escape;
    use azpls::doctor::Severity;
    use azpls::knowledge::Date;
    let usage = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    };
    let format = match choose(
        "--format",
        &args.format,
        &[("human", Format::Human), ("json", Format::Json)],
    ) {
        Ok(format) => format,
        Err(message) => return usage(message),
    };
    let severity = match choose(
        "--severity",
        &args.severity,
        &[("error", Severity::Error), ("warning", Severity::Warning)],
    ) {
        Ok(severity) => severity,
        Err(message) => return usage(message),
    };
    let today = match &args.date {
        None => Date::today(),
        Some(d) => match Date::parse(d) {
            Some(d) => d,
            None => {
                return usage(format!(
                    "--date {} is not a day written YYYY-MM-DD",
                    escape::quote(d, 40)
                ));
            }
        },
    };
    let options = Options {
        connection: args.connection,
        credentials: args.credentials,
        format,
        severity,
        today,
        name: args.name,
    };
    let stdout = std::io::stdout();
    match doctor::run(&options, &mut std::io::stdin().lock(), &mut stdout.lock()) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(message)) => usage(message),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => usage(e.to_string()),
    }
}

/// The value an option names among `choices`, or a message listing them.
fn choose<T: Copy>(option: &str, value: &str, choices: &[(&str, T)]) -> Result<T, String> {
    match choices.iter().find(|(name, _)| *name == value) {
        Some((_, v)) => Ok(*v),
        None => {
            let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            Err(format!(
                "unknown {option} {}; use {}",
                azpls::cli::escape::quote(value, 40),
                names.join(" or ")
            ))
        }
    }
}

fn rules(id: Option<&str>) -> ExitCode {
    use azpls::doctor;
    match id {
        None => {
            // Summaries in one column, however long the longest id.
            let width = analysis::RULES
                .iter()
                .map(|(r, _)| r.id.len())
                .max()
                .unwrap_or(0);
            for (rule, _) in analysis::RULES {
                println!("{:<width$} {}", rule.id, rule.summary);
            }
            println!("\nazpls doctor:");
            for check in doctor::CHECKS {
                println!("{:<26} {}", check.id, check.summary);
            }
            ExitCode::SUCCESS
        }
        Some(id) => {
            if let Some(rule) = analysis::rule(id) {
                println!("{}: {}\n\n{}", rule.id, rule.summary, rule.explanation);
            } else if let Some(check) = doctor::find(id) {
                let explanation = doctor::explain(check, azpls::knowledge::federation());
                println!(
                    "{} (azpls doctor): {}\n\n{explanation}",
                    check.id, check.summary
                );
            } else {
                eprintln!(
                    "error: no rule or check {}; `azpls rules` lists them",
                    azpls::cli::escape::quote(id, 40)
                );
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
    }
}
