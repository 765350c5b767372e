// Where a pre-armed deny goes when compaction folds it into a shard: a bucket time on a fixed UTC
// grid, never earlier than the deadline it stands for. Each bucket costs a whole statement (about
// 216 characters), each session in it about 15, so the number of buckets is what must be bounded.

const MINUTE_MS = 60_000;
/**
 * Bucket widths, finest first. Each divides the next, so a time already rounded to a finer grid
 * and rounded again to a coarser one lands where rounding once to the coarser would: however often
 * compaction re-buckets a session, it is late by at most the coarsest width ever used.
 */
export const BUCKET_WIDTHS_MS = [5, 15, 30, 60, 120].map((minutes) => minutes * MINUTE_MS);
/** How late a killed run's session may be denied because of bucketing: the coarsest width. */
export const MAX_ARMED_LATENESS_MS = 120 * MINUTE_MS;
/**
 * Distinct bucket times a role holds before the grid coarsens: 8 × 216 characters, so that 50
 * live armed sessions and 300 ended ones fit 10,240 characters with room to compact (see
 * docs/security-model.md). On the coarsest grid, live deadlines (at most 12 h ahead, STS's longest
 * session) make at most 7.
 */
export const MAX_ARMED_BUCKETS = 8;

// The next multiple of `width` (since the epoch, so UTC-aligned) at or after `time`.
export function ceilTo(time: number, width: number): number {
  return Math.ceil(time / width) * width;
}

// The bucket function for one compaction: the finest grid on which the armed times make at most
// MAX_ARMED_BUCKETS buckets. Times up to `frozenUntil` keep their value: a deny that may already be
// in force (the margin covers clock skew with AWS) is never moved later, which would lift it.
export function planBuckets(times: readonly number[], frozenUntil: number): (time: number) => number {
  const place = (width: number) => (time: number) => (time > frozenUntil ? ceilTo(time, width) : time);
  for (const width of BUCKET_WIDTHS_MS.slice(0, -1)) {
    const bucket = place(width);
    if (new Set(times.map(bucket)).size <= MAX_ARMED_BUCKETS) return bucket;
  }
  return place(MAX_ARMED_LATENESS_MS);
}
