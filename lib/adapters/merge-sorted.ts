/**
 * Merges already-sorted async streams into one sorted stream, pulling one item ahead from each: a query
 * over sharded partitions is returned in order without holding the shards in memory.
 */
export async function* mergeSorted<T>(
  sources: Array<AsyncIterable<T>>,
  compare: (a: T, b: T) => number,
): AsyncGenerator<T> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  try {
    const heads = await Promise.all(iterators.map((iterator) => iterator.next()));
    for (;;) {
      let best = -1;
      for (let index = 0; index < heads.length; index++) {
        const head = heads[index];
        if (head.done) continue;
        if (best < 0 || compare(head.value, (heads[best] as IteratorYieldResult<T>).value) < 0) best = index;
      }
      if (best < 0) return;
      yield (heads[best] as IteratorYieldResult<T>).value;
      heads[best] = await iterators[best].next();
    }
  } finally {
    await Promise.all(iterators.map((iterator) => iterator.return?.()));
  }
}
