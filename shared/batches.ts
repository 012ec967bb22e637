// Cutting an ordered list into requests or groups bounded both by count and by a cost (bytes).

/**
 * `items` in order, cut into batches of at most `maxItems` items whose costs (`costOf`) add up
 * to at most `maxCost`; an item that alone costs more than `maxCost` makes a batch of its own.
 */
export function boundedBatches<T>(items: readonly T[], maxItems: number, maxCost: number, costOf: (item: T) => number): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let cost = 0;
  for (const item of items) {
    const itemCost = costOf(item);
    if (batch.length > 0 && (batch.length >= maxItems || cost + itemCost > maxCost)) {
      batches.push(batch);
      batch = [];
      cost = 0;
    }
    batch.push(item);
    cost += itemCost;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
