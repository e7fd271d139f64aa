//! The command line: `check` runs the same analysis as the server over files and prints
//! what it finds, with the source line and the fix; `explain` reads the document's error
//! table; `doctor` compares a service connection with its identity's federated credentials.
//! `expand` prints the pipeline the service will run.
//! Everything printed from the input goes through `escape`.

pub mod check;
pub mod connections;
pub mod discover;
pub mod doctor;
pub mod escape;
pub mod expand;
pub mod explain;
pub mod fix;
pub mod log;
pub mod render;
pub mod report;
pub mod traced;
