import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, plural, readableQuotaMessage } from './format';
import { emailProblem, inviteDaysProblem, passwordProblem, quotaProblem, quotaValue } from './validation';
import { buildSnippets } from './snippets';

describe('formatBytes', () => {
  it('uses binary units with at most one decimal', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MiB');
    expect(formatBytes(3.25 * 1024 ** 3)).toBe('3.3 GiB');
    expect(formatBytes(-1)).toBe('—');
  });
});

describe('formatDuration', () => {
  it('reads like a person would say it', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(0.25)).toBe('250 ms');
    expect(formatDuration(4.2)).toBe('4.2 s');
    expect(formatDuration(75)).toBe('1 min 15 s');
    expect(formatDuration(7260)).toBe('2 h 1 min');
  });
});

describe('validation', () => {
  it('wants an e-mail address and 8+ characters', () => {
    expect(emailProblem('ada@example.com')).toBeNull();
    expect(emailProblem('ada@example')).not.toBeNull();
    expect(emailProblem('')).toBe('Enter your e-mail address.');
    expect(passwordProblem('1234567')).toBe('Use at least 8 characters.');
    expect(passwordProblem('12345678')).toBeNull();
  });
});

describe('readableQuotaMessage', () => {
  it('says byte and object limits the way the dashboard does', () => {
    expect(readableQuotaMessage('the upload would pass your storage quota: a quota of 1048576 bytes; delete files')).toBe(
      'the upload would pass your storage quota: a quota of 1 MiB; delete files',
    );
    expect(readableQuotaMessage('a quota of 25000 objects')).toBe('a quota of 25,000 objects');
    expect(readableQuotaMessage('something else')).toBe('something else');
    expect(readableQuotaMessage('a quota of 1 objects')).toBe('a quota of 1 object');
  });
});

describe('plural', () => {
  it('says one thing in the singular and anything else in the plural', () => {
    expect(plural(1, 'object')).toBe('1 object');
    expect(plural(0, 'object')).toBe('0 objects');
    expect(plural(2, 'object')).toBe('2 objects');
    expect(plural(1200, 'object')).toBe('1,200 objects');
    expect(plural(1, 'folder')).toBe('1 folder');
    expect(plural(3, 'match', 'matches')).toBe('3 matches');
  });
});

describe('quota and invite checks', () => {
  it('wants a whole number of 0 or more, or nothing for no limit', () => {
    expect(quotaProblem('')).toBeNull();
    expect(quotaProblem('  ')).toBeNull();
    expect(quotaProblem('0')).toBeNull();
    expect(quotaProblem('12')).toBeNull();
    for (const bad of ['-1', '1.5', '1e3', 'ten', '0x10']) {
      expect(quotaProblem(bad)).toBe('Enter a whole number of 0 or more, or leave it empty for no limit.');
    }
    expect(quotaProblem('8192', 1024 ** 4)).toBe('That is more than the server can store as a limit.');
    expect(quotaProblem('8191', 1024 ** 4)).toBeNull();
    expect(quotaValue('', 1024)).toBeNull();
    expect(quotaValue(' 3 ', 1024 ** 2)).toBe(3 * 1024 ** 2);
  });

  it('wants 1 to 365 whole days for an invite', () => {
    expect(inviteDaysProblem('7')).toBeNull();
    expect(inviteDaysProblem('365')).toBeNull();
    expect(inviteDaysProblem('')).toBe('Enter how many days the invite stays good.');
    for (const bad of ['0', '366', '1.5', '-2']) expect(inviteDaysProblem(bad)).toBe('Enter a whole number of days from 1 to 365.');
  });
});

describe('buildSnippets', () => {
  it('sets the endpoint, the region and path-style addressing for each client', () => {
    const snippets = buildSnippets({
      accessKeyId: 'AKID',
      secretAccessKey: 'SECRET',
      endpoint: 'http://127.0.0.1:9080/',
      region: 'us-east-1',
      bucket: 'files',
    });
    const byId = Object.fromEntries(snippets.map((s) => [s.id, s.code]));
    expect(byId['aws-cli']).toContain('aws configure set s3.addressing_style path --profile tiergate');
    // aws-cli v1 and boto3 presign with SigV2 unless told, which the gateway refuses.
    expect(byId['aws-cli']).toContain('aws configure set s3.signature_version s3v4 --profile tiergate');
    expect(byId['aws-cli']).toContain('--endpoint-url http://127.0.0.1:9080 s3 ls s3://files/');
    expect(byId.rclone).toContain('force_path_style = true');
    expect(byId.rclone).toContain('endpoint = http://127.0.0.1:9080\n');
    expect(byId.boto3).toContain('config=Config(signature_version="s3v4", s3={"addressing_style": "path"})');
    expect(byId.boto3).toContain('aws_secret_access_key="SECRET"');
  });
});
