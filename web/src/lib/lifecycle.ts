/**
 * Bucket lifecycle rules for the simple editor of the Buckets page: which rules it can show as
 * a form (prefix, one tag, a minimum size, days to the cold tier, days to deletion, enabled),
 * the form's checks, the rule a form stands for, a rule in words, and a configuration as the
 * S3 XML document (PutBucketLifecycleConfiguration) an S3 client would send.
 */
import type { LifecycleConfiguration, LifecycleFilter, LifecycleRule, LifecycleTag } from '../api/types';
import { formatBytes } from './format';

/**
 * The storage class a transition must name: the cold tier's (`tiers.cold.storage_class`).
 * The server names it in `GET /api/tiering/summary` (`cold_storage_class`); until that answer
 * is in, a configuration that already has a transition tells us (see `coldStorageClass`), else
 * STANDARD_IA, Tiergate's default.
 */
export const DEFAULT_COLD_STORAGE_CLASS = 'STANDARD_IA';

/** AWS's default (`all_storage_classes_128K`): smaller objects move only when a rule names a size. */
export const DEFAULT_MIN_TRANSITION_BYTES = 128 * 1024;

/** The most characters a rule ID may have (AWS's limit). */
export const MAX_RULE_ID_CHARS = 255;

/** What the simple editor shows of a rule, as the text of its fields. */
export interface RuleForm {
  id: string;
  prefix: string;
  tagKey: string;
  tagValue: string;
  /** Bytes: the rule takes only objects larger than this (ObjectSizeGreaterThan). */
  minSize: string;
  /** Days after upload to move to the cold tier (Transition). */
  daysToCold: string;
  /** Days after upload to delete (Expiration). */
  daysToDelete: string;
  enabled: boolean;
}

export const EMPTY_RULE_FORM: RuleForm = {
  id: '',
  prefix: '',
  tagKey: '',
  tagValue: '',
  minSize: '',
  daysToCold: '',
  daysToDelete: '',
  enabled: true,
};

/** A rule's conditions, whichever way its filter is written. */
interface Conditions {
  prefix: string | undefined;
  tags: LifecycleTag[];
  greaterThan: number | undefined;
  lessThan: number | undefined;
}

function conditionsOf(rule: LifecycleRule): Conditions {
  const f: LifecycleFilter = rule.filter ?? {};
  if (f.and) {
    return {
      prefix: f.and.prefix,
      tags: f.and.tags ?? [],
      greaterThan: f.and.objectSizeGreaterThan,
      lessThan: f.and.objectSizeLessThan,
    };
  }
  return {
    prefix: f.prefix ?? rule.prefix,
    tags: f.tag ? [f.tag] : [],
    greaterThan: f.objectSizeGreaterThan,
    lessThan: f.objectSizeLessThan,
  };
}

/**
 * Why the simple editor cannot change this rule (it would lose something), or null when it can.
 * Such rules are kept as they are and shown read-only.
 */
export function notSimpleReason(rule: LifecycleRule): string | null {
  const reasons: string[] = [];
  const c = conditionsOf(rule);
  if (c.tags.length > 1) reasons.push(`it needs ${c.tags.length} tags`);
  if (c.lessThan !== undefined) reasons.push('it has a maximum object size');
  const transitions = rule.transitions ?? [];
  if (transitions.length > 1) reasons.push('it has several transitions');
  if (transitions.some((t) => t.date !== undefined) || rule.expiration?.date !== undefined) reasons.push('it uses dates');
  if (rule.expiration?.expiredObjectDeleteMarker) reasons.push('it removes delete markers');
  if (rule.abortIncompleteMultipartUpload) reasons.push('it aborts incomplete multipart uploads');
  if (rule.prefix !== undefined && rule.filter !== undefined) reasons.push('it has both a Prefix and a Filter');
  return reasons.length ? reasons.join(', ') : null;
}

/** The form for a rule the simple editor can change (see `notSimpleReason`). */
export function ruleToForm(rule: LifecycleRule): RuleForm {
  const c = conditionsOf(rule);
  const tag = c.tags[0];
  const transition = rule.transitions?.[0];
  return {
    id: rule.id ?? '',
    prefix: c.prefix ?? '',
    tagKey: tag?.key ?? '',
    tagValue: tag?.value ?? '',
    minSize: c.greaterThan === undefined ? '' : String(c.greaterThan),
    daysToCold: transition?.days === undefined ? '' : String(transition.days),
    daysToDelete: rule.expiration?.days === undefined ? '' : String(rule.expiration.days),
    enabled: rule.status === 'Enabled',
  };
}

const WHOLE_NUMBER = /^\d+$/;

/** A whole number field: its value, or undefined when empty or not a whole number. */
function wholeNumber(text: string): number | undefined {
  const t = text.trim();
  return WHOLE_NUMBER.test(t) && Number.isSafeInteger(Number(t)) ? Number(t) : undefined;
}

export type RuleFormProblems = Partial<Record<keyof RuleForm | 'actions', string>>;

/** What is wrong with a form before the server is asked (it checks again, as AWS does). */
export function ruleFormProblems(form: RuleForm): RuleFormProblems {
  const problems: RuleFormProblems = {};
  if (form.id.trim().length > MAX_RULE_ID_CHARS) problems.id = `Use at most ${MAX_RULE_ID_CHARS} characters.`;
  if (!form.tagKey.trim() && form.tagValue.trim()) problems.tagKey = 'Give the tag a key, or clear its value.';
  const number = (text: string, min: number, what: string) => {
    const t = text.trim();
    if (!t) return undefined;
    const n = wholeNumber(t);
    if (n === undefined || n < min) return `Enter a whole number of ${what} of ${min} or more, or leave it empty.`;
    return undefined;
  };
  const minSize = number(form.minSize, 0, 'bytes');
  if (minSize) problems.minSize = minSize;
  const toCold = number(form.daysToCold, 0, 'days');
  if (toCold) problems.daysToCold = toCold;
  const toDelete = number(form.daysToDelete, 1, 'days');
  if (toDelete) problems.daysToDelete = toDelete;
  const cold = wholeNumber(form.daysToCold);
  const del = wholeNumber(form.daysToDelete);
  if (!form.daysToCold.trim() && !form.daysToDelete.trim()) {
    problems.actions = 'Give the days to the cold tier, the days to deletion, or both: a rule must do something.';
  } else if (cold !== undefined && del !== undefined && !toCold && !toDelete && del <= cold) {
    problems.daysToDelete = 'Deletion must come after the move to the cold tier: give more days than to the cold tier.';
  }
  return problems;
}

/**
 * The rule a form stands for. Lenient (what is not a number is left out) so that the XML can
 * follow the form as it is typed; check `ruleFormProblems` before keeping it. `storageClass` is
 * the cold tier's; a rule that had a transition keeps the class it named.
 */
export function formToRule(form: RuleForm, storageClass: string, base?: LifecycleRule): LifecycleRule {
  const prefix = form.prefix;
  const tag = form.tagKey.trim() ? { key: form.tagKey.trim(), value: form.tagValue.trim() } : undefined;
  const greaterThan = wholeNumber(form.minSize);
  const given = [prefix !== '', tag !== undefined, greaterThan !== undefined].filter(Boolean).length;
  let filter: LifecycleFilter;
  if (given > 1) {
    filter = {
      and: {
        ...(prefix !== '' ? { prefix } : {}),
        ...(tag ? { tags: [tag] } : {}),
        ...(greaterThan !== undefined ? { objectSizeGreaterThan: greaterThan } : {}),
      },
    };
  } else if (prefix !== '') filter = { prefix };
  else if (tag) filter = { tag };
  else if (greaterThan !== undefined) filter = { objectSizeGreaterThan: greaterThan };
  else filter = {};

  const daysToCold = wholeNumber(form.daysToCold);
  const daysToDelete = wholeNumber(form.daysToDelete);
  const id = form.id.trim();
  const transitionClass = base?.transitions?.[0]?.storageClass ?? storageClass;
  return {
    ...(id ? { id } : {}),
    status: form.enabled ? 'Enabled' : 'Disabled',
    filter,
    ...(daysToCold !== undefined ? { transitions: [{ days: daysToCold, storageClass: transitionClass }] } : {}),
    ...(daysToDelete !== undefined ? { expiration: { days: daysToDelete } } : {}),
  };
}

/** The cold tier's storage class as far as we can tell: the one a stored transition names. */
export function coldStorageClass(rules: LifecycleRule[] | undefined): string {
  for (const rule of rules ?? []) {
    const named = rule.transitions?.find((t) => t.storageClass)?.storageClass;
    if (named) return named;
  }
  return DEFAULT_COLD_STORAGE_CLASS;
}

function days(n: number): string {
  return n === 1 ? '1 day' : `${n} days`;
}

function dateText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** When an action applies, in words: "after 30 days", "from 2027-01-01". */
function when(trigger: { days?: number; date?: number }): string {
  if (trigger.days !== undefined) return `after ${days(trigger.days)}`;
  if (trigger.date !== undefined) return `from ${dateText(trigger.date)} (UTC)`;
  return '(no time given)';
}

/** Which objects a rule applies to, in words. */
export function describeFilter(rule: LifecycleRule): string {
  const c = conditionsOf(rule);
  const parts: string[] = [];
  parts.push(c.prefix ? `Objects under “${c.prefix}”` : 'All objects');
  if (c.tags.length) parts.push(`tagged ${c.tags.map((t) => `${t.key}=${t.value}`).join(' and ')}`);
  if (c.greaterThan !== undefined) parts.push(`larger than ${formatBytes(c.greaterThan)}`);
  if (c.lessThan !== undefined) parts.push(`smaller than ${formatBytes(c.lessThan)}`);
  return parts.join(', ');
}

/** What a rule does, in words: "to the cold tier after 30 days; deleted after 365 days". */
export function describeActions(rule: LifecycleRule): string {
  const parts: string[] = [];
  for (const t of rule.transitions ?? []) parts.push(`to the cold tier (${t.storageClass}) ${when(t)}`);
  if (rule.expiration) {
    parts.push(rule.expiration.expiredObjectDeleteMarker ? 'expired delete markers removed' : `deleted ${when(rule.expiration)}`);
  }
  if (rule.abortIncompleteMultipartUpload) {
    parts.push(`unfinished multipart uploads aborted after ${days(rule.abortIncompleteMultipartUpload.daysAfterInitiation)}`);
  }
  return parts.length ? parts.join('; ') : 'no action';
}

/**
 * Whether objects under 128 KiB escape a rule's transition: it moves objects, its filter names no
 * size, and the configuration keeps AWS's default minimum.
 */
export function skipsSmallObjects(rule: LifecycleRule): boolean {
  const c = conditionsOf(rule);
  return (rule.transitions?.length ?? 0) > 0 && c.greaterThan === undefined && c.lessThan === undefined;
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function element(name: string, value: string | number, indent: string): string {
  return `${indent}<${name}>${escapeXml(String(value))}</${name}>`;
}

function xmlDate(ms: number): string {
  return new Date(ms).toISOString();
}

function triggerXml(trigger: { days?: number; date?: number }, indent: string): string[] {
  const lines: string[] = [];
  if (trigger.days !== undefined) lines.push(element('Days', trigger.days, indent));
  if (trigger.date !== undefined) lines.push(element('Date', xmlDate(trigger.date), indent));
  return lines;
}

function tagXml(tag: LifecycleTag, indent: string): string[] {
  return [`${indent}<Tag>`, element('Key', tag.key, `${indent}  `), element('Value', tag.value, `${indent}  `), `${indent}</Tag>`];
}

function filterXml(rule: LifecycleRule, indent: string): string[] {
  if (rule.filter === undefined) {
    // The legacy form: a top-level Prefix (possibly empty: the whole bucket).
    return [rule.prefix ? element('Prefix', rule.prefix, indent) : `${indent}<Prefix></Prefix>`];
  }
  const f = rule.filter;
  const inner = `${indent}  `;
  const lines: string[] = [];
  if (f.and) {
    const deeper = `${inner}  `;
    lines.push(`${inner}<And>`);
    if (f.and.prefix !== undefined) lines.push(element('Prefix', f.and.prefix, deeper));
    for (const tag of f.and.tags ?? []) lines.push(...tagXml(tag, deeper));
    if (f.and.objectSizeGreaterThan !== undefined) lines.push(element('ObjectSizeGreaterThan', f.and.objectSizeGreaterThan, deeper));
    if (f.and.objectSizeLessThan !== undefined) lines.push(element('ObjectSizeLessThan', f.and.objectSizeLessThan, deeper));
    lines.push(`${inner}</And>`);
  } else {
    if (f.prefix !== undefined) lines.push(element('Prefix', f.prefix, inner));
    if (f.tag) lines.push(...tagXml(f.tag, inner));
    if (f.objectSizeGreaterThan !== undefined) lines.push(element('ObjectSizeGreaterThan', f.objectSizeGreaterThan, inner));
    if (f.objectSizeLessThan !== undefined) lines.push(element('ObjectSizeLessThan', f.objectSizeLessThan, inner));
  }
  if (lines.length === 0) return [`${indent}<Filter></Filter>`];
  return [`${indent}<Filter>`, ...lines, `${indent}</Filter>`];
}

function ruleXml(rule: LifecycleRule): string[] {
  const i = '    ';
  const lines = ['  <Rule>'];
  if (rule.id) lines.push(element('ID', rule.id, i));
  lines.push(...filterXml(rule, i));
  lines.push(element('Status', rule.status, i));
  for (const t of rule.transitions ?? []) {
    lines.push(`${i}<Transition>`, ...triggerXml(t, `${i}  `), element('StorageClass', t.storageClass, `${i}  `), `${i}</Transition>`);
  }
  if (rule.expiration) {
    const e = rule.expiration;
    lines.push(`${i}<Expiration>`, ...triggerXml(e, `${i}  `));
    if (e.expiredObjectDeleteMarker !== undefined) lines.push(element('ExpiredObjectDeleteMarker', String(e.expiredObjectDeleteMarker), `${i}  `));
    lines.push(`${i}</Expiration>`);
  }
  if (rule.abortIncompleteMultipartUpload) {
    lines.push(
      `${i}<AbortIncompleteMultipartUpload>`,
      element('DaysAfterInitiation', rule.abortIncompleteMultipartUpload.daysAfterInitiation, `${i}  `),
      `${i}</AbortIncompleteMultipartUpload>`,
    );
  }
  lines.push('  </Rule>');
  return lines;
}

/**
 * The configuration as the XML body of PutBucketLifecycleConfiguration, the document S3 clients
 * send (`transitionDefaultMinimumObjectSize` travels as the header
 * `x-amz-transition-default-minimum-object-size`, not in the XML).
 */
export function lifecycleXml(config: LifecycleConfiguration): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    ...config.rules.flatMap(ruleXml),
    '</LifecycleConfiguration>',
  ].join('\n');
}
