import { afterEach, describe, expect, it, vi } from 'vitest';
import { getSessionState, startSession } from '../auth/session';
import { ApiError } from './client';
import { uploadFile } from './upload';

/** A scripted XMLHttpRequest: records what is sent and lets the test fire its events. */
class FakeXhr {
  static last: FakeXhr | null = null;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: FormData | null = null;
  status = 0;
  responseText = '';
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: FormData) {
    this.body = body;
  }
  abort() {
    this.onabort?.();
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

afterEach(() => {
  FakeXhr.last = null;
});

describe('uploadFile', () => {
  it('posts multipart "file" with the token and reports upload progress', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    startSession({ token: 'tok', userId: 1, email: 'a@b.c', isAdmin: false, expiresAt: Date.now() + 60_000 });
    const progress = vi.fn();
    const file = new File(['hello'], 'hello.txt', { type: 'text/plain' });
    const { promise } = uploadFile(file, progress);
    const xhr = FakeXhr.last!;
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('/api/files/upload');
    expect(xhr.headers.Authorization).toBe('Bearer tok');
    expect((xhr.body?.get('file') as File).name).toBe('hello.txt');

    xhr.upload.onprogress?.({ lengthComputable: true, loaded: 50, total: 200 });
    expect(progress).toHaveBeenLastCalledWith(0.25);
    xhr.respond(201, { id: 9, original_filename: 'hello.txt', storage_location: 'minio' });
    await expect(promise).resolves.toMatchObject({ id: 9 });
    expect(progress).toHaveBeenLastCalledWith(1);
  });

  it('turns an error answer into an ApiError, and a 401 ends the session', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    startSession({ token: 'old', userId: 1, email: 'a@b.c', isAdmin: false, expiresAt: Date.now() + 60_000 });
    const { promise } = uploadFile(new File(['x'], 'x.txt'), () => {});
    FakeXhr.last!.respond(401, { error: { code: 'unauthorized', message: 'the token is invalid or has expired' } });
    await expect(promise).rejects.toBeInstanceOf(ApiError);
    expect(getSessionState()).toEqual({ session: null, endReason: 'expired' });
  });

  it('ends the session when the account has been disabled', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    startSession({ token: 'tok', userId: 1, email: 'a@b.c', isAdmin: false, expiresAt: Date.now() + 60_000 });
    const { promise } = uploadFile(new File(['x'], 'x.txt'), () => {});
    FakeXhr.last!.respond(403, { error: { code: 'account_disabled', message: 'this account is disabled; ask an administrator' } });
    await expect(promise).rejects.toMatchObject({ status: 403, code: 'account_disabled' });
    expect(getSessionState()).toEqual({ session: null, endReason: 'disabled' });
  });

  it('passes a quota refusal on with its code and message', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    startSession({ token: 'tok', userId: 1, email: 'a@b.c', isAdmin: false, expiresAt: Date.now() + 60_000 });
    const { promise } = uploadFile(new File(['x'], 'x.txt'), () => {});
    const message = 'the upload would pass your storage quota: a quota of 1048576 bytes; delete files, or ask an admin for more';
    FakeXhr.last!.respond(413, { error: { code: 'quota_exceeded', message } });
    await expect(promise).rejects.toMatchObject({ status: 413, code: 'quota_exceeded', message });
    expect(getSessionState().session).not.toBeNull();
  });
});
