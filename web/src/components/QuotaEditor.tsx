import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { useResetQuota, useSetQuota } from '../api/queries';
import type { AdminUser, Quota } from '../api/types';
import { formatBytes, plural } from '../lib/format';
import { QUOTA_UNITS, quotaProblem, quotaValue, type QuotaUnit } from '../lib/validation';
import { Field } from './Field';
import { useModal } from './useModal';

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : 'Something went wrong.';
}

function unitBytes(unit: QuotaUnit): number {
  return QUOTA_UNITS.find((u) => u.label === unit)?.bytes ?? 1;
}

/** A quota in words: "1 GiB, 1,000 objects", "No limit". */
export function quotaSummary(quota: Pick<Quota, 'bytes' | 'objects'>): string {
  const parts = [
    quota.bytes === null ? null : formatBytes(quota.bytes),
    quota.objects === null ? null : plural(quota.objects, 'object'),
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'No limit';
}

/** The largest unit that shows `bytes` as a whole number; else whole MiB, rounded up (and said so). */
function initialBytes(bytes: number | null): { amount: string; unit: QuotaUnit; note: string | null } {
  if (bytes === null) return { amount: '', unit: 'GiB', note: null };
  if (bytes === 0) return { amount: '0', unit: 'GiB', note: null };
  for (const unit of [...QUOTA_UNITS].reverse()) {
    if (bytes % unit.bytes === 0) return { amount: String(bytes / unit.bytes), unit: unit.label, note: null };
  }
  const mib = QUOTA_UNITS[0];
  return {
    amount: String(Math.ceil(bytes / mib.bytes)),
    unit: mib.label,
    note: `Now ${plural(bytes, 'byte')}, shown rounded up to whole MiB.`,
  };
}

/**
 * An admin's editor for one user's quota, as a modal: a storage limit in MiB/GiB/TiB and an
 * object limit, each empty for no limit; "Use default" goes back to the server's default.
 */
export function QuotaEditor({ user, onClose }: { user: AdminUser; onClose: () => void }) {
  const titleId = useId();
  const unitId = useId();
  const start = initialBytes(user.quota.bytes);
  const [amount, setAmount] = useState(start.amount);
  const [unit, setUnit] = useState<QuotaUnit>(start.unit);
  const [objects, setObjects] = useState(user.quota.objects === null ? '' : String(user.quota.objects));
  const [bytesError, setBytesError] = useState<string | null>(null);
  const [objectsError, setObjectsError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const setQuota = useSetQuota();
  const resetQuota = useResetQuota();
  const busy = setQuota.isPending || resetQuota.isPending;
  const dialogRef = useModal({ busy, onCancel: onClose });

  function showError(err: unknown) {
    if (err instanceof ApiError && err.field === 'bytes') setBytesError(err.message);
    else if (err instanceof ApiError && err.field === 'objects') setObjectsError(err.message);
    else setFormError(`Could not change the quota: ${errorText(err)}`);
  }

  function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const scale = unitBytes(unit);
    const bProblem = quotaProblem(amount, scale);
    const oProblem = quotaProblem(objects);
    setBytesError(bProblem);
    setObjectsError(oProblem);
    setFormError(null);
    if (bProblem || oProblem) return;
    setQuota.mutate(
      { id: user.id, quota: { bytes: quotaValue(amount, scale), objects: quotaValue(objects) } },
      { onSuccess: onClose, onError: showError },
    );
  }

  function backToDefault() {
    setBytesError(null);
    setObjectsError(null);
    setFormError(null);
    resetQuota.mutate(user.id, { onSuccess: onClose, onError: showError });
  }

  return (
    <div className="modal-backdrop">
      <div ref={dialogRef} className="modal quota-editor" role="dialog" aria-modal="true" aria-labelledby={titleId}>
        <h2 id={titleId} className="modal-title">
          Quota for <span className="break">{user.email}</span>
        </h2>
        <p className="muted">
          Now: {quotaSummary(user.quota)} ({user.quota.custom ? 'set by an admin' : "the server's default"}). A lower
          quota holds for new uploads; nothing stored is deleted.
        </p>
        <form onSubmit={save} noValidate aria-label="Quota">
          <div className="quota-bytes">
            <Field
              label="Storage limit"
              type="text"
              inputMode="numeric"
              name="bytes"
              autoComplete="off"
              hint={start.note ?? 'Empty for no limit.'}
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
              error={bytesError}
            />
            <div className="field">
              <label htmlFor={unitId}>Unit</label>
              <select id={unitId} value={unit} onChange={(e) => setUnit(e.target.value as QuotaUnit)}>
                {QUOTA_UNITS.map((u) => (
                  <option key={u.label} value={u.label}>
                    {u.label}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <Field
            label="Object limit"
            type="text"
            inputMode="numeric"
            name="objects"
            autoComplete="off"
            hint="Files and S3 objects. Empty for no limit."
            value={objects}
            onChange={(e) => setObjects(e.target.value)}
            error={objectsError}
          />
          {formError && (
            <p className="banner banner-error" role="alert">
              {formError}
            </p>
          )}
          <div className="modal-actions">
            <button
              type="button"
              className="button button-ghost quota-default"
              onClick={backToDefault}
              disabled={busy || !user.quota.custom}
              title={user.quota.custom ? undefined : 'This user already has the default quota.'}
            >
              Use default
            </button>
            <button type="button" className="button" onClick={onClose} disabled={busy}>
              Cancel
            </button>
            <button type="submit" className="button button-primary" disabled={busy}>
              {setQuota.isPending ? 'Saving…' : 'Save'}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
