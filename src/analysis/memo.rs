//! Findings per step, remembered from one analysis to the next.
//!
//! Every rule but the container one judges a step by itself: the step's own text decides
//! its findings, wherever the step sits. A keystroke changes one step of thousands, so the
//! analysis keeps each step's findings (spans relative to the step) under a 128-bit hash of
//! what the rules read, and runs the rules only on steps it hasn't seen in this form. The
//! result is the same list a full run gives; `tests/incremental.rs` and the corpus tests
//! compare them after random edits.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use super::{Config, Finding};
use crate::model::{Input, TaskRef, TaskStep, yaml::Scalar};
use crate::text::Span;

/// Findings of one step, spans relative to its start.
type Relative = Vec<Finding>;

struct Memo {
    config: Config,
    steps: HashMap<u128, Relative>,
}

/// Beyond this many remembered steps the memo starts over (about 100 bytes a step, plus
/// the findings).
const CAPACITY: usize = 200_000;

thread_local! {
    static MEMO: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

/// What the rules read of a step, hashed with its spans made relative to the step: taken
/// once per step the model reads, and kept with it while it moves.
pub fn key(step: &TaskStep) -> u128 {
    step.hashed.get_or_init(|| {
        let mut h = Lanes::default();
        hash_step(step, step.span.start, &mut h);
        h.finish128()
    })
}

/// A fast two-lane hash for memo keys (not for untrusted-input hash tables): each lane
/// mixes eight bytes at a time with its own multiplier, and the lanes together give 128
/// bits, so a false match between two different steps is not a practical concern.
struct Lanes {
    a: u64,
    b: u64,
}

impl Default for Lanes {
    fn default() -> Self {
        Lanes {
            a: 0x243f_6a88_85a3_08d3,
            b: 0x1319_8a2e_0370_7344,
        }
    }
}

impl Lanes {
    fn mix(&mut self, word: u64) {
        self.a = (self.a ^ word)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
        self.b = (self.b ^ word.rotate_left(32))
            .wrapping_mul(0xc2b2_ae3d_27d4_eb4f)
            .rotate_left(31);
    }

    fn finish128(&self) -> u128 {
        let fold = |x: u64, m: u64| {
            let x = (x ^ (x >> 33)).wrapping_mul(m);
            x ^ (x >> 29)
        };
        (u128::from(fold(self.a, 0xff51_afd7_ed55_8ccd)) << 64)
            | u128::from(fold(self.b, 0xc4ce_b9fe_1a85_ec53))
    }
}

impl Hasher for Lanes {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().unwrap_or_default()));
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        // The length keeps "ab" + "c" apart from "a" + "bc".
        self.mix(u64::from_le_bytes(last) ^ ((bytes.len() as u64) << 56));
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    fn finish(&self) -> u64 {
        self.finish128() as u64
    }
}

/// A 128-bit hash of a text, the same however the rope splits it into chunks (the bytes
/// are mixed eight at a time across chunk boundaries). Whole words are read straight from
/// each chunk: the analyses hash about the whole text on every keystroke.
pub(crate) fn text_hash(text: ropey::RopeSlice) -> u128 {
    let mut h = Lanes::default();
    let mut word = 0u64;
    let mut filled = 0;
    for chunk in text.chunks() {
        let mut bytes = chunk.as_bytes();
        // Finish the word the previous chunk began.
        while filled != 0 && !bytes.is_empty() {
            word |= u64::from(bytes[0]) << (8 * filled);
            filled += 1;
            bytes = &bytes[1..];
            if filled == 8 {
                h.mix(word);
                (word, filled) = (0, 0);
            }
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            h.mix(u64::from_le_bytes(w.try_into().unwrap_or_default()));
        }
        for &b in words.remainder() {
            word |= u64::from(b) << (8 * filled);
            filled += 1;
        }
    }
    h.mix(word ^ ((text.len_bytes() as u64) << 56));
    h.finish128()
}

fn span(s: &Span, base: usize, h: &mut Lanes) {
    (s.start.wrapping_sub(base), s.end.wrapping_sub(base)).hash(h);
}

fn scalar(s: &Scalar, base: usize, h: &mut Lanes) {
    s.text.hash(h);
    span(&s.span, base, h);
    (s.exact, s.quoted).hash(h);
}

fn hash_step(step: &TaskStep, base: usize, h: &mut Lanes) {
    span(&step.span, base, h);
    span(&step.key, base, h);
    scalar(&step.value, base, h);
    match &step.reference {
        TaskRef::Named {
            name,
            name_span,
            major,
            version_span,
        } => {
            0u8.hash(h);
            name.hash(h);
            span(name_span, base, h);
            major.hash(h);
            if let Some(v) = version_span {
                span(v, base, h);
            }
        }
        TaskRef::Expression => 1u8.hash(h),
        TaskRef::Unreadable => 2u8.hash(h),
    }
    step.display_name.hash(h);
    if let Some(k) = &step.inputs_key {
        span(k, base, h);
    }
    step.inputs_readable.hash(h);
    step.inputs.len().hash(h);
    for Input { name, key, value } in &step.inputs {
        name.hash(h);
        span(key, base, h);
        match value {
            Some(v) => scalar(v, base, h),
            None => 0xffu8.hash(h),
        }
    }
}

/// Moves a finding's spans by `delta` bytes.
pub fn shift(finding: &mut Finding, delta: isize) {
    let at = |x: usize| x.wrapping_add_signed(delta);
    let move_span = |s: &mut Span| *s = at(s.start)..at(s.end);
    move_span(&mut finding.span);
    for r in &mut finding.related {
        move_span(&mut r.span);
    }
    if let Some(fix) = &mut finding.fix {
        for e in &mut fix.edits {
            move_span(&mut e.span);
        }
    }
}

/// Keeps only the steps in `live` once the memo holds many more than that (forms of
/// steps edited away, steps of closed documents), so memory stays flat while typing.
pub fn prune(steps: &mut HashMap<u128, Relative>, live: &[u128]) {
    if steps.len() <= (4 * live.len()).max(20_000) {
        return;
    }
    let live: std::collections::HashSet<u128> = live.iter().copied().collect();
    steps.retain(|k, _| live.contains(k));
    steps.shrink_to_fit();
}

/// Forgets every remembered step (when no document is left to need them).
pub fn forget() {
    MEMO.with(|memo| *memo.borrow_mut() = None);
}

/// Runs `f` with the memo for `config` (emptied if the configuration changed).
pub fn with<T>(config: &Config, f: impl FnOnce(&mut HashMap<u128, Relative>) -> T) -> T {
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        let memo = match &mut *memo {
            Some(m) if m.config == *config && m.steps.len() < CAPACITY => m,
            slot => slot.insert(Memo {
                config: config.clone(),
                steps: HashMap::new(),
            }),
        };
        f(&mut memo.steps)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step's key, kept with it while edits move it or change its neighbours, is the key
    /// of the same step read afresh; an edit of the step itself gives it a new one.
    #[test]
    fn kept_keys_are_those_of_the_steps_read_afresh() {
        use crate::document::{Document, Edit};
        let text = "steps:\n- task: AzureCLI@2\n  inputs:\n    scriptType: bash\n- task: AzureFileCopy@4\n  inputs:\n    Destination: AzureBlob\n";
        let mut doc = Document::new(text, 0);
        let mut model = crate::model::build(&doc);
        let before: Vec<u128> = model.steps.iter().map(key).collect();
        let edits = [
            // Above every step: both move.
            (0, 0, "# moved\n"),
            // Inside the first step's value: only the first one changes.
            (text.find("bash").unwrap() + "# moved\n".len(), 4, "pwsh"),
        ];
        for (version, (at, len, with)) in edits.into_iter().enumerate() {
            let changes = doc.apply(
                [Edit {
                    span: at..at + len,
                    text: with.into(),
                }],
                version as i32 + 1,
            );
            model.update(&doc, &changes);
            let fresh = crate::model::build(&doc);
            let kept: Vec<u128> = model.steps.iter().map(key).collect();
            let afresh: Vec<u128> = fresh.steps.iter().map(key).collect();
            assert_eq!(kept, afresh, "after edit {version}");
        }
        let after: Vec<u128> = model.steps.iter().map(key).collect();
        assert_ne!(after[0], before[0]);
        assert_eq!(after[1], before[1]);
    }

    /// The byte-at-a-time definition `text_hash` must keep.
    fn text_hash_bytewise(text: ropey::RopeSlice) -> u128 {
        let mut h = Lanes::default();
        let (mut word, mut filled) = (0u64, 0);
        for b in text.bytes() {
            word |= u64::from(b) << (8 * filled);
            filled += 1;
            if filled == 8 {
                h.mix(word);
                (word, filled) = (0, 0);
            }
        }
        h.mix(word ^ ((text.len_bytes() as u64) << 56));
        h.finish128()
    }

    #[test]
    fn text_hash_reads_words_as_bytes_would_however_the_rope_is_cut() {
        let text: String = (0..5000).map(|i| format!("{i}é{}", i % 7)).collect();
        let rope = ropey::Rope::from_str(&text);
        assert!(rope.chunks().count() > 4);
        for (start, end) in [(0, text.len()), (1, 2), (3, 4000), (17, 9001), (5, 5)] {
            let start = rope.byte_to_char(start);
            let end = rope.byte_to_char(end);
            let slice = rope.slice(start..end);
            assert_eq!(text_hash(slice), text_hash_bytewise(slice));
        }
    }

    #[test]
    fn pruning_keeps_the_live_steps_once_the_memo_outgrows_them() {
        let mut steps: HashMap<u128, Relative> = (0..30_000u128).map(|k| (k, Vec::new())).collect();
        let live: Vec<u128> = (0..100).collect();
        prune(&mut steps, &live);
        assert_eq!(steps.len(), 100);
        assert!(live.iter().all(|k| steps.contains_key(k)));
        // Below the threshold nothing is dropped: edits come and go.
        let mut few: HashMap<u128, Relative> = (0..500u128).map(|k| (k, Vec::new())).collect();
        prune(&mut few, &live);
        assert_eq!(few.len(), 500);
    }
}
