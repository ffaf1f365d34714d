/** The most arrivals (ms timestamps, any order) within any one second: what a per-second quota counts. */
export function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] >= 1000) start++;
    busiest = Math.max(busiest, end - start + 1);
  }
  return busiest;
}

/** busiestSecond of each group of arrivals (an operation, a project). */
export function busiestSecondBy<T>(arrivals: T[], groupOf: (arrival: T) => string, timeOf: (arrival: T) => number) {
  const groups = new Map<string, number[]>();
  for (const arrival of arrivals)
    groups.set(groupOf(arrival), [...(groups.get(groupOf(arrival)) ?? []), timeOf(arrival)]);
  return Object.fromEntries([...groups].map(([group, times]) => [group, busiestSecond(times)]));
}
