//! The command line: `check` runs the same analysis as the server over files and prints
//! what it finds, with the source line and the fix.

pub mod check;
pub mod render;
