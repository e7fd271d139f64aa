//! End-to-end tests in real editors. Each folder `tests/editors/<editor>/` has a `run.sh`
//! that drives that editor headlessly against the azpls binary given as its first
//! argument: open a pipeline with `AzureFileCopy@4` and `AzureNLBManagement@1`, wait for
//! the diagnostics, hover, apply the quick fix through the editor's own code-action
//! command, save, and check that only the version changed.
//!
//! Each test needs its editor installed, so it is `#[ignore]`d: plain `cargo test` lists it
//! as ignored rather than passing it untried. `.ci/install-editors.sh` installs them all
//! (`tests/editors/<editor>/install.sh` one), and `cargo test -- --include-ignored`, what
//! `.ci/run` runs, runs them. A test run that way fails when its editor is missing or its
//! last install failed (`.ci/install-editors.sh` leaves a note with the end of the log,
//! which `run.sh` prints): asked for, it must not pass without an editor.
//!
//! `run.sh` exits 0 on success, 77 when its editor is not there, anything else on failure.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// `run.sh`'s exit code for "the editor is not installed".
const NOT_INSTALLED: i32 = 77;

/// Editors run one at a time: in parallel on a small machine they would time out.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_editor(name: &str) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/editors")
        .join(name);
    let script = dir.join("run.sh");
    assert!(script.is_file(), "{} is missing", script.display());
    let started = Instant::now();
    let output = Command::new("timeout")
        .args(["300", "bash"])
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_azpls"))
        .current_dir(&dir)
        .output()
        .expect("run bash");
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => eprintln!("{name}: passed in {:.1} s", took.as_secs_f64()),
        Some(NOT_INSTALLED) => panic!(
            "{name} is not installed, or its last install failed: bash .ci/install-editors.sh \
             installs every editor, bash tests/editors/{name}/install.sh this one\n\
             --- stdout\n{stdout}\n--- stderr\n{stderr}"
        ),
        code => panic!(
            "{name} end-to-end test failed (exit {code:?}, {:.1} s)\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            took.as_secs_f64()
        ),
    }
    assert!(took < Duration::from_secs(300));
}

macro_rules! editor_tests {
    ($($test:ident => $dir:literal, $needs:literal),* $(,)?) => {
        $(
            #[test]
            #[ignore = $needs]
            fn $test() {
                run_editor($dir);
            }
        )*

        /// Every folder under tests/editors has a test above, and the reverse.
        #[test]
        fn every_editor_folder_has_a_test() {
            let known = [$($dir),*];
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/editors");
            for entry in std::fs::read_dir(&root).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    let name = path.file_name().unwrap().to_str().unwrap().to_string();
                    assert!(known.contains(&name.as_str()), "tests/editors/{name} has no test in tests/editors.rs");
                }
            }
        }
    };
}

editor_tests! {
    neovim_0_11 => "neovim-0.11", "needs Neovim 0.11 (.ci/install-editors.sh)",
    neovim_0_7 => "neovim-0.7", "needs Neovim 0.7 (.ci/install-editors.sh)",
    emacs_eglot => "emacs", "needs Emacs 28 with eglot (.ci/install-editors.sh)",
    helix => "helix", "needs Helix and tmux (.ci/install-editors.sh)",
    vscode => "vscode", "needs code-server, Chromium and Node 20 (.ci/install-editors.sh)",
}
