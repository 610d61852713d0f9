/**
 * How many of a report's units each event is about: the one count every format shows (the PDF's and the web
 * page's "shipped N units", the CSV's rows per event, the evidence bundle's histories). An event counts the units
 * **in the report's scope** whose history holds it, not the item list of its body: a shipment that mixes two lots
 * is, in the report on one lot, a shipment of that lot's units; a case shipped counts the units inside it.
 *
 * Pure, so the browser computes it from an evidence bundle's `items` exactly as the server does from the same
 * histories (`ReportSnapshot.countUnitsPerEvent` and `selectHistories` count the same pairs in SQL: one row per unit
 * in scope and event in its history, which are also the CSV's rows).
 */
export function unitsPerEvent(items: Iterable<{ readonly history: readonly number[] }>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const item of items) {
    for (const index of new Set(item.history)) counts.set(index, (counts.get(index) ?? 0) + 1);
  }
  return counts;
}
