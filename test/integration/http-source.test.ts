/**
 * A source read over http(s), as a presigned S3 URL is on AWS, from a real server on 127.0.0.1 whose
 * connections drop after every 64 KiB. With Range support the reads reconnect and resume: the analysis is the
 * same as from disk. Without it (every resume refused), the packet scan ends early and exits 0: the analysis
 * fails as a read cut short (worth a retry), never taken for the whole source.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeSource } from '../../src/app/analyze-job.js';
import { FfmpegError, isRetryable } from '../../src/core/errors.js';
import { makeLocalRuntime, type LocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { ffmpeg, tempDir } from '../support/media.js';

/** Serves `data`, cutting every response after 64 KiB; a Range request resumes, or (`resumable` false) gets 403. */
function flakyServer(data: Buffer, resumable: boolean): Promise<Server> {
  const srv = createServer((req, res) => {
    const m = /bytes=(\d+)-/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    if (start > 0 && !resumable) {
      res.writeHead(403).end();
      return;
    }
    const body = data.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': body.length,
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    res.write(body.subarray(0, 65536), () => res.socket?.destroy());
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

describe('a source over http whose connection drops', () => {
  const t = tempDir('shardcast-http-source-');
  let rt: LocalRuntime;
  let clip: string;
  const servers: Server[] = [];
  before(() => {
    clip = join(t.dir, 'clip.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x240:r=25:d=6',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '25',
      '-movflags',
      '+faststart',
      clip,
    ]);
    rt = makeLocalRuntime({ stateDir: join(t.dir, 'state'), env: process.env });
  });
  after(async () => {
    for (const s of servers) s.close();
    await rt?.close();
    t.cleanup();
  });
  const url = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/clip.mp4`;

  it('reconnects and resumes (regression: a dropped connection ended the read as if the file ended there)', async () => {
    const srv = await flakyServer(readFileSync(clip), true);
    servers.push(srv);
    const remote = await analyzeSource(rt.deps, url(srv));
    const local = await analyzeSource(rt.deps, clip);
    assert.equal(remote.video.frameTimes.length, 150);
    assert.deepEqual(remote.video.frameTimes, local.video.frameTimes);
    assert.deepEqual(remote.video.keyframeIndices, local.video.keyframeIndices);
  });

  it(
    'a read that stays cut short fails the analysis, worth a retry (regression: 18 of 150 packets passed as the whole source)',
    { timeout: 120_000 },
    async () => {
      const srv = await flakyServer(readFileSync(clip), false);
      servers.push(srv);
      await assert.rejects(analyzeSource(rt.deps, url(srv)), (err: unknown) => {
        assert.ok(err instanceof FfmpegError, String(err));
        assert.match((err as Error).message, /^the source's read was cut short: /);
        assert.equal(isRetryable(err), true);
        return true;
      });
    },
  );
});
