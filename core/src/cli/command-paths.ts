// What the words of a command line name, before clipanion parses the options: a command, a group
// of commands (`remote`, `vm`, `retention`), or nothing, with the closest command to suggest.
// clipanion itself answers a typo with every usage line it knows; a person wants one suggestion.

/** A command's path, e.g. ['remote', 'ls']. */
export type CommandPath = readonly string[];

export type Resolution =
  /** A registered path starts the command line; clipanion parses the rest. */
  | { kind: 'command'; path: CommandPath }
  /** The words are the start of several paths and of no command: `hyperexport remote`. */
  | { kind: 'group'; group: CommandPath; members: CommandPath[] }
  /** No command starts so; `suggestion` is the closest path, when one is close enough. */
  | { kind: 'unknown'; words: CommandPath; suggestion: CommandPath | undefined }
  /** Only options (or nothing): clipanion handles `-h`, `--version` and the overview. */
  | { kind: 'none' };

/** The leading words of argv up to the first option (`export --vm x` → ['export']). */
export function leadingWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  return words;
}

const startsWith = (path: CommandPath, prefix: CommandPath) => prefix.length <= path.length && prefix.every((word, index) => path[index] === word);

/**
 * Resolves the command line against the registered paths. A command that takes positional
 * arguments (`remote ls URL`) matches by its path; words after a path that has subcommands
 * (`history clerr`) are checked against those subcommands only when the path's own command takes
 * no positional arguments (`acceptsPositionals` says which do).
 */
export function resolveCommandLine(argv: readonly string[], paths: readonly CommandPath[], acceptsPositionals: (path: CommandPath) => boolean): Resolution {
  const words = leadingWords(argv);
  if (words.length === 0) return { kind: 'none' };
  const matched = paths.filter((path) => path.length > 0 && startsWith(words, path)).sort((a, b) => b.length - a.length)[0];
  const longer = (prefix: CommandPath) => paths.filter((path) => path.length > prefix.length && startsWith(path, prefix));
  if (matched) {
    const extra = words.length > matched.length;
    if (extra && !acceptsPositionals(matched) && longer(matched).length > 0) {
      return { kind: 'unknown', words: words.slice(0, matched.length + 1), suggestion: closestPath(words, longer(matched)) };
    }
    return { kind: 'command', path: matched };
  }
  const members = longer(words);
  if (members.length > 0) return { kind: 'group', group: words, members };
  // The first word that no path continues is the typo; suggest among the paths of that length.
  let known = 0;
  while (known < words.length && paths.some((path) => startsWith(path, words.slice(0, known + 1)))) known += 1;
  const typed = words.slice(0, known + 1);
  const candidates = paths.filter((path) => path.length > 0 && startsWith(path, typed.slice(0, known)));
  return { kind: 'unknown', words: typed, suggestion: closestPath(typed, candidates) };
}

/**
 * The path closest to `words` by Damerau-Levenshtein distance (a swap of two neighbouring letters
 * is one edit: `exprot` → `export`), when it is close enough to be what was meant: at most a third
 * of the word's letters, and at least 1.
 */
export function closestPath(words: CommandPath, candidates: readonly CommandPath[]): CommandPath | undefined {
  let best: { path: CommandPath; distance: number } | undefined;
  for (const path of candidates) {
    const typed = words.slice(0, path.length).join(' ');
    const distance = editDistance(typed, path.join(' '));
    if (!best || distance < best.distance || (distance === best.distance && path.length < best.path.length)) best = { path, distance };
  }
  if (!best) return undefined;
  const typedLength = words.slice(0, best.path.length).join(' ').length;
  return best.distance <= Math.max(1, Math.floor(typedLength / 3)) ? best.path : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}
