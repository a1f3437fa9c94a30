import { describe, expect, it } from 'vitest';
import type { LifecycleRule } from '../api/types';
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
} from './lifecycle';

const simple: LifecycleRule = {
  id: 'logs-to-cold',
  status: 'Enabled',
  filter: { and: { prefix: 'logs/', tags: [{ key: 'class', value: 'archive' }], objectSizeGreaterThan: 1024 } },
  transitions: [{ days: 30, storageClass: 'STANDARD_IA' }],
  expiration: { days: 365 },
};

describe('which rules the simple editor can change', () => {
  it('takes a prefix, one tag, a minimum size, days to cold and to delete', () => {
    expect(notSimpleReason(simple)).toBeNull();
    expect(notSimpleReason({ status: 'Disabled', prefix: 'old/', expiration: { days: 3 } })).toBeNull();
    expect(notSimpleReason({ status: 'Enabled', filter: {}, transitions: [{ days: 0, storageClass: 'STANDARD_IA' }] })).toBeNull();
  });

  it('leaves read-only what it would lose', () => {
    const tags = [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ];
    expect(notSimpleReason({ status: 'Enabled', filter: { and: { tags } }, expiration: { days: 1 } })).toBe('it needs 2 tags');
    expect(notSimpleReason({ status: 'Enabled', filter: {}, expiration: { date: 1798761600000 } })).toBe('it uses dates');
    expect(
      notSimpleReason({ status: 'Enabled', filter: { prefix: 'up/' }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }),
    ).toBe('it aborts incomplete multipart uploads');
    expect(notSimpleReason({ status: 'Enabled', filter: { objectSizeLessThan: 10 }, expiration: { days: 1 } })).toBe(
      'it has a maximum object size',
    );
  });
});

describe('rule ↔ form', () => {
  it('reads the single, And and legacy filter forms', () => {
    expect(ruleToForm(simple)).toEqual({
      id: 'logs-to-cold',
      prefix: 'logs/',
      tagKey: 'class',
      tagValue: 'archive',
      minSize: '1024',
      daysToCold: '30',
      daysToDelete: '365',
      enabled: true,
    });
    expect(ruleToForm({ status: 'Disabled', filter: { tag: { key: 'k', value: 'v' } }, expiration: { days: 2 } })).toMatchObject({
      prefix: '',
      tagKey: 'k',
      tagValue: 'v',
      daysToCold: '',
      daysToDelete: '2',
      enabled: false,
    });
    expect(ruleToForm({ status: 'Enabled', prefix: 'old/', expiration: { days: 3 } }).prefix).toBe('old/');
  });

  it('writes one condition as a single filter, several in an And, none as the whole bucket', () => {
    const form = { ...EMPTY_RULE_FORM, daysToCold: '7' };
    expect(formToRule(form, 'STANDARD_IA')).toEqual({
      status: 'Enabled',
      filter: {},
      transitions: [{ days: 7, storageClass: 'STANDARD_IA' }],
    });
    expect(formToRule({ ...form, prefix: 'logs/' }, 'STANDARD_IA').filter).toEqual({ prefix: 'logs/' });
    expect(formToRule({ ...form, tagKey: 'k', tagValue: 'v' }, 'X').filter).toEqual({ tag: { key: 'k', value: 'v' } });
    expect(formToRule({ ...form, minSize: '0' }, 'X').filter).toEqual({ objectSizeGreaterThan: 0 });
    expect(formToRule(ruleToForm(simple), 'STANDARD_IA')).toEqual(simple);
    // A rule that had a transition keeps the class it named.
    expect(formToRule(form, 'STANDARD_IA', { status: 'Enabled', transitions: [{ days: 1, storageClass: 'COLD' }] }).transitions).toEqual([
      { days: 7, storageClass: 'COLD' },
    ]);
  });

  it('leaves out an empty ID (the server makes one) and the actions not given', () => {
    const rule = formToRule({ ...EMPTY_RULE_FORM, id: '  ', daysToDelete: '10', enabled: false }, 'STANDARD_IA');
    expect(rule).toEqual({ status: 'Disabled', filter: {}, expiration: { days: 10 } });
  });
});

describe('ruleFormProblems', () => {
  it('wants an action', () => {
    expect(ruleFormProblems(EMPTY_RULE_FORM).actions).toMatch(/a rule must do something/);
    expect(ruleFormProblems({ ...EMPTY_RULE_FORM, daysToCold: '0' })).toEqual({});
  });

  it('wants deletion after the move to the cold tier, as AWS does', () => {
    expect(ruleFormProblems({ ...EMPTY_RULE_FORM, daysToCold: '30', daysToDelete: '30' }).daysToDelete).toMatch(
      /Deletion must come after the move/,
    );
    expect(ruleFormProblems({ ...EMPTY_RULE_FORM, daysToCold: '30', daysToDelete: '31' })).toEqual({});
  });

  it('wants whole numbers: days to delete from 1, days to cold and sizes from 0', () => {
    expect(ruleFormProblems({ ...EMPTY_RULE_FORM, daysToDelete: '0' }).daysToDelete).toMatch(/of 1 or more/);
    expect(ruleFormProblems({ ...EMPTY_RULE_FORM, daysToCold: '-1' }).daysToCold).toMatch(/of 0 or more/);
    expect(ruleFormProblems({ ...EMPTY_RULE_FORM, daysToCold: '1.5' }).daysToCold).toMatch(/whole number/);
    expect(ruleFormProblems({ ...EMPTY_RULE_FORM, daysToCold: '1', minSize: '1 MiB' }).minSize).toMatch(/bytes/);
  });

  it('wants a key for a tag value', () => {
    expect(ruleFormProblems({ ...EMPTY_RULE_FORM, daysToCold: '1', tagValue: 'v' }).tagKey).toMatch(/Give the tag a key/);
  });
});

describe('rules in words', () => {
  it('says which objects and what happens', () => {
    expect(describeFilter(simple)).toBe('Objects under “logs/”, tagged class=archive, larger than 1 KiB');
    expect(describeActions(simple)).toBe('to the cold tier (STANDARD_IA) after 30 days; deleted after 365 days');
    expect(describeFilter({ status: 'Enabled', filter: {} })).toBe('All objects');
    expect(
      describeActions({ status: 'Enabled', expiration: { date: Date.UTC(2027, 0, 1) }, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } }),
    ).toBe('deleted from 2027-01-01 (UTC); unfinished multipart uploads aborted after 1 day');
  });

  it('knows when objects under 128 KiB escape a transition', () => {
    expect(skipsSmallObjects(simple)).toBe(false);
    expect(skipsSmallObjects({ status: 'Enabled', filter: { prefix: 'a' }, transitions: [{ days: 1, storageClass: 'S' }] })).toBe(true);
    expect(skipsSmallObjects({ status: 'Enabled', filter: {}, expiration: { days: 1 } })).toBe(false);
  });
});

describe('coldStorageClass', () => {
  it('takes the class a stored transition names, else STANDARD_IA', () => {
    expect(coldStorageClass([])).toBe('STANDARD_IA');
    expect(coldStorageClass([{ status: 'Enabled', expiration: { days: 1 } }, { status: 'Enabled', transitions: [{ days: 1, storageClass: 'GLACIER_IR' }] }])).toBe(
      'GLACIER_IR',
    );
  });
});

describe('lifecycleXml', () => {
  it('writes the PutBucketLifecycleConfiguration document', () => {
    expect(lifecycleXml({ rules: [simple, { status: 'Disabled', filter: {}, expiration: { days: 3 } }] })).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
        '  <Rule>',
        '    <ID>logs-to-cold</ID>',
        '    <Filter>',
        '      <And>',
        '        <Prefix>logs/</Prefix>',
        '        <Tag>',
        '          <Key>class</Key>',
        '          <Value>archive</Value>',
        '        </Tag>',
        '        <ObjectSizeGreaterThan>1024</ObjectSizeGreaterThan>',
        '      </And>',
        '    </Filter>',
        '    <Status>Enabled</Status>',
        '    <Transition>',
        '      <Days>30</Days>',
        '      <StorageClass>STANDARD_IA</StorageClass>',
        '    </Transition>',
        '    <Expiration>',
        '      <Days>365</Days>',
        '    </Expiration>',
        '  </Rule>',
        '  <Rule>',
        '    <Filter></Filter>',
        '    <Status>Disabled</Status>',
        '    <Expiration>',
        '      <Days>3</Days>',
        '    </Expiration>',
        '  </Rule>',
        '</LifecycleConfiguration>',
      ].join('\n'),
    );
  });

  it('escapes text, writes dates, legacy prefixes and aborts', () => {
    const xml = lifecycleXml({
      rules: [
        {
          id: 'a<b&"c"',
          status: 'Enabled',
          prefix: 'tmp/',
          transitions: [{ date: Date.UTC(2027, 0, 1), storageClass: 'STANDARD_IA' }],
          abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        },
      ],
    });
    expect(xml).toContain('<ID>a&lt;b&amp;&quot;c&quot;</ID>');
    expect(xml).toContain('    <Prefix>tmp/</Prefix>\n    <Status>Enabled</Status>');
    expect(xml).toContain('<Date>2027-01-01T00:00:00.000Z</Date>');
    expect(xml).toContain('<AbortIncompleteMultipartUpload>\n      <DaysAfterInitiation>7</DaysAfterInitiation>');
  });
});
