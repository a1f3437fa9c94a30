import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { useLifecycle, useSaveLifecycle, useTieringSummary } from '../api/queries';
import type { LifecycleConfiguration, LifecycleRule } from '../api/types';
import { formatBytes, plural } from '../lib/format';
import {
  coldStorageClass,
  describeActions,
  describeFilter,
  EMPTY_RULE_FORM,
  formToRule,
  lifecycleXml,
  notSimpleReason,
  ruleFormProblems,
  ruleToForm,
  skipsSmallObjects,
  type RuleForm,
  type RuleFormProblems,
} from '../lib/lifecycle';
import { CopyButton } from './CopyButton';
import { Field } from './Field';

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : 'Something went wrong.';
}

/** The rule being edited: an existing one (by its place in the list) or a new one. */
interface Editing {
  index: number | 'new';
  form: RuleForm;
  /** The form's problems, shown once the user tried to keep it. */
  problems: RuleFormProblems | null;
}

interface RuleFormPanelProps {
  editing: Editing;
  title: string;
  storageClass: string;
  onChange: (form: RuleForm) => void;
  onDone: () => void;
  onCancel: () => void;
}

/** The simple editor's fields for one rule. */
function RuleFormPanel({ editing, title, storageClass, onChange, onDone, onCancel }: RuleFormPanelProps) {
  const headingId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const { form, problems } = editing;
  const set = (change: Partial<RuleForm>) => onChange({ ...form, ...change });

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    onDone();
  }

  const minSize = Number(form.minSize.trim());
  const minSizeHint =
    form.minSize.trim() && Number.isSafeInteger(minSize) && minSize >= 0
      ? `Only objects larger than ${formatBytes(minSize)}. Naming a size (even 0) also moves objects under 128 KiB.`
      : 'Only objects larger than this many bytes. Naming a size (even 0) also moves objects under 128 KiB.';

  return (
    <form className="rule-form" aria-labelledby={headingId} onSubmit={submit} noValidate>
      <h3 id={headingId} ref={headingRef} tabIndex={-1}>
        {title}
      </h3>
      <div className="rule-form-grid">
        <Field
          label="Prefix"
          value={form.prefix}
          onChange={(e) => set({ prefix: e.target.value })}
          hint="Keys starting with this, e.g. logs/ (empty: the whole bucket)."
          autoComplete="off"
        />
        <Field
          label="Tag key"
          value={form.tagKey}
          onChange={(e) => set({ tagKey: e.target.value })}
          error={problems?.tagKey}
          hint="Only objects with this tag (optional)."
          autoComplete="off"
        />
        <Field
          label="Tag value"
          value={form.tagValue}
          onChange={(e) => set({ tagValue: e.target.value })}
          autoComplete="off"
        />
        <Field
          label="Minimum size (bytes)"
          value={form.minSize}
          onChange={(e) => set({ minSize: e.target.value })}
          error={problems?.minSize}
          hint={minSizeHint}
          inputMode="numeric"
          autoComplete="off"
        />
        <Field
          label="Days to cold"
          value={form.daysToCold}
          onChange={(e) => set({ daysToCold: e.target.value })}
          error={problems?.daysToCold}
          hint={`Days after upload before a pass moves it to the cold tier (storage class ${storageClass}); 0: from the next midnight UTC.`}
          inputMode="numeric"
          autoComplete="off"
        />
        <Field
          label="Days to delete"
          value={form.daysToDelete}
          onChange={(e) => set({ daysToDelete: e.target.value })}
          error={problems?.daysToDelete}
          hint="Days after upload before a pass deletes it (1 or more, and more than the days to cold)."
          inputMode="numeric"
          autoComplete="off"
        />
        <Field
          label="Rule ID (optional)"
          value={form.id}
          onChange={(e) => set({ id: e.target.value })}
          error={problems?.id}
          hint="A name for the rule; the server makes one up when empty."
          autoComplete="off"
        />
        <div className="field field-check">
          <label>
            <input type="checkbox" checked={form.enabled} onChange={(e) => set({ enabled: e.target.checked })} /> Enabled
          </label>
          <p className="field-hint">A disabled rule is kept but does nothing.</p>
        </div>
      </div>
      {problems?.actions && (
        <p className="field-error" role="alert">
          {problems.actions}
        </p>
      )}
      <div className="rule-form-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button">
          Done
        </button>
      </div>
    </form>
  );
}

function RuleItem({
  rule,
  index,
  onEdit,
  onDelete,
  disabled,
}: {
  rule: LifecycleRule;
  index: number;
  onEdit: (() => void) | null;
  onDelete: () => void;
  disabled: boolean;
}) {
  const reason = notSimpleReason(rule);
  const name = rule.id ? rule.id : `new rule ${index + 1}`;
  return (
    <li className="rule-item" data-rule-id={rule.id ?? ''}>
      <div className="rule-text">
        <p className="rule-title">
          {rule.id ? <code className="break">{rule.id}</code> : <em>New rule (its ID is given on saving)</em>}{' '}
          <span className={`status ${rule.status === 'Enabled' ? 'status-succeeded' : ''}`}>
            {rule.status === 'Enabled' ? 'Enabled' : 'Disabled'}
          </span>
        </p>
        <p className="rule-summary">
          {describeFilter(rule)}: {describeActions(rule)}.
        </p>
        {skipsSmallObjects(rule) && (
          <p className="muted rule-note">Objects under 128 KiB stay in the hot tier: the rule names no size.</p>
        )}
        {reason && (
          <p className="muted rule-readonly">
            Shown as it is, and kept as it is when you save: {reason}, which this editor cannot show. Edit it with an S3
            client.
          </p>
        )}
      </div>
      <div className="row-actions">
        {onEdit && (
          <button type="button" className="button button-small" onClick={onEdit} disabled={disabled} aria-label={`Edit ${name}`}>
            Edit
          </button>
        )}
        <button
          type="button"
          className="button button-small button-danger-outline"
          onClick={onDelete}
          disabled={disabled}
          aria-label={`Delete ${name}`}
        >
          Delete
        </button>
      </div>
    </li>
  );
}

/**
 * A bucket's lifecycle rules: the list (rules the simple form cannot show are kept read-only),
 * add/edit/delete, Save (PUT of the whole configuration, DELETE when no rule is left), the
 * server's refusal next to it, and the configuration as S3 XML, live, with a copy button.
 */
export function LifecycleEditor({ bucket }: { bucket: string }) {
  const query = useLifecycle(bucket);
  const save = useSaveLifecycle(bucket);
  /** The rules as changed here; null while they are the server's. */
  const [draft, setDraft] = useState<LifecycleRule[] | null>(null);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [saved, setSaved] = useState(false);
  const headingId = useId();

  const stored: LifecycleConfiguration | null = query.data ?? null;
  const rules = draft ?? stored?.rules ?? [];
  // The server names its cold tier's class; until it has answered, a stored transition's.
  const summary = useTieringSummary();
  const storageClass = summary.data?.cold_storage_class ?? coldStorageClass([...(stored?.rules ?? []), ...rules]);
  const dirty = draft !== null;

  const editingRule = editing && editing.index !== 'new' ? rules[editing.index] : undefined;
  /** The rules with the open form as it is now: what Save would send, and what the XML shows. */
  const withForm = (form: RuleForm | null): LifecycleRule[] => {
    if (!editing || !form) return rules;
    const rule = formToRule(form, storageClass, editingRule);
    return editing.index === 'new' ? [...rules, rule] : rules.map((r, i) => (i === editing.index ? rule : r));
  };
  const configuration = (list: LifecycleRule[]): LifecycleConfiguration => ({
    rules: list,
    ...(stored?.transitionDefaultMinimumObjectSize
      ? { transitionDefaultMinimumObjectSize: stored.transitionDefaultMinimumObjectSize }
      : {}),
  });
  const preview = withForm(editing?.form ?? null);

  function change(next: LifecycleRule[]) {
    setDraft(next);
    setSaved(false);
    save.reset();
  }

  /** Checks the open form; its rule list, or null when the form has problems (then shown). */
  function keepForm(): LifecycleRule[] | null {
    if (!editing) return rules;
    const problems = ruleFormProblems(editing.form);
    if (Object.keys(problems).length > 0) {
      setEditing({ ...editing, problems });
      return null;
    }
    return withForm(editing.form);
  }

  function done() {
    const next = keepForm();
    if (!next) return;
    change(next);
    setEditing(null);
  }

  function onSave() {
    const next = keepForm();
    if (!next) return;
    // On a refusal nothing changes here (the open form stays open) so that the user can mend it.
    save.mutate(configuration(next), {
      onSuccess: () => {
        setDraft(null);
        setEditing(null);
        setSaved(true);
      },
    });
  }

  function discard() {
    setDraft(null);
    setEditing(null);
    setSaved(false);
    save.reset();
  }

  const saveError = save.isError ? save.error : null;
  const refusal = saveError instanceof ApiError && saveError.status === 400;
  const xml = lifecycleXml(configuration(preview));
  const minimumHeader = stored?.transitionDefaultMinimumObjectSize === 'varies_by_storage_class';
  const formPanel = editing && (
    <RuleFormPanel
      editing={editing}
      title={editing.index === 'new' ? 'New rule' : `Edit rule ${editingRule?.id ?? ''}`.trim()}
      storageClass={storageClass}
      onChange={(form) => setEditing({ ...editing, form, problems: editing.problems && ruleFormProblems(form) })}
      onDone={done}
      onCancel={() => setEditing(null)}
    />
  );

  return (
    <section className="card lifecycle-editor" aria-labelledby={headingId}>
      <div className="section-head">
        <h2 id={headingId}>
          Lifecycle rules of <code>{bucket}</code>
        </h2>
        <button
          type="button"
          className="button button-small"
          onClick={() => setEditing({ index: 'new', form: EMPTY_RULE_FORM, problems: null })}
          disabled={editing !== null || save.isPending || query.isPending}
        >
          Add rule
        </button>
      </div>
      <p className="muted">
        Rules decide what the tiering pass moves to the cold tier and what it deletes, by days since upload (rounded up to
        midnight UTC, as on AWS). Objects under 128 KiB do not move unless a rule names a minimum size (AWS's default), and
        buckets without rules follow the server's default policy.
      </p>

      {query.isPending ? (
        <p role="status">Loading the rules…</p>
      ) : query.isError ? (
        <div className="banner banner-error" role="alert">
          <p>The rules could not be loaded: {errorText(query.error)}</p>
          <button type="button" className="button button-small" onClick={() => query.refetch()}>
            Try again
          </button>
        </div>
      ) : (
        <>
          {rules.length === 0 && editing?.index !== 'new' ? (
            <p className="empty-state">
              {dirty
                ? 'No rules left: saving removes the configuration, and the bucket follows the default policy again.'
                : "No rules: this bucket follows the server's default policy."}
            </p>
          ) : (
            <ul className="rule-list" aria-label={`Rules of ${bucket}`}>
              {rules.map((rule, index) =>
                editing?.index === index ? (
                  <li key={`${rule.id ?? 'new'}-${index}`} className="rule-item-editing">
                    {formPanel}
                  </li>
                ) : (
                  <RuleItem
                    key={`${rule.id ?? 'new'}-${index}`}
                    rule={rule}
                    index={index}
                    disabled={editing !== null || save.isPending}
                    onEdit={
                      notSimpleReason(rule) === null
                        ? () => setEditing({ index, form: ruleToForm(rule), problems: null })
                        : null
                    }
                    onDelete={() => change(rules.filter((_, i) => i !== index))}
                  />
                ),
              )}
            </ul>
          )}

          {editing?.index === 'new' && formPanel}

          <div className="save-row">
            <button
              type="button"
              className="button button-primary"
              onClick={onSave}
              disabled={save.isPending || (!dirty && !editing)}
            >
              {save.isPending ? 'Saving…' : 'Save rules'}
            </button>
            <button type="button" className="button" onClick={discard} disabled={save.isPending || (!dirty && !editing)}>
              Discard changes
            </button>
            <span aria-live="polite" className="save-state">
              {dirty || editing ? (
                <span className="muted">Unsaved changes.</span>
              ) : saved ? (
                <span className="ok-text">
                  Saved: {stored ? plural(stored.rules.length, 'rule') : 'no rules, the default policy applies'}.
                </span>
              ) : null}
            </span>
          </div>
          {saveError && (
            <div className="banner banner-error" role="alert" data-testid="lifecycle-error">
              <p>
                {refusal ? 'The server refused these rules' : 'The rules could not be saved'}
                {saveError instanceof ApiError && refusal ? <> (<code>{saveError.code}</code>)</> : null}:
              </p>
              <p className="refusal-message">{errorText(saveError)}</p>
            </div>
          )}

          <div className="lifecycle-xml">
            <div className="section-head">
              <h3>As S3 XML</h3>
              {preview.length > 0 && <CopyButton text={xml} label="Copy XML" name="Copy the XML" />}
            </div>
            {preview.length > 0 ? (
              <>
                <p className="muted">
                  The body of PutBucketLifecycleConfiguration, the document S3 clients send to the gateway:{' '}
                  <code>s3cmd setlifecycle</code> takes it as a file; <code>aws s3api put-bucket-lifecycle-configuration</code>{' '}
                  sends it for you from its JSON form.
                  {minimumHeader && (
                    <>
                      {' '}
                      With the header <code>x-amz-transition-default-minimum-object-size: varies_by_storage_class</code>.
                    </>
                  )}
                </p>
                <pre className="xml-preview" data-testid="lifecycle-xml">
                  <code>{xml}</code>
                </pre>
              </>
            ) : (
              <p className="muted">
                No rules: no configuration (as <code>aws s3api delete-bucket-lifecycle</code> leaves it).
              </p>
            )}
          </div>
        </>
      )}
    </section>
  );
}
