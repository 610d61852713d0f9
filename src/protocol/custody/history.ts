/**
 * A unit's history: the log indexes of the events that act on it, increasing, each once. The rules say which items
 * an event acts on (each rule calls `touch` or `createItem` for them); this is how both states record it, intake's
 * store for the read model (and so for reports and bundles) and the replay for the verifier, which compares the
 * two.
 */
export function appendToHistory(history: number[], index: number): void {
  if (history[history.length - 1] !== index) history.push(index);
}

/** `appendToHistory` for histories kept by item code. */
export function recordHistory(histories: Map<string, number[]>, code: string, index: number): void {
  const list = histories.get(code);
  if (!list) histories.set(code, [index]);
  else appendToHistory(list, index);
}
