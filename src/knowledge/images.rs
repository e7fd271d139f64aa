//! The VM image labels of the Microsoft-hosted pool (`pool: vmImage:`), from the hand-written
//! `data/hosted-images.toml`: which labels exist, which are being retired and which are gone,
//! with the label to move to. Parsed once, with a case-folded index, so a lookup per `vmImage`
//! costs one hash.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

const IMAGES_TOML: &str = include_str!("../../data/hosted-images.toml");

/// Whether a hosted image can still be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageStatus {
    Current,
    /// Listed with a retirement schedule: still runs.
    Deprecated,
    /// Removed from the pool: a job that asks for it never starts.
    Retired,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct HostedImage {
    /// As the documentation writes it (`macOS-latest`).
    pub label: String,
    /// The system and tools it has, in a few words.
    pub os: String,
    pub status: ImageStatus,
    /// For deprecated and retired images: the label to move to.
    #[serde(default)]
    pub replacement: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct HostedImages {
    /// The `ms.date` of the page the labels come from.
    pub date: String,
    pub url: String,
    pub schedule_url: String,
    #[serde(rename = "image")]
    pub images: Vec<HostedImage>,
    /// Lowercased label -> index into `images`.
    #[serde(skip)]
    index: HashMap<String, usize>,
}

impl HostedImages {
    fn parse(text: &str) -> Result<HostedImages, String> {
        let mut images: HostedImages = toml::from_str(text).map_err(|e| e.to_string())?;
        for (i, image) in images.images.iter().enumerate() {
            if images
                .index
                .insert(image.label.to_ascii_lowercase(), i)
                .is_some()
            {
                return Err(format!("label {} listed twice", image.label));
            }
        }
        for image in &images.images {
            let replaced = image.status != ImageStatus::Current;
            match (&image.replacement, replaced) {
                (Some(r), true) => {
                    let ok = images
                        .get(r)
                        .is_some_and(|t| t.status == ImageStatus::Current);
                    if !ok {
                        return Err(format!(
                            "{}: replacement {r} is no current label",
                            image.label
                        ));
                    }
                }
                (None, false) => {}
                (Some(_), false) => {
                    return Err(format!("{}: current, with a replacement", image.label));
                }
                (None, true) => return Err(format!("{}: no replacement", image.label)),
            }
        }
        Ok(images)
    }

    /// The image a label names, ignoring case.
    pub fn get(&self, label: &str) -> Option<&HostedImage> {
        // Allocates only for labels written with capitals.
        if label.bytes().any(|b| b.is_ascii_uppercase()) {
            self.index
                .get(&label.to_ascii_lowercase())
                .map(|&i| &self.images[i])
        } else {
            self.index.get(label).map(|&i| &self.images[i])
        }
    }

    /// The images in the data file's order: current first, then deprecated, then retired.
    pub fn all(&self) -> &[HostedImage] {
        &self.images
    }
}

/// The hosted image labels, parsed on first use.
pub fn hosted_images() -> &'static HostedImages {
    static CELL: OnceLock<HostedImages> = OnceLock::new();
    // Checked by tests; a parse failure is a build defect, not bad input.
    CELL.get_or_init(|| HostedImages::parse(IMAGES_TOML).expect("embedded data/hosted-images.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_file_parses_and_every_replacement_is_current() {
        let images = hosted_images();
        assert!(images.all().len() >= 10);
        assert_eq!(images.get("MACOS-LATEST").unwrap().label, "macOS-latest");
        assert_eq!(
            images.get("ubuntu-20.04").unwrap().status,
            ImageStatus::Retired
        );
        assert!(images.get("self-hosted").is_none());
    }

    #[test]
    fn broken_files_are_refused() {
        let head = "schema = 1\ndate = \"d\"\nurl = \"u\"\nschedule_url = \"s\"\n";
        let image = |label: &str, status: &str, replacement: Option<&str>| {
            format!(
                "[[image]]\nlabel = \"{label}\"\nos = \"o\"\nstatus = \"{status}\"\n{}",
                replacement
                    .map(|r| format!("replacement = \"{r}\"\n"))
                    .unwrap_or_default()
            )
        };
        let twice = format!(
            "{head}{}{}",
            image("a", "current", None),
            image("A", "current", None)
        );
        assert!(HostedImages::parse(&twice).unwrap_err().contains("twice"));
        let to_retired = format!(
            "{head}{}{}",
            image("old", "retired", Some("older")),
            image("older", "retired", Some("old"))
        );
        assert!(HostedImages::parse(&to_retired).is_err());
        let missing = format!("{head}{}", image("old", "deprecated", None));
        assert!(HostedImages::parse(&missing).is_err());
        let unknown = format!("{head}{}", image("x", "gone", None));
        assert!(HostedImages::parse(&unknown).is_err());
    }
}
