// End-to-end test of the dashboard against a real `tiergate serve`, driven through Debian's
// Chromium with playwright-core. Prints one line per step and closes with "N passed, M failed".
// Every wait is bounded; nothing asserts on timing.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { s3Client } from './s3.mjs';
import { ADMIN_EMAIL, findBinary, startTiergate } from './server.mjs';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webDist = path.join(webDir, 'dist');
const screenshotDir = path.resolve(webDir, '..', 'docs', 'screenshots');
const artifactDir = path.join(webDir, 'e2e', '.artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const STEP_TIMEOUT_MS = 60_000;
const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

const USER = { email: `e2e-${Date.now()}@example.com`, password: 'correct horse battery' };
const ADMIN = { email: ADMIN_EMAIL, password: 'admin password 1' };
// The user an admin gives a 1 MiB quota, and the address an invite is made out to.
const QUOTA_USER = { email: `quota-${Date.now()}@example.com`, password: 'quota horse battery' };
const INVITEE = { email: `invitee-${Date.now()}@example.com`, password: 'invited horse battery' };
// The user with two buckets (one made over S3), folders and tags: the Buckets page and browsing.
const BUCKETS_USER = { email: `buckets-${Date.now()}@example.com`, password: 'bucket horse battery' };

const results = [];
let blocked = null; // the name of a failed step that later steps depend on

function log(line) {
  process.stdout.write(`${line}\n`);
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a truthy value, at most `timeoutMs`. */
async function until(what, probe, timeoutMs = 30_000, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await sleep(everyMs);
  }
}

let currentPage = null;

/**
 * Runs one step. A failed step marked `critical` skips the later steps that need it;
 * the others carry on, so one run reports every broken thing.
 */
async function step(name, fn, { critical = false, needs = true } = {}) {
  if (blocked && needs) {
    results.push({ name, status: 'skipped' });
    log(`SKIP  ${name} (needs "${blocked}")`);
    return;
  }
  const started = Date.now();
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`step took over ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS)),
    ]);
    results.push({ name, status: 'passed' });
    log(`PASS  ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    results.push({ name, status: 'failed', error: err });
    log(`FAIL  ${name}\n      ${String(err?.stack ?? err).split('\n').slice(0, 6).join('\n      ')}`);
    if (currentPage) {
      const shot = path.join(artifactDir, `${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
      await currentPage.screenshot({ path: shot, fullPage: true }).catch(() => {});
      log(`      screenshot of the page: ${shot}`);
    }
    if (critical) blocked = name;
  }
}

async function api(baseUrl, method, urlPath, { token, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${baseUrl}/api${urlPath}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, json, text };
}

function sha256(buffer) {
  return createHash('sha256').update(buffer).digest('hex');
}

async function buildDashboard() {
  if (process.env.E2E_SKIP_BUILD === '1' && existsSync(path.join(webDist, 'index.html'))) return;
  const { build } = await import('vite');
  await build({ root: webDir, logLevel: 'warn' });
}

async function main() {
  mkdirSync(screenshotDir, { recursive: true });
  rmSync(artifactDir, { recursive: true, force: true });
  mkdirSync(artifactDir, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiergate-e2e-files-'));

  let server = null;
  let context = null;
  try {
    const binary = findBinary(webDir);
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
    log(`building the dashboard…`);
    await buildDashboard();
    log(`starting ${binary} serve…`);
    server = await startTiergate({ binary, webDist });
    log(`tiergate is ready at ${server.baseUrl} (gateway ${server.gatewayUrl}, data in ${server.workDir})`);

    context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      acceptDownloads: true,
      viewport: { width: 1280, height: 800 },
      baseURL: server.baseUrl,
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    context.setDefaultTimeout(20_000);
    const page = context.pages()[0] ?? (await context.newPage());
    currentPage = page;
    const uploadRequests = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/files/upload')) uploadRequests.push(request.url());
    });

    await runScenario({ page, context, server, tmp, uploadRequests });
  } catch (err) {
    results.push({ name: 'set-up', status: 'failed', error: err });
    log(`FAIL  set-up\n      ${String(err?.stack ?? err)}`);
  } finally {
    await context?.close().catch(() => {});
    if (server) {
      const failed = results.some((r) => r.status === 'failed');
      if (failed) log(`--- last lines of the tiergate log (${server.logFile}) ---\n${server.logTail(30)}\n---`);
      await server.stop();
      if (!failed) rmSync(server.workDir, { recursive: true, force: true });
    }
    rmSync(tmp, { recursive: true, force: true });
  }

  const passed = results.filter((r) => r.status === 'passed').length;
  const failed = results.filter((r) => r.status === 'failed');
  const skipped = results.filter((r) => r.status === 'skipped').length;
  if (failed.length) log(`failed steps: ${failed.map((r) => r.name).join('; ')}`);
  log(`${passed} passed, ${failed.length} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed.length || skipped ? 1 : 0;
}

/** The row of the file list for a file, by its shown name. */
function fileRow(page, name) {
  return page.locator('table.file-table tbody tr').filter({ has: page.getByText(name, { exact: true }) });
}

/** The row of the admin's user table for a user, by e-mail. */
function userRow(page, email) {
  return page.locator('table.users-table tbody tr').filter({ has: page.getByText(email, { exact: true }) });
}

/** Leaves whatever session the browser has and shows the login page. */
async function signOut(page) {
  await page.goto('/login');
  await page.evaluate(() => localStorage.removeItem('tiergate.session'));
  await page.goto('/login');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
}

async function logIn(page, who) {
  await signOut(page);
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('user-email').filter({ hasText: who.email }).waitFor();
}

async function runScenario({ page, context, server, tmp, uploadRequests }) {
  // Two files big enough that a throttled upload shows its progress, and a third for the hot tier.
  const fileA = { name: 'alpha-report.bin', data: randomBytes(3 * 1024 * 1024 + 123) };
  const fileB = { name: 'beta-photo.bin', data: randomBytes(2 * 1024 * 1024 + 77) };
  const fileC = { name: 'gamma-notes.txt', data: Buffer.from('still hot: uploaded after the tiering pass\n'.repeat(200)) };
  for (const f of [fileA, fileB, fileC]) {
    f.path = path.join(tmp, f.name);
    writeFileSync(f.path, f.data);
  }
  const overQuota = { name: 'over-quota-2MiB.bin', data: randomBytes(2 * 1024 * 1024) };
  overQuota.path = path.join(tmp, overQuota.name);
  writeFileSync(overQuota.path, overQuota.data);
  const tooBig = path.join(tmp, 'too-big-101MiB.bin');
  writeFileSync(tooBig, '');
  truncateSync(tooBig, 101 * 1024 * 1024); // sparse: no 101 MiB written to disk

  let tieringWorks = false;

  await step('login page is shown to a signed-out visitor (screenshot login.png)', async () => {
    await page.goto('/');
    await page.waitForURL('**/login');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.screenshot({ path: path.join(screenshotDir, 'login.png') });
  });

  await step(
    'sign up leads to the login page with a success message',
    async () => {
      await page.getByRole('link', { name: 'Sign up' }).click();
      await page.waitForURL('**/signup');
      // Client-side checks first: a bad e-mail and a short password never reach the server.
      await page.getByLabel('E-mail').fill('not-an-email');
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByText('Enter an e-mail address like name@example.com.').waitFor();
      await page.getByText('Use at least 8 characters.').waitFor();
      await page.getByLabel('E-mail').fill(USER.email);
      await page.getByLabel('Password').fill(USER.password);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.waitForURL('**/login');
      await page.getByText(`Your account was created. Log in as ${USER.email}.`).waitFor();
    },
    { critical: true },
  );

  await step('signing up twice shows the server\'s 409 by the e-mail field', async () => {
    await page.goto('/signup');
    await page.getByLabel('E-mail').fill(USER.email);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Sign up' }).click();
    const email = page.getByLabel('E-mail');
    await until('aria-invalid on the e-mail field', async () => (await email.getAttribute('aria-invalid')) === 'true', 10_000);
    const described = await email.getAttribute('aria-describedby');
    const message = await page.locator(`[id="${described}"]`).innerText();
    assert(/already exists/i.test(message), `expected the 409 message by the field, got "${message}"`);
  });

  await step('a wrong password shows one clear message', async () => {
    await page.goto('/login');
    await page.getByLabel('E-mail').fill(USER.email);
    await page.getByLabel('Password').fill('wrong password!');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong e-mail or password' }).waitFor();
    assert(page.url().endsWith('/login'), `still on the login page, got ${page.url()}`);
  });

  await step(
    'log in shows the dashboard with the user\'s e-mail in the navbar',
    async () => {
      await page.getByLabel('Password').fill(USER.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Files', level: 1 }).waitFor();
      await page.getByTestId('user-email').filter({ hasText: USER.email }).waitFor();
      await page.getByText('No files yet.').waitFor();
    },
    { critical: true },
  );

  await step(
    'upload two files at once, each with visible progress',
    async () => {
      // Slow the uploads down (1 MiB/s) so the progress bars can be seen between 0 and 100 %.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: 1024 * 1024,
      });
      try {
        await page.getByTestId('upload-input').setInputFiles([fileA.path, fileB.path]);
        const uploads = page.getByRole('list', { name: 'Uploads' });
        await uploads.getByText(fileA.name).waitFor();
        await uploads.getByText(fileB.name).waitFor();
        await uploads.getByText('3 MiB').waitFor();
        await uploads.getByText('2 MiB').waitFor();
        // Both bars exist, and at least one is seen part-way.
        await page.getByRole('progressbar', { name: `Uploading ${fileA.name}` }).waitFor();
        await page.getByRole('progressbar', { name: `Uploading ${fileB.name}` }).waitFor();
        await page.waitForFunction(
          () => Array.from(document.querySelectorAll('progress')).some((p) => p.value > 0 && p.value < 100),
          null,
          { timeout: 20_000 },
        );
        await until(
          'both uploads to finish',
          async () => (await uploads.locator('li[data-status="done"]').count()) === 2,
          40_000,
        );
      } finally {
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: 0,
          downloadThroughput: -1,
          uploadThroughput: -1,
        });
        await cdp.detach();
      }
      const messages = await page.getByRole('list', { name: 'Uploads' }).locator('li').allInnerTexts();
      for (const text of messages) assert(/Uploaded to the hot tier \(MinIO\)/.test(text), `upload message: ${text}`);
    },
    { critical: true },
  );

  await step('both files are listed with the MinIO badge', async () => {
    for (const f of [fileA, fileB]) {
      const row = fileRow(page, f.name);
      await row.waitFor();
      await row.locator('.badge', { hasText: 'MinIO' }).waitFor();
      const location = await row.locator('.badge').getAttribute('data-location');
      assert(location === 'minio', `${f.name} is at ${location}`);
    }
    await page.getByText('1–2 of 2').waitFor();
  });

  await step('a tiering pass runs (POST /api/tiering/run as admin, polled to its end)', async () => {
    const signup = await api(server.baseUrl, 'POST', '/auth/signup', { body: ADMIN });
    assert(signup.status === 201 || signup.status === 409, `admin sign-up: ${signup.status} ${signup.text}`);
    const login = await api(server.baseUrl, 'POST', '/auth/login', { body: ADMIN });
    assert(login.status === 200, `admin login: ${login.status} ${login.text}`);
    assert(login.json.is_admin === true, `admin@example.com is not admin: ${login.text}`);
    const token = login.json.access_token;
    const start = await api(server.baseUrl, 'POST', '/tiering/run', { token });
    assert(start.status === 202, `POST /api/tiering/run answered ${start.status} ${start.text}`);
    const runId = start.json.run_id;
    const run = await until(
      `run ${runId} to finish`,
      async () => {
        const r = await api(server.baseUrl, 'GET', `/tiering/runs/${runId}`, { token });
        assert(r.status === 200, `GET /api/tiering/runs/${runId} answered ${r.status} ${r.text}`);
        return r.json.status !== 'running' ? r.json : null;
      },
      45_000,
      300,
    );
    assert(run.status === 'succeeded', `run ended ${run.status}: ${JSON.stringify(run)}`);
    assert(run.moved >= 2, `run moved ${run.moved} objects: ${JSON.stringify(run)}`);
    tieringWorks = true;
  });

  await step('after a refresh both badges turn to S3, with a synced date', async () => {
    assert(tieringWorks, 'needs the tiering pass, which failed');
    await page.getByRole('button', { name: 'Refresh' }).click();
    for (const f of [fileA, fileB]) {
      const row = fileRow(page, f.name);
      await row.locator('.badge', { hasText: 'S3' }).waitFor({ timeout: 15_000 });
      const synced = await row.locator('td[data-label="Synced"]').innerText();
      assert(!/Not yet/.test(synced), `${f.name} has no synced date: ${synced}`);
    }
  });

  await step('a third upload stays hot: the dashboard shows both tiers (screenshot dashboard.png)', async () => {
    await page.getByTestId('upload-input').setInputFiles([fileC.path]);
    await fileRow(page, fileC.name).locator('.badge', { hasText: 'MinIO' }).waitFor();
    await page.getByText('1–3 of 3').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(screenshotDir, 'dashboard.png'), fullPage: true });
  });

  await step('download gives back the same bytes (from the cold tier)', async () => {
    for (const f of [fileA, fileC]) {
      const row = fileRow(page, f.name);
      const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: /Download/ }).click()]);
      const saved = path.join(artifactDir, `downloaded-${f.name}`);
      await download.saveAs(saved);
      const got = readFileSync(saved);
      assert(got.length === f.data.length, `${f.name}: ${got.length} bytes back, expected ${f.data.length}`);
      assert(sha256(got) === sha256(f.data), `${f.name}: the bytes differ`);
      assert(download.suggestedFilename() === f.name, `suggested name ${download.suggestedFilename()}`);
      rmSync(saved);
    }
  });

  await step('sorting by name and by size reorders the list', async () => {
    const names = () => page.locator('table.file-table tbody td.cell-name').allInnerTexts();
    const expectOrder = async (label, wanted) => {
      await page.getByLabel('Sort').selectOption({ label });
      await until(
        `"${label}" to list ${wanted.join(', ')}`,
        async () => {
          const got = await names();
          if (got.join() !== wanted.join()) throw new Error(`the list shows ${got.join(', ')}`);
          return true;
        },
        10_000,
      );
    };
    await expectOrder('Largest first', [fileA.name, fileB.name, fileC.name]);
    await expectOrder('Smallest first', [fileC.name, fileB.name, fileA.name]);
    await expectOrder('Name A–Z', [fileA.name, fileB.name, fileC.name]);
    await expectOrder('Name Z–A', [fileC.name, fileB.name, fileA.name]);
    await page.getByLabel('Sort').selectOption({ label: 'Newest first' });
  });

  await step('delete asks for confirmation, then the file is gone', async () => {
    const row = fileRow(page, fileB.name);
    await row.getByRole('button', { name: /Delete/ }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Delete this file?' });
    await dialog.getByText(fileB.name).waitFor();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.waitFor({ state: 'detached' });
    await page.getByText('1–2 of 2').waitFor();
    // And the server agrees after a reload.
    await page.reload();
    await fileRow(page, fileA.name).waitFor();
    assert((await fileRow(page, fileB.name).count()) === 0, `${fileB.name} is back after a reload`);
  });

  await step('a 101 MiB file is refused before any upload starts', async () => {
    const before = uploadRequests.length;
    await page.getByTestId('upload-input').setInputFiles([tooBig]);
    const item = page.getByRole('list', { name: 'Uploads' }).locator('li[data-status="too-large"]');
    await item.getByText('Not uploaded: too-big-101MiB.bin is 101 MiB, over the 100 MiB limit.').waitFor();
    await sleep(300); // let any (wrong) request show up before counting
    assert(uploadRequests.length === before, `an upload request was sent: ${uploadRequests.slice(before).join(', ')}`);
    assert(MAX_UPLOAD_BYTES < 101 * 1024 * 1024, 'limit');
  });

  await step('the S3 access page shows credentials, a new key once, and snippets (screenshot s3-access.png)', async () => {
    await page.getByRole('link', { name: 'S3 access' }).click();
    await page.getByRole('heading', { name: 'S3 access', level: 1 }).waitFor();
    const akid = await page.getByTestId('value-access-key-id').innerText();
    assert(/^\S{16,}$/.test(akid), `access key id: ${akid}`);
    const endpoint = await page.getByTestId('value-endpoint').innerText();
    assert(endpoint === server.gatewayUrl, `endpoint ${endpoint}, expected ${server.gatewayUrl}`);
    await page.getByLabel('Description (optional)').fill('e2e laptop');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByText('Copy the secret now: it is shown only once.').waitFor();
    const secret = await page.getByTestId('value-new-secret-access-key').innerText();
    assert(secret.length >= 20, `secret: ${secret}`);
    await page.locator('.keys-table').getByText('e2e laptop').waitFor();
    const snippet = await page.getByRole('tabpanel').locator('pre').innerText();
    assert(snippet.includes(server.gatewayUrl) && snippet.includes('addressing_style path'), `aws-cli snippet:\n${snippet}`);
    await page.getByRole('tab', { name: 'rclone' }).click();
    const rclone = await page.getByRole('tabpanel').locator('pre').innerText();
    assert(rclone.includes('force_path_style = true') && rclone.includes(secret), `rclone snippet:\n${rclone}`);
    await page.getByRole('tab', { name: 'aws-cli' }).click();
    await page.screenshot({ path: path.join(screenshotDir, 's3-access.png'), fullPage: true });
  });

  await step('the tiering page shows the user\'s hot and cold counts', async () => {
    assert(tieringWorks, 'needs the tiering pass, which failed');
    await page.getByRole('link', { name: 'Tiering' }).click();
    await page.getByRole('heading', { name: 'Tiering', level: 1 }).waitFor();
    await until('hot 1 / cold 1', async () => {
      const hot = await page.getByTestId('hot-objects').innerText();
      const cold = await page.getByTestId('cold-objects').innerText();
      return /^1\b/.test(hot) && /^1\b/.test(cold);
    }, 10_000);
    assert((await page.getByRole('button', { name: 'Run now' }).count()) === 0, 'a non-admin sees "Run now"');
    // A non-admin is told when and how a pass runs.
    const how = await page.getByTestId('how-tiering').innerText();
    assert(/A pass runs every day at 00:00 \(UTC\); the next one starts/.test(how), `how tiering runs: ${how}`);
    assert(/Buckets page/.test(how) && /Administrators can also start a pass/.test(how), `how tiering runs: ${how}`);
  });

  await step('the dashboard fits a phone\'s width (375 px) without sideways scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    try {
      for (const route of ['/', '/buckets', '/s3', '/tiering']) {
        await page.goto(route);
        await page.locator('h1').waitFor();
        await page.waitForLoadState('networkidle');
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert(overflow <= 0, `${route} is ${overflow} px wider than the screen`);
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  await step('an expired token logs out and the login page says why', async () => {
    await page.goto('/');
    await fileRow(page, fileA.name).waitFor();
    await page.evaluate(() => {
      const session = JSON.parse(localStorage.getItem('tiergate.session'));
      session.token = 'expired.or.tampered';
      localStorage.setItem('tiergate.session', JSON.stringify(session));
    });
    await page.reload();
    await page.waitForURL('**/login');
    await page.getByText('Your session has expired. Please log in again.').waitFor();
  });

  await step('log out returns to the login page and protected pages stay closed', async () => {
    await page.getByLabel('E-mail').fill(USER.email);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('user-email').waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    const stored = await page.evaluate(() => localStorage.getItem('tiergate.session'));
    assert(stored === null, 'the token is still in localStorage');
    await page.goto('/s3');
    await page.waitForURL('**/login');
  });

  await step('an admin sees the run history and starts a pass with "Run now" (screenshot tiering.png)', async () => {
    assert(tieringWorks, 'needs the tiering endpoints, which failed');
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('user-email').filter({ hasText: 'admin' }).waitFor();
    await page.getByRole('link', { name: 'Tiering' }).click();
    await page.getByRole('heading', { name: 'Tiering runs' }).waitFor();
    await page.locator('.runs-table tbody tr').first().waitFor();
    const before = await page.locator('.runs-table tbody tr[data-run-id]').count();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByTestId('run-result').waitFor({ timeout: 45_000 });
    await until('the new run in the table', async () => (await page.locator('.runs-table tbody tr[data-run-id]').count()) > before, 10_000);
    await page.screenshot({ path: path.join(screenshotDir, 'tiering.png'), fullPage: true });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
  });

  // --- Admin page: quotas and invites ---
  let inviteUrl = null;

  await step(
    'a second user signs up (sign-up is open: no invite field)',
    async () => {
      await signOut(page);
      await page.goto('/signup');
      await page.getByRole('heading', { name: 'Create an account' }).waitFor();
      await page.waitForLoadState('networkidle'); // the sign-up policy has been asked
      assert((await page.getByLabel('Invite code').count()) === 0, 'an invite field while sign-up is open');
      await page.getByLabel('E-mail').fill(QUOTA_USER.email);
      await page.getByLabel('Password').fill(QUOTA_USER.password);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.waitForURL('**/login');
      await page.getByText(`Your account was created. Log in as ${QUOTA_USER.email}.`).waitFor();
    },
    { critical: true },
  );

  await step(
    'the admin signs up, logs in and opens Admin from the navbar',
    async () => {
      // The admin (named in auth.admins by server.mjs) may exist already from the tiering step.
      await page.goto('/signup');
      await page.getByLabel('E-mail').fill(ADMIN.email);
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await until(
        'the sign-up to end (created, or already there)',
        async () =>
          page.url().endsWith('/login') ||
          (await page.getByText('An account with this e-mail already exists').count()) > 0,
        10_000,
      );
      await logIn(page, ADMIN);
      await page.getByRole('link', { name: 'Admin' }).click();
      await page.waitForURL('**/admin');
      await page.getByRole('heading', { name: 'Admin', level: 1 }).waitFor();
      await userRow(page, ADMIN.email).getByText('you', { exact: true }).waitFor();
      await userRow(page, QUOTA_USER.email).waitFor();
    },
    { critical: true },
  );

  await step(
    'the admin sets a 1 MiB quota on the second user',
    async () => {
      const row = userRow(page, QUOTA_USER.email);
      await row.getByText('used, no quota').waitFor();
      await row.getByRole('button', { name: `Edit quota of ${QUOTA_USER.email}` }).click();
      const dialog = page.getByRole('dialog', { name: `Quota for ${QUOTA_USER.email}` });
      await dialog.waitFor();
      await dialog.getByLabel('Storage limit', { exact: true }).fill('1');
      await dialog.getByLabel('Unit', { exact: true }).selectOption('MiB');
      await dialog.getByLabel('Object limit', { exact: true }).fill('');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      await row.getByText('0 B of 1 MiB used').waitFor();
      const quota = await row.locator('td[data-label="Quota"]').innerText();
      assert(/^1 MiB\b/.test(quota.trim()) && !/default/.test(quota), `quota cell: ${quota}`);
      // And the server agrees after a reload.
      await page.reload();
      await userRow(page, QUOTA_USER.email).getByText('0 B of 1 MiB used').waitFor();
    },
    { critical: true },
  );

  await step('that user\'s Files page shows the usage bar "of 1 MiB"', async () => {
    await logIn(page, QUOTA_USER);
    await page.getByRole('heading', { name: 'Files', level: 1 }).waitFor();
    const usage = page.getByTestId('usage-bytes');
    await usage.getByText('0 B of 1 MiB used').waitFor();
    const label = await usage.getByRole('img').getAttribute('aria-label');
    assert(/of 1 MiB used/.test(label ?? ''), `usage bar label: ${label}`);
    assert((await page.getByRole('link', { name: 'Admin' }).count()) === 0, 'a non-admin sees the Admin link');
  });

  await step('an upload over the quota shows the server\'s quota message', async () => {
    const before = uploadRequests.length;
    await page.getByTestId('upload-input').setInputFiles([overQuota.path]);
    const item = page.getByRole('list', { name: 'Uploads' }).locator('li[data-quota="exceeded"]');
    await item.waitFor({ timeout: 30_000 });
    const text = await item.getByRole('alert').innerText();
    assert(/Over your storage quota/.test(text), `upload message: ${text}`);
    assert(/a quota of 1 MiB/.test(text), `the message does not name the 1 MiB limit: ${text}`);
    assert(uploadRequests.length > before, 'the upload was not sent (it is under the 100 MiB client-side limit)');
    await page.getByText('No files yet.').waitFor();
    await page.getByTestId('usage-bytes').getByText('0 B of 1 MiB used').waitFor();
  });

  await step('a non-admin opening /admin is told it is for administrators only', async () => {
    await page.goto('/admin');
    await page.getByText('Only administrators can open this page.').waitFor();
    assert((await page.locator('table.users-table').count()) === 0, 'a non-admin sees the user table');
  });

  await step('the admin creates an invite and its sign-up link is shown once (screenshot admin.png)', async () => {
    await logIn(page, ADMIN);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Invites' }).waitFor();
    const form = page.getByRole('form', { name: 'New invite' });
    await form.getByLabel('E-mail (optional)').fill(INVITEE.email);
    const days = await form.getByLabel('Expires in (days)').inputValue();
    assert(days === '7', `default expiry ${days} days`);
    await form.getByRole('button', { name: 'Create invite' }).click();
    const shown = page.getByTestId('invite-url');
    await shown.waitFor();
    inviteUrl = (await shown.innerText()).trim();
    assert(inviteUrl.startsWith(`${server.baseUrl}/signup?invite=`), `invite link: ${inviteUrl}`);
    await page.getByText('will not be shown again', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Copy sign-up link' }).waitFor();
    const invites = page.locator('table.invites-table tbody tr').filter({ hasText: INVITEE.email });
    await invites.getByText('Unused').waitFor();
    await userRow(page, QUOTA_USER.email).getByText('0 B of 1 MiB used').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(screenshotDir, 'admin.png'), fullPage: true });
    // Shown once: gone after a reload, and the list never has the token.
    const token = new URL(inviteUrl).searchParams.get('invite');
    await page.reload();
    await invites.waitFor();
    assert((await page.getByTestId('invite-url').count()) === 0, 'the invite link is shown again after a reload');
    assert(!(await page.content()).includes(token), 'the page shows the invite token after a reload');
  });

  await step('the invite link opens the sign-up page with the code filled in, and it works', async () => {
    assert(inviteUrl, 'needs the invite link, which was not shown');
    await signOut(page);
    await page.goto(inviteUrl);
    const code = page.getByLabel('Invite code');
    await code.waitFor();
    const token = new URL(inviteUrl).searchParams.get('invite');
    assert((await code.inputValue()) === token, `invite field: ${await code.inputValue()}`);
    await page.getByLabel('E-mail').fill(INVITEE.email);
    await page.getByLabel('Password').fill(INVITEE.password);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL('**/login');
    await page.getByText(`Your account was created. Log in as ${INVITEE.email}.`).waitFor();
  });

  // --- Buckets, lifecycle rules, and the file list narrowed by bucket, folder and search ---
  let bucketsToken = null;

  await step(
    'a third user has files in two buckets: a REST upload to "files", and S3 puts with folders and tags',
    async () => {
      const signup = await api(server.baseUrl, 'POST', '/auth/signup', { body: BUCKETS_USER });
      assert(signup.status === 201, `sign-up: ${signup.status} ${signup.text}`);
      const login = await api(server.baseUrl, 'POST', '/auth/login', { body: BUCKETS_USER });
      assert(login.status === 200, `login: ${login.status} ${login.text}`);
      bucketsToken = login.json.access_token;
      // The dashboard's own upload: into the default bucket "files".
      const form = new FormData();
      form.append('file', new Blob([Buffer.from('a photo in files\n')], { type: 'image/jpeg' }), 'photo.jpg');
      const upload = await fetch(`${server.baseUrl}/api/files/upload`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${bucketsToken}` },
        body: form,
      });
      assert(upload.status === 201, `REST upload: ${upload.status} ${await upload.text()}`);
      // The browser cannot make buckets: S3 with the user's temporary credentials.
      const creds = await api(server.baseUrl, 'POST', '/credentials', { token: bucketsToken });
      assert(creds.status === 200, `credentials: ${creds.status} ${creds.text}`);
      const s3 = s3Client({
        endpoint: creds.json.endpoint,
        region: creds.json.region,
        accessKeyId: creds.json.access_key_id,
        secretAccessKey: creds.json.secret_access_key,
      });
      const made = await s3('PUT', 'photos');
      assert(made.status === 200, `CreateBucket photos: ${made.status} ${made.text}`);
      const objects = [
        { key: 'photo.jpg', body: 'a photo in photos\n' },
        { key: '2023/old.jpg', body: 'old\n' },
        { key: '2024/beach.jpg', body: 'beach\n', tagging: 'trip=summer&camera=x100' },
        { key: '2024/june/sunset.jpg', body: 'sunset\n' },
      ];
      for (const o of objects) {
        const headers = { 'content-type': 'image/jpeg', ...(o.tagging ? { 'x-amz-tagging': o.tagging } : {}) };
        const put = await s3('PUT', 'photos', o.key, { body: o.body, headers });
        assert(put.status === 200, `PutObject photos/${o.key}: ${put.status} ${put.text}`);
      }
      const buckets = await api(server.baseUrl, 'GET', '/buckets', { token: bucketsToken });
      const names = buckets.json?.buckets?.map((b) => b.name).join(',');
      assert(names === 'files,photos', `GET /api/buckets lists ${names}: ${buckets.text}`);
    },
    { critical: true },
  );

  await step('the Buckets page lists both buckets with objects per tier', async () => {
    await logIn(page, BUCKETS_USER);
    await page.getByRole('link', { name: 'Buckets', exact: true }).click();
    await page.getByRole('heading', { name: 'Buckets', level: 1 }).waitFor();
    const photos = page.locator('table.buckets-table tbody tr[data-bucket="photos"]');
    const files = page.locator('table.buckets-table tbody tr[data-bucket="files"]');
    await photos.getByTestId('bucket-hot').getByText('4 objects', { exact: false }).waitFor();
    await files.getByTestId('bucket-hot').getByText('1 object,', { exact: false }).waitFor();
    assert((await photos.locator('.badge-minio').count()) === 1 && (await photos.locator('.badge-s3').count()) === 1, 'tier badges');
    const rules = await photos.getByTestId('bucket-rules').innerText();
    assert(rules.trim() === 'Default policy', `photos without rules shows "${rules}"`);
  });

  await step(
    'a lifecycle rule is added, its XML shown, saved, and still there after a reload (screenshot buckets.png)',
    async () => {
      await page.getByRole('link', { name: 'Edit the rules of photos' }).click();
      await page.waitForURL('**/buckets/photos');
      await page.getByRole('heading', { name: 'Lifecycle rules of photos' }).waitFor();
      await page.getByText("No rules: this bucket follows the server's default policy.").waitFor();
      await page.getByRole('button', { name: 'Add rule' }).click();
      const form = page.getByRole('form', { name: 'New rule' });
      await form.getByLabel('Prefix', { exact: true }).fill('2024/');
      await form.getByLabel('Tag key', { exact: true }).fill('trip');
      await form.getByLabel('Tag value', { exact: true }).fill('summer');
      await form.getByLabel('Minimum size (bytes)', { exact: true }).fill('0');
      await form.getByLabel('Days to cold', { exact: true }).fill('30');
      await form.getByLabel('Days to delete', { exact: true }).fill('365');
      await form.getByLabel('Rule ID (optional)', { exact: true }).fill('summer-to-cold');
      const xml = await page.getByTestId('lifecycle-xml').innerText();
      for (const part of [
        '<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
        '<ID>summer-to-cold</ID>',
        '<Prefix>2024/</Prefix>',
        '<Key>trip</Key>',
        '<ObjectSizeGreaterThan>0</ObjectSizeGreaterThan>',
        '<Days>30</Days>',
        '<StorageClass>STANDARD_IA</StorageClass>',
        '<Days>365</Days>',
      ]) {
        assert(xml.includes(part), `the XML lacks ${part}:\n${xml}`);
      }
      await page.getByRole('button', { name: 'Save rules' }).click();
      await page.getByText('Saved: 1 rule.').waitFor();
      // The server has it as the editor sent it.
      const stored = await api(server.baseUrl, 'GET', '/buckets/photos/lifecycle', { token: bucketsToken });
      assert(stored.status === 200, `GET lifecycle: ${stored.status} ${stored.text}`);
      const rule = stored.json.rules[0];
      assert(
        stored.json.rules.length === 1 &&
          rule.id === 'summer-to-cold' &&
          rule.status === 'Enabled' &&
          JSON.stringify(rule.filter) ===
            JSON.stringify({ and: { prefix: '2024/', tags: [{ key: 'trip', value: 'summer' }], objectSizeGreaterThan: 0 } }) &&
          rule.transitions[0].days === 30 &&
          rule.expiration.days === 365,
        `stored configuration: ${stored.text}`,
      );
      await page.reload();
      const list = page.getByRole('list', { name: 'Rules of photos' });
      await list.getByText('summer-to-cold').waitFor();
      await list.getByText('to the cold tier (STANDARD_IA) after 30 days; deleted after 365 days', { exact: false }).waitFor();
      const row = page.locator('table.buckets-table tbody tr[data-bucket="photos"]');
      await row.getByTestId('bucket-rules').getByText('Lifecycle rules').waitFor();
      await page.getByTestId('lifecycle-xml').getByText('<ID>summer-to-cold</ID>', { exact: false }).waitFor();
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(screenshotDir, 'buckets.png'), fullPage: true });
    },
    { critical: true },
  );

  await step("a rule the server refuses shows AWS's message next to the editor", async () => {
    await page.getByRole('button', { name: 'Add rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Days to delete', { exact: true }).fill('10');
    await form.getByLabel('Rule ID (optional)', { exact: true }).fill('summer-to-cold'); // taken
    await page.getByRole('button', { name: 'Save rules' }).click();
    const refusal = page.getByTestId('lifecycle-error');
    await refusal.waitFor();
    const text = await refusal.innerText();
    assert(/invalid_argument/.test(text) && /Rule ID must be unique/.test(text), `refusal: ${text}`);
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await page.getByRole('list', { name: 'Rules of photos' }).getByText('summer-to-cold').waitFor();
    const stored = await api(server.baseUrl, 'GET', '/buckets/photos/lifecycle', { token: bucketsToken });
    assert(stored.json?.rules?.length === 1, `the refused rule changed the stored configuration: ${stored.text}`);
  });

  await step('the Files page tells two photo.jpg apart by bucket and key', async () => {
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('heading', { name: 'Files', level: 1 }).waitFor();
    const photos = fileRow(page, 'photo.jpg');
    await until('two photo.jpg rows', async () => (await photos.count()) === 2, 10_000);
    const buckets = (await photos.locator('td[data-label="Bucket"]').allInnerTexts()).sort();
    assert(buckets.join() === 'files,photos', `buckets of the photo.jpg rows: ${buckets.join(', ')}`);
    const keys = await photos.locator('td[data-label="Key"]').allInnerTexts();
    assert(keys.includes('photo.jpg') && keys.some((k) => /^[0-9a-f-]{36}-photo\.jpg$/.test(k)), `keys: ${keys.join(', ')}`);
  });

  await step('filtering by bucket browses its folders, folders first, with breadcrumbs and tags in the details', async () => {
    await page.getByRole('combobox', { name: /^Bucket/ }).selectOption('photos');
    const names = () => page.locator('table.file-table tbody td.cell-name').allInnerTexts();
    await until(
      'the root of photos: 2023/, 2024/, then photo.jpg',
      async () => {
        const got = (await names()).map((n) => n.replace(/^▸\s*/, ''));
        if (got.join() !== '2023/,2024/,photo.jpg') throw new Error(`the list shows ${got.join(', ')}`);
        return true;
      },
      10_000,
    );
    await page.getByRole('button', { name: 'Open folder 2024/' }).click();
    await fileRow(page, 'beach.jpg').waitFor();
    await page.getByRole('button', { name: 'Open folder june/' }).waitFor();
    assert(new URL(page.url()).searchParams.get('prefix') === '2024/', `address: ${page.url()}`);
    const crumbs = await page.getByRole('navigation', { name: 'Folder path' }).locator('li').allInnerTexts();
    assert(crumbs.join('/') === 'photos/2024', `breadcrumbs: ${crumbs.join(' / ')}`);
    // A reload stays in the folder.
    await page.reload();
    await fileRow(page, 'beach.jpg').waitFor();
    await fileRow(page, 'beach.jpg').getByRole('button', { name: 'Details of beach.jpg in photos' }).click();
    const dialog = page.getByRole('dialog', { name: 'beach.jpg' });
    const tags = await dialog.getByRole('list', { name: 'Tags' }).locator('li').allInnerTexts();
    assert(tags.join(',') === 'camera=x100,trip=summer', `tags: ${tags.join(', ')}`);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('navigation', { name: 'Folder path' }).getByRole('button', { name: 'photos' }).click();
    await fileRow(page, 'photo.jpg').waitFor();
  });

  await step('the search box finds a file by name across buckets', async () => {
    await page.getByRole('combobox', { name: /^Bucket/ }).selectOption('');
    await page.getByRole('searchbox', { name: 'Search' }).fill('SUNSET');
    await until(
      'only sunset.jpg',
      async () => {
        const got = await page.locator('table.file-table tbody td.cell-name').allInnerTexts();
        if (got.join() !== 'sunset.jpg') throw new Error(`the list shows ${got.join(', ')}`);
        return true;
      },
      10_000,
    );
    const key = await fileRow(page, 'sunset.jpg').locator('td[data-label="Key"]').innerText();
    assert(key === '2024/june/sunset.jpg', `key ${key}`);
    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await until('all five files again', async () => (await page.locator('table.file-table tbody tr').count()) === 5, 10_000);
  });
}

await main();
