//! Writing fixed files back, for `check --fix`, on checkouts that other people (or other
//! runs) share and that may be hostile: CI agents run `check --fix` as root in folders any
//! pipeline can write to.
//!
//! - The new text goes to a temporary file created next to the file that is replaced,
//!   with `create_new` (never through a planted link, never truncating anything) and a
//!   random name, then renamed over it: readers see the old text or the new, never half.
//! - A symbolic link named on the command line is written through: its target is
//!   replaced, in the target's folder, and the link stays a link.
//! - Owner, group and permission bits are set on the temporary file's handle before the
//!   rename, so the file comes back as it was (not owned by whoever ran the fix).
//! - Files whose replacement would surprise someone are refused unless the user insists
//!   (`--fix-anyway`): other hard links (they would keep the old text) and read-only files.
//! - Just before replacing, the file is read again: if it is not the same file with the
//!   same bytes as the text that was analysed, someone changed it meanwhile and it is left
//!   alone (a conflict), so nobody's edit is lost. A change in the instant between that
//!   last read and the rename can still be lost; only a lock everyone honours would close
//!   it, and editors take none.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Which file a text was read from, to recognise it when the fix is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    device: u64,
    inode: u64,
}

impl Identity {
    #[cfg(unix)]
    fn of(meta: &fs::Metadata) -> Identity {
        use std::os::unix::fs::MetadataExt;
        Identity {
            device: meta.dev(),
            inode: meta.ino(),
        }
    }

    #[cfg(not(unix))]
    fn of(_meta: &fs::Metadata) -> Identity {
        Identity {
            device: 0,
            inode: 0,
        }
    }
}

/// Reads a file as UTF-8 text, with a message that names it when it can't, and the
/// identity of what was read (from the handle, so a file swapped after the read is noticed).
/// Any kind of file is read: a FIFO, a character device, `/dev/stdin`.
pub fn read(path: &Path) -> Result<(String, Identity), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut file = File::open(path).map_err(fail)?;
    let identity = Identity::of(&file.metadata().map_err(fail)?);
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(fail)?;
    Ok((utf8(path, bytes)?, identity))
}

/// Reads standard input as UTF-8 text.
pub fn read_stdin(shown: &Path) -> Result<String, String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", shown.display()))?;
    utf8(shown, bytes)
}

fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// Replaces the file at `path` (or, for a symbolic link, its target) with `fixed`, if it
/// still holds exactly `analysed` and is the file `read_as` identifies. The error says why
/// the file was left as it was.
pub fn replace(
    path: &Path,
    analysed: &str,
    read_as: Identity,
    fixed: &str,
    anyway: bool,
) -> Result<(), String> {
    let target =
        fs::canonicalize(path).map_err(|e| format!("{}: {e}; not fixed", path.display()))?;
    let shown = path.display();
    let meta = fs::symlink_metadata(&target).map_err(|e| format!("{shown}: {e}; not fixed"))?;
    if !meta.is_file() {
        return Err(format!("{shown}: not a regular file; not fixed"));
    }
    if !anyway {
        refuse_surprises(path, &target, &meta)?;
    }
    let mut current = File::open(&target).map_err(|e| format!("{shown}: {e}; not fixed"))?;
    let same_file = current
        .metadata()
        .is_ok_and(|m| Identity::of(&m) == read_as);
    let mut now = Vec::with_capacity(analysed.len());
    current
        .read_to_end(&mut now)
        .map_err(|e| format!("{shown}: {e}; not fixed"))?;
    if !same_file || now != analysed.as_bytes() {
        return Err(format!(
            "{shown}: changed while checking; not fixed, run again"
        ));
    }
    write_beside(&target, &meta, fixed.as_bytes())
        .map_err(|e| format!("{shown}: could not write the fix: {e}"))
}

/// Refuses files with other hard links and read-only files, saying how to insist.
fn refuse_surprises(path: &Path, target: &Path, meta: &fs::Metadata) -> Result<(), String> {
    let shown = path.display();
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return Err(format!(
                "{shown}: has {} other hard link(s), which would keep the old text; not fixed (--fix-anyway fixes this name only)",
                meta.nlink() - 1
            ));
        }
    }
    // The permission bits, for root (who may write anything), and a real open for
    // writing, for everyone else. Opening without truncating changes nothing.
    let writable =
        !meta.permissions().readonly() && OpenOptions::new().write(true).open(target).is_ok();
    if !writable {
        return Err(format!(
            "{shown}: is read-only; not fixed (--fix-anyway replaces it all the same)"
        ));
    }
    Ok(())
}

/// Writes `bytes` to a new file in `target`'s folder with `target`'s owner, group and
/// permissions, then renames it over `target`.
fn write_beside(target: &Path, meta: &fs::Metadata, bytes: &[u8]) -> std::io::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (temp, mut file) = create_temporary(dir, &name)?;
    let result = (|| {
        file.write_all(bytes)?;
        keep_owner(&file, meta)?;
        // After the owner: changing it clears set-user-ID and set-group-ID bits.
        file.set_permissions(meta.permissions())?;
        file.sync_all()?;
        fs::rename(&temp, target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(unix)]
fn keep_owner(file: &File, meta: &fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())).map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot keep its owner and group ({e})"))
    })
}

#[cfg(not(unix))]
fn keep_owner(_file: &File, _meta: &fs::Metadata) -> std::io::Result<()> {
    Ok(())
}

/// The most of a file's name a temporary name repeats: file names are limited to 255
/// bytes, and `.` + name + `.azpls-` + 16 hex digits must fit.
const NAME_IN_TEMPORARY: usize = 200;

/// A new file `.NAME.azpls-RANDOM` in `dir`, created exclusively and readable by its owner
/// only until its permissions are set. A long NAME is cut (at a character boundary).
fn create_temporary(dir: &Path, name: &str) -> std::io::Result<(PathBuf, File)> {
    let mut cut = name.len().min(NAME_IN_TEMPORARY);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let name = &name[..cut];
    let mut last = None;
    for _ in 0..16 {
        let temp = dir.join(format!(".{name}.azpls-{:016x}", random()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

/// 64 unpredictable bits: the system's random source, or else std's randomly keyed hasher
/// over the time, the process and a counter.
fn random() -> u64 {
    let mut bytes = [0u8; 8];
    if File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok()
    {
        return u64::from_ne_bytes(bytes);
    }
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(t.as_nanos());
    }
    hasher.finish()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    /// A scratch folder, removed when the test ends, passed or failed.
    struct Scratch(PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    impl std::ops::Deref for Scratch {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    fn scratch(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("azpls-fix-{name}-{:x}", random()));
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn fix(path: &Path, anyway: bool) -> Result<(), String> {
        let (text, identity) = read(path).unwrap();
        replace(path, &text, identity, &text.replace('4', "6"), anyway)
    }

    #[test]
    fn a_link_is_written_through_and_stays_a_link() {
        let dir = scratch("link");
        fs::write(dir.join("real.yml"), "v4\n").unwrap();
        std::os::unix::fs::symlink("real.yml", dir.join("link.yml")).unwrap();
        fix(&dir.join("link.yml"), false).unwrap();
        assert_eq!(fs::read_to_string(dir.join("real.yml")).unwrap(), "v6\n");
        assert!(
            fs::symlink_metadata(dir.join("link.yml"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::read_dir(&*dir).unwrap().count(),
            2,
            "no temporary file left"
        );
    }

    /// A file whose name is near the system's 255-byte limit still gets a temporary
    /// sibling (found by the fuzz test, with a name of 250 `n`s).
    #[test]
    fn a_file_with_a_very_long_name_is_fixed() {
        let dir = scratch("long");
        let path = dir.join(format!("{}é.yml", "n".repeat(248)));
        fs::write(&path, "v4\n").unwrap();
        fix(&path, false).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "v6\n");
        assert_eq!(
            fs::read_dir(&*dir).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn permissions_and_owner_survive() {
        let dir = scratch("mode");
        let path = dir.join("p.yml");
        fs::write(&path, "v4\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let before = fs::metadata(&path).unwrap();
        fix(&path, false).unwrap();
        let after = fs::metadata(&path).unwrap();
        assert_ne!(before.ino(), after.ino(), "replaced by a rename");
        assert_eq!(after.mode() & 0o7777, 0o640);
        assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    }

    #[test]
    fn hard_links_and_read_only_files_are_refused_unless_insisted() {
        let dir = scratch("refuse");
        let path = dir.join("p.yml");
        fs::write(&path, "v4\n").unwrap();
        fs::hard_link(&path, dir.join("other.yml")).unwrap();
        let e = fix(&path, false).unwrap_err();
        assert!(
            e.contains("1 other hard link(s)") && e.contains("--fix-anyway"),
            "{e}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "v4\n");
        fix(&path, true).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "v6\n");
        assert_eq!(fs::read_to_string(dir.join("other.yml")).unwrap(), "v4\n");

        let locked = dir.join("locked.yml");
        fs::write(&locked, "v4\n").unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o444)).unwrap();
        let e = fix(&locked, false).unwrap_err();
        assert!(e.contains("read-only"), "{e}");
        fix(&locked, true).unwrap();
        assert_eq!(fs::read_to_string(&locked).unwrap(), "v6\n");
        assert_eq!(fs::metadata(&locked).unwrap().mode() & 0o777, 0o444);
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_left_alone() {
        let dir = scratch("conflict");
        let path = dir.join("p.yml");
        fs::write(&path, "v4\n").unwrap();
        let (text, identity) = read(&path).unwrap();
        fs::write(&path, "v4 edited\n").unwrap();
        let e = replace(&path, &text, identity, "v6\n", true).unwrap_err();
        assert!(
            e.contains("changed while checking; not fixed, run again"),
            "{e}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "v4 edited\n");
        // Same bytes, another file (replaced by someone else's rename): also a conflict.
        fs::write(dir.join("new"), "v4\n").unwrap();
        fs::rename(dir.join("new"), &path).unwrap();
        assert!(replace(&path, "v4\n", identity, "v6\n", true).is_err());
    }

    #[test]
    fn the_temporary_file_never_follows_a_planted_link() {
        let dir = scratch("planted");
        let victim = dir.join("victim");
        fs::write(&victim, "keep").unwrap();
        // Whatever name is planted, creation is exclusive: a link at the chosen name
        // makes the attempt fail and another name is drawn.
        let planted = dir.join("planted");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        assert!(options.open(&planted).is_err());
        let (temp, _) = create_temporary(&dir, "p.yml").unwrap();
        assert_ne!(
            create_temporary(&dir, "p.yml").unwrap().0,
            temp,
            "names are not predictable"
        );
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
    }
}
