import type { StorageLocation } from '../api/types';

const LABELS: Record<string, { text: string; tier: string }> = {
  minio: { text: 'MinIO', tier: 'hot tier' },
  s3: { text: 'S3', tier: 'cold tier' },
};

/** Where a file lives: MinIO (hot tier, blue) or S3 (cold tier, green). */
export function StorageBadge({ location }: { location: StorageLocation }) {
  const known = LABELS[location];
  const text = known?.text ?? location;
  const className = known ? `badge badge-${location}` : 'badge badge-other';
  return (
    <span className={className} title={known ? `Stored in the ${known.tier} (${known.text})` : `Stored in ${location}`} data-location={location}>
      {text}
    </span>
  );
}
