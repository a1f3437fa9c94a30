import { useState, type FormEvent } from 'react';
import { useAccessKeys, useCreateKey, useCredentials, useDefaultBucket, useRevokeKey } from '../api/queries';
import type { AccessKey, NewAccessKey } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CopyButton } from '../components/CopyButton';
import { formatDate } from '../lib/format';
import { buildSnippets } from '../lib/snippets';
import { useDocumentTitle } from '../lib/useDocumentTitle';

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : 'Something went wrong.';
}

/** What a secret looks like until "Show" is pressed, in its field and in the snippets. */
const MASK = '•'.repeat(24);

/**
 * A labelled value with a Copy button; a `secret` one is masked until "Show". Whether it is shown
 * may be held by the caller (`shown`, `onShownChange`), so that other places mask it too.
 */
function SecretValue({
  label,
  value,
  secret = false,
  shown: heldShown,
  onShownChange,
}: {
  label: string;
  value: string;
  secret?: boolean;
  shown?: boolean;
  onShownChange?: (shown: boolean) => void;
}) {
  const [ownShown, setOwnShown] = useState(!secret);
  const shown = heldShown ?? ownShown;
  const setShown = onShownChange ?? setOwnShown;
  return (
    <div className="kv">
      <dt>{label}</dt>
      <dd>
        <code className="kv-value" data-testid={`value-${label.toLowerCase().replace(/\s+/g, '-')}`}>
          {shown ? value : MASK}
        </code>
        <span className="kv-actions">
          {secret && (
            <button
              type="button"
              className="button button-small button-ghost"
              onClick={() => setShown(!shown)}
              aria-label={`${shown ? 'Hide' : 'Show'} ${label.toLowerCase()}`}
            >
              {shown ? 'Hide' : 'Show'}
            </button>
          )}
          <CopyButton text={value} label="Copy" name={`Copy ${label.toLowerCase()}`} />
        </span>
      </dd>
    </div>
  );
}

export function S3AccessPage() {
  const dashboardBucket = useDefaultBucket();
  useDocumentTitle('S3 access');
  const credentials = useCredentials();
  const keys = useAccessKeys();
  const createKey = useCreateKey();
  const revokeKey = useRevokeKey();
  const [description, setDescription] = useState('');
  const [newKey, setNewKey] = useState<NewAccessKey | null>(null);
  const [pendingRevoke, setPendingRevoke] = useState<AccessKey | null>(null);
  const [snippetTab, setSnippetTab] = useState<'aws-cli' | 'rclone' | 'boto3'>('aws-cli');
  // The temporary secret stays masked, in its field and in the snippets, until "Show".
  const [tempSecretShown, setTempSecretShown] = useState(false);

  function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    createKey.mutate(description.trim(), {
      onSuccess: (key) => {
        setNewKey(key);
        setDescription('');
      },
    });
  }

  const creds = credentials.data;
  // A new key's secret is on screen anyway (shown once); the temporary one only after "Show".
  const snippetSource = newKey
    ? { accessKeyId: newKey.access_key_id, secretAccessKey: newKey.secret_access_key, masked: false, what: `your new key ${newKey.access_key_id}` }
    : creds
      ? { accessKeyId: creds.access_key_id, secretAccessKey: creds.secret_access_key, masked: !tempSecretShown, what: 'your temporary credentials' }
      : null;
  const snippetsWith = (secretAccessKey: string) =>
    creds && snippetSource
      ? buildSnippets({
          accessKeyId: snippetSource.accessKeyId,
          secretAccessKey,
          endpoint: creds.endpoint,
          region: creds.region,
          bucket: dashboardBucket,
        })
      : [];
  /** What the Copy button copies: always the real secret. */
  const snippets = snippetsWith(snippetSource?.secretAccessKey ?? '');
  /** What is shown: the secret masked until "Show". */
  const shownSnippets = snippetSource?.masked ? snippetsWith(MASK) : snippets;
  const activeSnippet = snippets.find((s) => s.id === snippetTab) ?? snippets[0];
  const activeShown = shownSnippets.find((s) => s.id === activeSnippet?.id);

  return (
    <>
      <h1 className="page-title">S3 access</h1>
      <p className="lead">
        Use any S3 client with the gateway. Files you upload here are in the bucket <code>{dashboardBucket}</code>.
      </p>

      <section className="card" aria-labelledby="temp-heading">
        <div className="section-head">
          <h2 id="temp-heading">Temporary credentials</h2>
          <button
            type="button"
            className="button button-small"
            onClick={() => credentials.refetch()}
            disabled={credentials.isFetching}
          >
            {credentials.isFetching ? 'Requesting…' : 'New temporary credentials'}
          </button>
        </div>
        {credentials.isPending ? (
          <p role="status">Requesting credentials…</p>
        ) : credentials.isError ? (
          <p className="banner banner-error" role="alert">
            Could not get credentials: {errorText(credentials.error)}
          </p>
        ) : creds ? (
          <>
            <p className="muted">They last as long as your login: until {formatDate(creds.expiration)}.</p>
            <dl className="kv-list">
              <SecretValue label="Endpoint" value={creds.endpoint.replace(/\/+$/, '')} />
              <SecretValue label="Region" value={creds.region} />
              <SecretValue label="Access key ID" value={creds.access_key_id} />
              <SecretValue
                label="Secret access key"
                value={creds.secret_access_key}
                secret
                shown={tempSecretShown}
                onShownChange={setTempSecretShown}
              />
            </dl>
          </>
        ) : null}
      </section>

      <section className="card" aria-labelledby="keys-heading">
        <h2 id="keys-heading">Long-lived access keys</h2>
        <p className="muted">For scripts and servers. They work until you revoke them.</p>
        <form className="inline-form" onSubmit={onCreate}>
          <div className="field field-inline">
            <label htmlFor="key-description">Description (optional)</label>
            <input
              id="key-description"
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              placeholder="e.g. backup server"
              maxLength={200}
            />
          </div>
          <button type="submit" className="button button-primary" disabled={createKey.isPending}>
            {createKey.isPending ? 'Creating…' : 'Create key'}
          </button>
        </form>
        {createKey.isError && (
          <p className="banner banner-error" role="alert">
            Could not create a key: {errorText(createKey.error)}
          </p>
        )}
        {newKey && (
          <div className="banner banner-success new-key" role="status">
            <p>
              <strong>Key created.</strong> Copy the secret now: it is shown only once.
            </p>
            <dl className="kv-list">
              <SecretValue label="New access key ID" value={newKey.access_key_id} />
              <SecretValue label="New secret access key" value={newKey.secret_access_key} />
            </dl>
            <button type="button" className="button button-small button-ghost" onClick={() => setNewKey(null)}>
              I have saved it
            </button>
          </div>
        )}
        {keys.isPending ? (
          <p role="status">Loading keys…</p>
        ) : keys.isError ? (
          <p className="banner banner-error" role="alert">
            Could not load keys: {errorText(keys.error)}
          </p>
        ) : keys.data.length === 0 ? (
          <p className="empty-state">No long-lived keys yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="data-table keys-table">
              <thead>
                <tr>
                  <th scope="col">Access key ID</th>
                  <th scope="col">Description</th>
                  <th scope="col">Created</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.map((key) => (
                  <tr key={key.id}>
                    <td data-label="Access key ID">
                      <code className="break">{key.access_key_id}</code>
                    </td>
                    <td data-label="Description">{key.description || <span className="muted">—</span>}</td>
                    <td data-label="Created">{formatDate(key.created_at)}</td>
                    <td data-label="Status">
                      <span className={`status status-${key.status}`}>{key.status}</span>
                    </td>
                    <td className="cell-actions">
                      {key.status === 'active' && (
                        <button
                          type="button"
                          className="button button-small button-danger-outline"
                          onClick={() => {
                            revokeKey.reset();
                            setPendingRevoke(key);
                          }}
                          aria-label={`Revoke ${key.access_key_id}`}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="snippets-heading">
        <h2 id="snippets-heading">Client setup</h2>
        {snippetSource && activeSnippet ? (
          <>
            <p className="muted">
              Ready to paste, with {snippetSource.what}, the gateway's address and path-style addressing.
            </p>
            <div className="tabs" role="tablist" aria-label="S3 clients">
              {snippets.map((s) => (
                <button
                  key={s.id}
                  type="button"
                  role="tab"
                  id={`tab-${s.id}`}
                  aria-selected={s.id === activeSnippet.id}
                  aria-controls="snippet-panel"
                  tabIndex={s.id === activeSnippet.id ? 0 : -1}
                  className="tab"
                  onClick={() => setSnippetTab(s.id)}
                  onKeyDown={(e) => {
                    const index = snippets.findIndex((x) => x.id === s.id);
                    const delta = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
                    if (!delta) return;
                    const next = snippets[(index + delta + snippets.length) % snippets.length];
                    if (!next) return;
                    setSnippetTab(next.id);
                    document.getElementById(`tab-${next.id}`)?.focus();
                  }}
                >
                  {s.title}
                </button>
              ))}
            </div>
            <div
              id="snippet-panel"
              role="tabpanel"
              tabIndex={0}
              aria-labelledby={`tab-${activeSnippet.id}`}
              className="snippet"
            >
              <pre>
                <code>{activeShown?.code ?? activeSnippet.code}</code>
              </pre>
              {snippetSource.masked && (
                <p className="muted snippet-note">
                  The secret is masked here until you press Show above; Copy copies the real one.
                </p>
              )}
              <CopyButton
                key={activeSnippet.id}
                text={activeSnippet.code}
                label={`Copy ${activeSnippet.title} snippet`}
              />
            </div>
          </>
        ) : (
          <p className="muted">The snippets appear once credentials are available.</p>
        )}
      </section>

      {pendingRevoke && (
        <ConfirmDialog
          title="Revoke this key?"
          confirmLabel="Revoke"
          busy={revokeKey.isPending}
          error={revokeKey.isError ? errorText(revokeKey.error) : null}
          onConfirm={() =>
            revokeKey.mutate(pendingRevoke.id, {
              onSuccess: () => {
                if (newKey?.id === pendingRevoke.id) setNewKey(null);
                setPendingRevoke(null);
              },
            })
          }
          onCancel={() => setPendingRevoke(null)}
        >
          <p>
            Clients using <code className="break">{pendingRevoke.access_key_id}</code> will be refused from now on.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
