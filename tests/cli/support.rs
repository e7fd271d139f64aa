//! What the command-line tests share: running the real binary, and scratch folders that
//! are removed when the test ends (pass or fail).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Runs `azpls ARGS` in `cwd`, without colour and with no standard input.
pub fn azpls(args: &[&str], cwd: &Path) -> Output {
    azpls_with_input(args, cwd, None)
}

/// Runs `azpls ARGS` in `cwd` with `input` on its standard input. The input is written from
/// another thread, so that a large input and a large output cannot block each other, and a
/// run that exits without reading it all (a usage error) is no failure of the test.
pub fn azpls_with_input(args: &[&str], cwd: &Path, input: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_azpls"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run azpls");
    let writer = input.map(|input| {
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        std::thread::spawn(move || match stdin.write_all(&input) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write stdin: {e}"),
            _ => {}
        })
    });
    let output = child.wait_with_output().expect("wait for azpls");
    if let Some(writer) = writer {
        writer.join().expect("the stdin writer");
    }
    output
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh folder under the system's temporary folder, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "azpls-cli-{name}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `relative` (creating its folders) and returns the path.
    pub fn write(&self, relative: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Read-only files in a writable folder are removed all the same.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether the tests run as root, who may write anything: assertions about refused
/// permissions are skipped then, with the reason printed.
pub fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let dir = TempDir::new("whoami");
        let probe = dir.write("probe", "");
        std::fs::metadata(probe).is_ok_and(|m| m.uid() == 0)
    }
    #[cfg(not(unix))]
    false
}
