// End-to-end test of the dashboard against a real `tiergate serve`, driven through Debian's
// Chromium with playwright-core. Prints one line per step and closes with "N passed, M failed".
// Every wait is bounded; nothing asserts on timing.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
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

async function runScenario({ page, context, server, tmp, uploadRequests }) {
  // Two files big enough that a throttled upload shows its progress, and a third for the hot tier.
  const fileA = { name: 'alpha-report.bin', data: randomBytes(3 * 1024 * 1024 + 123) };
  const fileB = { name: 'beta-photo.bin', data: randomBytes(2 * 1024 * 1024 + 77) };
  const fileC = { name: 'gamma-notes.txt', data: Buffer.from('still hot: uploaded after the tiering pass\n'.repeat(200)) };
  for (const f of [fileA, fileB, fileC]) {
    f.path = path.join(tmp, f.name);
    writeFileSync(f.path, f.data);
  }
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
  });

  await step('the dashboard fits a phone\'s width (375 px) without sideways scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    try {
      for (const route of ['/', '/s3', '/tiering']) {
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
}

await main();
