/** Shapes of the control plane's JSON, as the REST API returns them. */

export type StorageLocation = 'minio' | 's3' | (string & {});

export interface FileRecord {
  id: number;
  filename: string;
  original_filename: string;
  file_size: number;
  content_type: string;
  storage_location: StorageLocation;
  tier: 'hot' | 'cold';
  bucket: string;
  etag: string;
  access_url: string;
  uploaded_at: string;
  synced_at: string | null;
  /** The object's S3 tags. */
  tags: Record<string, string>;
}

export type SortField = 'uploaded_at' | 'filename' | 'file_size';
export type SortOrder = 'asc' | 'desc';

/** `GET /api/files`. */
export interface FilePage {
  files: FileRecord[];
  /** The caller's whole count; only when nothing narrows the list (no bucket, prefix or search). */
  total?: number;
  limit: number;
  /** Pass as `cursor` for the next page; `null` on the last. */
  next_cursor: string | null;
  /** Browse mode (bucket + delimiter): the "folders" under the prefix, as S3's CommonPrefixes. */
  common_prefixes?: string[];
  /** Legacy offset paging only. */
  offset?: number;
}

/** `GET /api/buckets`: one of the caller's buckets with what it holds per tier. */
export interface BucketSummary {
  name: string;
  created_at: string;
  hot: TierTotals;
  cold: TierTotals;
  has_lifecycle: boolean;
}

/** A lifecycle rule's tag condition. */
export interface LifecycleTag {
  key: string;
  value: string;
}

export interface LifecycleAnd {
  prefix?: string;
  tags?: LifecycleTag[];
  objectSizeGreaterThan?: number;
  objectSizeLessThan?: number;
}

/** Exactly one of prefix, tag, objectSizeGreaterThan, objectSizeLessThan, or `and`; `{}` is the whole bucket. */
export interface LifecycleFilter {
  prefix?: string;
  tag?: LifecycleTag;
  objectSizeGreaterThan?: number;
  objectSizeLessThan?: number;
  and?: LifecycleAnd;
}

export interface LifecycleTransition {
  days?: number;
  /** Unix milliseconds, a midnight UTC. */
  date?: number;
  storageClass: string;
}

export interface LifecycleExpiration {
  days?: number;
  /** Unix milliseconds, a midnight UTC. */
  date?: number;
  expiredObjectDeleteMarker?: boolean;
}

/** One rule, the camelCase mirror of S3's `<Rule>`. */
export interface LifecycleRule {
  id?: string;
  status: 'Enabled' | 'Disabled';
  /** The legacy top-level `<Prefix>`. */
  prefix?: string;
  filter?: LifecycleFilter;
  transitions?: LifecycleTransition[];
  expiration?: LifecycleExpiration;
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

export type MinimumObjectSize = 'all_storage_classes_128K' | 'varies_by_storage_class';

/** `GET/PUT /api/buckets/{name}/lifecycle`. */
export interface LifecycleConfiguration {
  rules: LifecycleRule[];
  transitionDefaultMinimumObjectSize?: MinimumObjectSize;
}

export interface LoginResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  user_id: number;
  email: string;
  is_admin: boolean;
}

export interface SignupResponse {
  user_id: number;
  email: string;
  message: string;
}

export interface DownloadLink {
  url: string;
  expires_in: number;
}

export interface TemporaryCredentials {
  access_key_id: string;
  secret_access_key: string;
  expiration: string;
  endpoint: string;
  region: string;
}

export interface AccessKey {
  id: number;
  access_key_id: string;
  description: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  status: string;
}

export interface NewAccessKey extends AccessKey {
  secret_access_key: string;
}

export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed';

export interface TieringRun {
  id: number;
  trigger: 'schedule' | 'manual' | 'cli' | (string & {});
  status: RunStatus;
  dry_run: boolean;
  started_at: string;
  finished_at: string | null;
  duration_seconds: number | null;
  candidates: number;
  moved: number;
  failed: number;
  bytes_moved: number;
  /** Objects deleted by lifecycle expirations. */
  expired: number;
  /** Multipart uploads aborted by lifecycle rules. */
  aborted: number;
  error: string | null;
}

/** What one lifecycle rule (or the default policy, `rule_id` null) did in a pass. */
export interface RuleResult {
  owner: number | null;
  bucket: string | null;
  rule_id: string | null;
  matched: number;
  moved: number;
  move_failed: number;
  bytes_moved: number;
  expired: number;
  expire_failed: number;
  bytes_expired: number;
  aborted: number;
  abort_failed: number;
}

export interface TieringFailure {
  object_id: number;
  bucket: string;
  key: string;
  reason: string;
  failed_at: string;
}

export interface TieringRunDetail extends TieringRun {
  failures: TieringFailure[];
  /** Rules that matched nothing are left out. */
  rules?: RuleResult[];
}

export interface TierTotals {
  objects: number;
  bytes: number;
}

export interface TieringSummary {
  hot: TierTotals;
  cold: TierTotals;
  /** Admins get the whole record; others when it ran and how it ended. */
  last_run: TieringRun | null;
  next_run_at: string | null;
  schedule: string;
  timezone: string;
  /** The storage class a lifecycle transition must name (the cold tier's). */
  cold_storage_class?: string;
  /** What happens in buckets without rules. */
  default_policy?: 'all' | 'none';
  min_age_seconds?: number;
  day_length_seconds?: number;
}

/** `GET /api/auth/me`: who the token belongs to, as the server sees them now. */
export interface Me {
  user_id: number;
  email: string;
  is_admin: boolean;
  expires_at: number;
  /** The bucket browser uploads go to (`upload.default_bucket`). */
  default_bucket?: string;
}

export type SignupPolicy = 'open' | 'invite' | 'closed';

/** What a user stores, in all and by tier. */
export interface Usage {
  bytes: number;
  objects: number;
  hot_bytes: number;
  hot_objects: number;
  cold_bytes: number;
  cold_objects: number;
}

/** A quota in effect; `null` is unlimited. `custom`: set by an admin (else the server's default). */
export interface Quota {
  bytes: number | null;
  objects: number | null;
  custom: boolean;
}

/** `GET /api/usage`. */
export interface MyUsage {
  usage: Usage;
  quota: Quota;
}

export interface AdminUser {
  id: number;
  email: string;
  created_at: string;
  disabled: boolean;
  disabled_at: string | null;
  is_admin: boolean;
  /** `settings`: named in the server's settings (not changeable here); `granted`: through the admin API. */
  admin_source: 'settings' | 'granted' | null;
  last_login_at: string | null;
  usage: Usage;
  quota: Quota;
}

export interface AdminUserPage {
  users: AdminUser[];
  /** Pass as `after` for the next page; `null` on the last. */
  next_after: number | null;
}

export interface QuotaChange {
  bytes: number | null;
  objects: number | null;
}

export type InviteStatus = 'unused' | 'used' | 'expired';

export interface Invite {
  id: number;
  email: string | null;
  created_by: number | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  used_by: number | null;
  status: InviteStatus;
}

/** The answer to creating an invite: the token and link are shown this once. */
export interface NewInvite extends Invite {
  token: string;
  signup_url: string;
}

export interface InviteRequest {
  email?: string;
  /** Seconds. */
  expires_in?: number;
}
