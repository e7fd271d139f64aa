//! A minimal `tracing` subscriber that writes events to stderr. tower-lsp-server reports
//! its own problems (a failed response, a request it cannot route) only through
//! `tracing`, where nothing else would print them; stdout is the protocol.
//!
//! Warnings and errors by default; everything down to debug with `AZPLS_LOG` set.

use std::fmt::{self, Write as _};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Installs the subscriber for the whole process, unless one is installed already.
pub fn init() {
    let level = if std::env::var_os("AZPLS_LOG").is_some() {
        Level::DEBUG
    } else {
        Level::WARN
    };
    let _ = tracing::subscriber::set_global_default(Stderr {
        level,
        write: |line| eprintln!("{line}"),
    });
}

struct Stderr {
    /// The most verbose level written.
    level: Level,
    /// Where lines go: stderr, except in tests.
    write: fn(&str),
}

impl Subscriber for Stderr {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.level
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::from_level(self.level))
    }

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        let mut line = Line(String::new());
        event.record(&mut line);
        (self.write)(&format!(
            "azpls: {} {}: {}",
            metadata.level().as_str().to_ascii_lowercase(),
            metadata.target(),
            line.0
        ));
    }

    // Spans carry no information worth printing here: one id for all.
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// An event's fields on one line: the message, then `name=value` pairs. Line breaks and
/// other control characters are escaped, so one event stays one line in the client's log.
struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() != "message" {
            let _ = write!(self.0, "{}=", field.name());
        }
        for c in text.chars() {
            if c.is_control() {
                self.0.extend(c.escape_default());
            } else {
                self.0.push(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    static WRITTEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    #[test]
    fn events_at_or_above_the_level_print_as_one_line_with_their_fields() {
        let subscriber = Stderr {
            level: Level::WARN,
            write: |line| WRITTEN.lock().unwrap().push(line.to_string()),
        };
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(method = "x", "failed\nto send");
            tracing::info!("not at this level");
        });
        assert_eq!(
            *WRITTEN.lock().unwrap(),
            ["azpls: error azpls::lsp::logging::tests: failed\\nto send method=\"x\""]
        );
    }
}
