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
}

export type SortField = 'uploaded_at' | 'filename' | 'file_size';
export type SortOrder = 'asc' | 'desc';

export interface FilePage {
  files: FileRecord[];
  total: number;
  limit: number;
  offset: number;
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
  error: string | null;
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
}

export interface TierTotals {
  objects: number;
  bytes: number;
}

export interface TieringSummary {
  hot: TierTotals;
  cold: TierTotals;
  last_run: TieringRun | null;
  next_run_at: string | null;
  schedule: string;
  timezone: string;
}

/** `GET /api/auth/me`: who the token belongs to, as the server sees them now. */
export interface Me {
  user_id: number;
  email: string;
  is_admin: boolean;
  expires_at: number;
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
