//! `azpls doctor`'s core: a service connection as Azure DevOps exports it and the federated
//! credentials of its identity as Microsoft Entra and Azure export them ([`input`]), and the
//! checks that tell whether Entra will accept the token the connection presents ([`checks`]),
//! each with the error a pipeline would print and the exact fix. Offline and without I/O:
//! `cli::doctor` reads the files and prints the reports.

pub mod checks;
pub mod input;

pub use checks::{
    CHECKS, CheckInfo, Context, Finding, Input, Place, Report, Severity, check, explain, find,
};
