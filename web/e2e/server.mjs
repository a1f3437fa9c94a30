// Starts a real `tiergate serve` for the end-to-end run: fresh temp dir, free ports, the built dashboard.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ADMIN_EMAIL = 'admin@example.com';

/** Finds the tiergate binary: $TIERGATE_BIN, $CARGO_TARGET_DIR/debug/tiergate, ../target/debug/tiergate. */
export function findBinary(webDir) {
  const candidates = [
    process.env.TIERGATE_BIN,
    process.env.CARGO_TARGET_DIR && path.join(process.env.CARGO_TARGET_DIR, 'debug', 'tiergate'),
    path.resolve(webDir, '..', 'target', 'debug', 'tiergate'),
  ].filter(Boolean);
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new Error(
      `no tiergate binary found; looked at: ${candidates.join(', ')}. ` +
        'Build it (cargo build --bin tiergate) or set TIERGATE_BIN.',
    );
  }
  return found;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spawns `tiergate serve` and waits (at most `readyTimeoutMs`) for GET /readyz to answer 200.
 * Returns { baseUrl, gatewayUrl, dataDir, logFile, stop(), logTail() }.
 */
export async function startTiergate({ binary, webDist, readyTimeoutMs = 60_000 }) {
  const cpPort = await freePort();
  let gwPort = await freePort();
  while (gwPort === cpPort) gwPort = await freePort();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'tiergate-e2e-'));
  const logFile = path.join(workDir, 'tiergate.log');
  const log = createWriteStream(logFile);
  const baseUrl = `http://127.0.0.1:${cpPort}`;
  const gatewayUrl = `http://127.0.0.1:${gwPort}`;

  const child = spawn(binary, ['serve'], {
    cwd: workDir,
    env: {
      ...process.env,
      NO_COLOR: '1',
      TIERGATE_SERVER__CONTROL_PLANE_ADDR: `127.0.0.1:${cpPort}`,
      TIERGATE_SERVER__GATEWAY_ADDR: `127.0.0.1:${gwPort}`,
      TIERGATE_SERVER__PUBLIC_URL: baseUrl,
      TIERGATE_SERVER__GATEWAY_PUBLIC_URL: gatewayUrl,
      TIERGATE_SERVER__WEB_DIR: webDist,
      TIERGATE_AUTH__ADMINS: `["${ADMIN_EMAIL}"]`,
      // Every test signs up and logs in from 127.0.0.1; the per-address limits are tested
      // in tests/api/auth.rs and would refuse the suite itself.
      TIERGATE_AUTH__SIGNUPS_PER_ADDRESS: '1000000',
      TIERGATE_AUTH__LOGIN_ATTEMPTS_PER_ADDRESS: '1000000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });

  const logTail = (lines = 40) => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };

  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    if (!exited) child.kill('SIGKILL');
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) {
      throw new Error(`tiergate exited before it was ready (${JSON.stringify(exited)}):\n${logTail()}`);
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`tiergate was not ready within ${readyTimeoutMs} ms:\n${logTail()}`);
    }
    await sleep(200);
  }
  return { baseUrl, gatewayUrl, workDir, logFile, stop, logTail };
}
