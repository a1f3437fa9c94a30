import { StorageBadge } from './StorageBadge';

interface UsageBarProps {
  /** What is measured, for screen readers: "Storage", "Objects". */
  label: string;
  hot: number;
  cold: number;
  /** The quota; `null` is no limit. */
  limit: number | null;
  format: (n: number) => string;
  /** Said after the numbers, singular and plural, e.g. ["object", "objects"] → "3 of 10 objects used", "1 object used". */
  noun?: readonly [one: string, many: string];
  compact?: boolean;
  testId?: string;
}

function percent(part: number, whole: number): number {
  return whole > 0 ? (part / whole) * 100 : 0;
}

/**
 * What is used, split by tier (hot = MinIO blue, cold = S3 green, the badges' colours), against
 * the quota when there is one: "X of Y used", or "X used, no quota".
 */
export function UsageBar({ label, hot, cold, limit, format, noun, compact = false, testId }: UsageBarProps) {
  const used = hot + cold;
  const over = limit !== null && used > limit;
  // Without a quota the bar only shows the split; over a quota it is full.
  const whole = limit === null ? used : Math.max(limit, used);
  // The noun goes with the last number said: the limit, else what is used.
  const last = limit ?? used;
  const suffix = noun ? ` ${last === 1 ? noun[0] : noun[1]}` : '';
  const text =
    limit === null
      ? `${format(used)}${suffix} used, no quota`
      : `${format(used)} of ${format(limit)}${suffix} used`;
  const share = limit !== null && limit > 0 ? ` (${Math.round(percent(used, limit))}%)` : '';
  const description = `${label}: ${text}${share}; ${format(hot)} in the hot tier (MinIO), ${format(cold)} in the cold tier (S3)`;

  return (
    <div className={`usage${compact ? ' usage-compact' : ''}${over ? ' usage-over' : ''}`} data-testid={testId}>
      <div
        className={`usage-bar${limit === null ? ' usage-bar-unlimited' : ''}`}
        role="img"
        aria-label={description}
        title={description}
      >
        <span className="usage-segment usage-hot" style={{ width: `${percent(hot, whole)}%` }} />
        <span className="usage-segment usage-cold" style={{ width: `${percent(cold, whole)}%` }} />
      </div>
      <p className="usage-text">
        {text}
        {over && <strong className="usage-over-text"> — over the quota</strong>}
      </p>
      <p className="usage-legend" aria-hidden="true">
        <span>
          <StorageBadge location="minio" /> {format(hot)}
        </span>
        <span>
          <StorageBadge location="s3" /> {format(cold)}
        </span>
      </p>
    </div>
  );
}
