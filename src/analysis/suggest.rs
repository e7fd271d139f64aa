//! "Did you mean" suggestions: the closest candidate by edit distance, when it is close
//! enough to be a typo rather than another word.

/// Optimal-string-alignment distance (insertions, deletions, substitutions and swaps of
/// neighbours), ASCII case-insensitive: Azure Pipelines matches task and input names
/// without regard to case, so case is never the mistake.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    // Three rows: the one before the previous is needed for swaps.
    let mut before = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut row = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            row[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()]
}

/// The most edits a word of this length may be from a candidate and still count as a
/// typo of it: one for short words, up to three for long ones.
fn budget(len: usize) -> usize {
    (len / 5).clamp(1, 3)
}

/// The candidate closest to `word`, if it is within the typo budget; ties go to the
/// first candidate. Candidates equal to `word` (ignoring case) are not suggestions.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    let limit = budget(len);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        // Lengths alone bound the distance from below: skip what can't be close.
        if candidate.chars().count().abs_diff(len) > limit {
            continue;
        }
        let d = distance(word, candidate);
        if d == 0 || d > limit {
            continue;
        }
        if best.is_none_or(|(b, _)| d < b) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits_and_swaps_ignoring_case() {
        assert_eq!(distance("AzureCLI", "azurecli"), 0);
        assert_eq!(distance("AzureCLl", "AzureCLI"), 1);
        assert_eq!(distance("AzrueCLI", "AzureCLI"), 1);
        assert_eq!(distance("AzureCL", "AzureCLI"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn nearest_takes_typos_and_leaves_other_words() {
        let names = ["AzureCLI", "AzurePowerShell", "PowerShell", "Bash"];
        assert_eq!(nearest("AzureCLl", names), Some("AzureCLI"));
        assert_eq!(nearest("Powershel", names), Some("PowerShell"));
        assert_eq!(nearest("Bsah", names), Some("Bash"));
        // Another task entirely, not a typo.
        assert_eq!(nearest("GitVersion", names), None);
        assert_eq!(nearest("Kubectl", names), None);
        // Exact matches are not suggestions.
        assert_eq!(nearest("bash", names), None);
    }
}
