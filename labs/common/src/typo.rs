//! "Did you mean …?" for a config key nobody reads: both servers' config readers use it.

/// The candidate a typo of `key` most likely meant: fewest edits (a swap of two neighbours
/// counts as one, as in `num.partiton`), and only if few enough for the same word: one edit per
/// six characters, at least one and at most three. Ties go to the first in sort order.
pub fn closest<'a>(key: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (key.chars().count() / 6).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|c| *c != key)
        .map(|c| (strsim::damerau_levenshtein(key, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}
