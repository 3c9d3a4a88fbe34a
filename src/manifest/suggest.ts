/**
 * "Did you mean …?" for misspelt keys, enum values and service names. Pure and deterministic:
 * the same input always yields the same suggestion.
 */

/** Edit distance counting insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2][j - 2] + 1);
      }
      rows[i].push(best);
    }
  }
  return rows[a.length][b.length];
}

/**
 * The candidate the user most likely meant, or undefined when nothing is close enough.
 * Close means within max(2, length/3) edits, or one name containing the other
 * ("rds" → "rds-database"). Closest wins; ties go to the alphabetically first candidate.
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const wanted = input.toLowerCase();
  if (wanted === '' || candidates.includes(input)) return undefined;
  const threshold = Math.max(2, Math.floor(wanted.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of [...new Set(candidates)].sort()) {
    const lower = candidate.toLowerCase();
    const distance = editDistance(wanted, lower);
    const contains =
      wanted.length >= 2 && (lower.includes(wanted) || (lower.length >= 2 && wanted.includes(lower)));
    if (distance > threshold && !contains) continue;
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  return best?.candidate;
}

/** `; did you mean "x"?` or the empty string, for appending to a message. */
export function didYouMeanSuffix(input: string, candidates: readonly string[]): string {
  const suggestion = didYouMean(input, candidates);
  return suggestion === undefined ? '' : `; did you mean ${JSON.stringify(suggestion)}?`;
}
