/**
 * Starts a real `shardcast serve` server in the test process on 127.0.0.1 (port 0), over a temp state dir,
 * with the same runtime as the CLI. `faults` is the test's own wrapMedia hook: it makes ffmpeg fail for a
 * chosen segment (a real ffmpeg run that exits non-zero, so the real failure path is taken) or hold a
 * segment until released (to catch a job while it runs). Production code never sets wrapMedia.
 */
import { BUILTIN_TEMPLATES } from '../../../src/core/templates.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MediaTool, ToolRunOptions } from '../../../src/ports/media-tool.js';
import type { ServerConfig } from '../../../src/server/server-config.js';
import { startServer, type RunningServer } from '../../../src/server/start-server.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Switches the tests flip while a server runs. */
export class FaultSwitch {
  /** Video segment index whose encode fails while set. */
  failSegment: number | undefined;
  /** While set, the encode of this segment waits (until `release()` or abort). */
  holdSegment: number | undefined;
  private releaseHeld: Array<() => void> = [];
  failures = 0;

  release(): void {
    this.holdSegment = undefined;
    for (const r of this.releaseHeld.splice(0)) r();
  }

  wrap = (inner: MediaTool): MediaTool => ({
    info: () => inner.info(),
    run: async (tool, args, opts?: ToolRunOptions) => {
      const out = args[args.length - 1] ?? '';
      const seg = /\/v(\d{5})\.mp4\.partial$/.exec(out);
      const index = seg ? Number(seg[1]) : undefined;
      if (tool === 'ffmpeg' && index !== undefined && index === this.holdSegment) {
        await new Promise<void>((res) => {
          this.releaseHeld.push(res);
          opts?.signal?.addEventListener('abort', () => res(), { once: true });
        });
      }
      if (tool === 'ffmpeg' && index !== undefined && index === this.failSegment) {
        this.failures++;
        // A real ffmpeg run that fails: reading a file that does not exist.
        return inner.run(
          'ffmpeg',
          ['-nostdin', '-hide_banner', '-v', 'error', '-i', 'file:/nonexistent/injected-fault-for-test.mp4', '-f', 'null', '-'],
          opts,
        );
      }
      return inner.run(tool, args, opts);
    },
  });
}

export interface TestServer {
  url: string;
  stateDir: string;
  server: RunningServer;
  faults: FaultSwitch;
  close(): Promise<void>;
}

export async function startTestServer(overrides: Partial<ServerConfig> = {}): Promise<TestServer> {
  const stateDir = mkdtempSync(join(tmpdir(), 'shardcast-serve-'));
  const faults = new FaultSwitch();
  const config: ServerConfig = {
    host: '127.0.0.1',
    port: 0,
    stateDir,
    roots: [],
    maxUploadBytes: 50 * 1024 * 1024,
    requireToken: false,
    env: process.env,
    logRequests: false,
    webDir: join(REPO_ROOT, 'web', 'dist'),
    wrapMedia: faults.wrap,
    templates: { templates: [...BUILTIN_TEMPLATES] },
    ...overrides,
  };
  const server = await startServer(config, { sseTiming: { pollMs: 150, snapshotMs: 1000, keepAliveMs: 5000 } });
  return {
    url: server.url,
    stateDir,
    server,
    faults,
    async close() {
      faults.release();
      await server.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function api<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { json?: unknown; headers?: Record<string, string>; body?: BodyInit } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/** Waits until the job reaches one of `statuses` (through GET /api/jobs/:id). */
export async function waitForStatus(
  base: string,
  id: string,
  statuses: string[],
  timeoutMs = 90_000,
  headers: Record<string, string> = {},
): Promise<any> {
  return waitFor(
    `job ${id} to be ${statuses.join('/')}`,
    async () => {
      const r = await api(base, 'GET', `/api/jobs/${id}`, { headers });
      return statuses.includes(r.body.status) && !r.body.running ? r.body : undefined;
    },
    timeoutMs,
  );
}
