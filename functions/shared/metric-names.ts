/** The metric names the functions emit; they live in lib/domain/metric-names.ts, which the construct reads too. */
export * from '../../lib/domain/metric-names';
