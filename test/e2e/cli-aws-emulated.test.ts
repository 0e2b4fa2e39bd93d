/**
 * The CLI with `--backend aws-emulated`, through bin/shardcast.js as a user runs it: a local clip is uploaded
 * to the S3 emulator, the state machine runs over the Lambda handlers, the verified output is downloaded, and
 * the emulators stop; the job stays visible to `status`, `jobs` and `cost` (dynalite is kept under the state
 * dir); an s3:// input in the emulator becomes an s3:// output. Also `estimate` and `deploy --dry-run`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli } from '../support/cli.js';
import { ffprobeJson, makeClip, tempDir } from '../support/media.js';

const OPTS = ['--backend', 'aws-emulated', '--preset', 'ultrafast', '--segment-seconds', '1', '--workers', '2', '--no-progress', '--json'];

function emulatorProcesses(needle: string): string[] {
  const r = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.includes('s3rver') && l.includes(needle));
}

describe('CLI: transcode --backend aws-emulated', () => {
  const t = tempDir('shardcast-cli-aws-');
  const state = join(t.dir, 'state');
  let clip: string;
  let jobId: string;
  before(() => {
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 4, gop: 15 });
  });
  after(t.cleanup);

  it('uploads, runs the state machine, downloads a verified output, stops the emulators', () => {
    const out = join(t.dir, 'out.mp4');
    const r = cli(['transcode', clip, out, ...OPTS], { stateDir: state, timeoutMs: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    jobId = view.id;
    assert.equal(view.status, 'done');
    assert.equal(view.backend, 'aws-emulated');
    assert.match(view.source, /^s3:\/\/shardcast-emulated\/inputs\//);
    assert.equal(view.localOutput, out);
    assert.deepEqual([view.segmentsDone, view.segmentsTotal, view.verify.ok], [4, 4, true]);
    assert.ok(existsSync(out));
    const probe = ffprobeJson(out, 'stream=codec_type,nb_read_frames', ['-count_frames']);
    assert.equal(Number(probe.streams.find((s: any) => s.codec_type === 'video').nb_read_frames), 120);
    assert.deepEqual(emulatorProcesses(t.dir), [], 'no emulator left running');
    assert.ok(!r.stderr.includes('NodeVersionSupportWarning'), r.stderr);
  });

  it('status, jobs and cost read the emulated ledger afterwards', () => {
    const status = cli(['status', jobId, '--backend', 'aws-emulated', '--json'], { stateDir: state });
    assert.equal(status.status, 0, status.stderr);
    const view = JSON.parse(status.stdout);
    assert.equal(view.status, 'done');
    assert.ok(view.segments.every((s: any) => s.status === 'done' && s.wallMs > 0));
    const jobs = cli(['jobs', '--backend', 'aws-emulated', '--json'], { stateDir: state });
    assert.deepEqual(
      JSON.parse(jobs.stdout).map((j: any) => j.id),
      [jobId],
    );
    assert.deepEqual(JSON.parse(cli(['jobs', '--json'], { stateDir: state }).stdout), [], 'not in the local ledger');
    const cost = cli(['cost', jobId, '--backend', 'aws-emulated', '--json'], { stateDir: state });
    assert.equal(cost.status, 0, cost.stderr);
    const c = JSON.parse(cost.stdout);
    assert.equal(c.measured, false);
    assert.ok(c.estimate.totalUsd > 0 && c.estimate.totalUsd < 0.01, String(c.estimate.totalUsd));
    assert.ok(
      c.estimate.lines.some((l: any) => /Step Functions/.test(l.item) && l.quantity === 17),
      'start, analyze, notify, the Map choice, parallel, map + 4, audio 3, merge, finalize, notify, done',
    );
    const text = cli(['cost', jobId, '--backend', 'aws-emulated'], { stateDir: state });
    assert.match(text.stdout, /would cost \$0\.\d+ on AWS: 3008 MB x86_64/);
  });

  it("an s3:// input in the stack's bucket becomes an s3:// output there; another bucket is refused before any work", () => {
    const input = `s3://shardcast-emulated/inputs/${jobId}/clip.mp4`;
    const r = cli(['transcode', input, 's3://shardcast-emulated/results/again.mkv', ...OPTS], { stateDir: state, timeoutMs: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.deepEqual(
      [view.status, view.source, view.output, view.localOutput],
      ['done', input, 's3://shardcast-emulated/results/again.mkv', undefined],
    );
    const missing = cli(['transcode', 's3://shardcast-emulated/nope.mp4', 's3://shardcast-emulated/results/x.mp4', ...OPTS], {
      stateDir: state,
    });
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /input not found: s3:\/\/shardcast-emulated\/nope\.mp4/);
    // Regression: any s3:// was accepted, then Analyze failed ("not a readable media file") or Merge failed
    // after every segment was paid for, since the functions' role reaches the stack's bucket only.
    const jobsBefore = JSON.parse(cli(['jobs', '--json', '--backend', 'aws-emulated'], { stateDir: state }).stdout).length;
    const out = cli(['transcode', input, 's3://shardcast-results/again.mkv', ...OPTS], { stateDir: state });
    assert.equal(out.status, 2, out.stderr);
    assert.equal(
      out.stderr.trim(),
      "shardcast: error: the output s3://shardcast-results/again.mkv is outside the stack's bucket: its functions can read and write only s3://shardcast-emulated/; write it under s3://shardcast-emulated/ or to a local path (downloaded for you)",
    );
    const src = cli(['transcode', 's3://elsewhere/in.mp4', join(state, 'x.mp4'), ...OPTS], { stateDir: state });
    assert.equal(src.status, 2, src.stderr);
    assert.match(
      src.stderr,
      /^shardcast: error: the source s3:\/\/elsewhere\/in\.mp4 is outside the stack's bucket: .*aws s3 cp s3:\/\/elsewhere\/in\.mp4 s3:\/\/shardcast-emulated\/inputs\//,
    );
    // Regression (issue 26, item 3): the report ran inside the Merge function, past its time limit on a long
    // source, where a timeout is not caught and fails a finished job.
    const q = cli(['transcode', input, 's3://shardcast-emulated/results/q.mp4', ...OPTS, '--quality-report'], { stateDir: state });
    assert.equal(q.status, 2, q.stderr);
    assert.match(q.stderr.trim(), /^shardcast: error: --quality-report is not run on aws-emulated: [^\n]+$/);
    assert.equal(
      JSON.parse(cli(['jobs', '--json', '--backend', 'aws-emulated'], { stateDir: state }).stdout).length,
      jobsBefore,
      'no job made',
    );
  });

  it('estimate projects a run from a calibration encode; deploy --dry-run synthesizes the stack', () => {
    const est = cli(['estimate', clip, '--backend', 'aws', '--preset', 'ultrafast', '--duration', '2700', '--json'], { stateDir: state });
    assert.equal(est.status, 0, est.stderr);
    const e = JSON.parse(est.stdout);
    assert.equal(e.source.durationSeconds, 2700);
    assert.ok(e.calibration.encodeSecondsPerSourceSecond > 0);
    // The planner's own count (its tapered tail included), not duration / target.
    assert.ok(e.projection.segments >= Math.ceil(2700 / e.segmentSeconds), `${e.projection.segments} segments`);
    assert.ok(e.projection.wallSeconds > 0 && e.projection.cost.totalUsd > 0);
    // The AWS limits of the plan, beside time and cost. No account here: its concurrency is unknown, said so.
    assert.equal(e.concurrency, 40);
    assert.equal(e.concurrencyPlan.asked, 40);
    assert.match(e.concurrencyPlan.note, /could not be read/);
    assert.deepEqual(Object.keys(e.retryBudget).sort(), ['busy', 'deaths', 'throttle']);
    assert.equal(e.retryBudget.throttle.attempts, 120);
    assert.ok(e.retryBudget.throttle.meanSeconds > 1800 && e.retryBudget.throttle.mostSeconds > e.retryBudget.throttle.meanSeconds);
    assert.ok(e.retryBudget.busy.attempts * e.retryBudget.busy.intervalSeconds >= 900, 'a busy task outlasts a function run');
    // A new account (10 unreserved): 8 at once, planned with that.
    const small = cli(
      ['estimate', clip, '--backend', 'aws', '--preset', 'ultrafast', '--duration', '2700', '--unreserved', '10', '--json'],
      {
        stateDir: state,
      },
    );
    assert.equal(small.status, 0, small.stderr);
    const s = JSON.parse(small.stdout);
    assert.equal(s.concurrency, 8);
    assert.deepEqual([s.concurrencyPlan.asked, s.concurrencyPlan.unreserved, s.concurrencyPlan.planned], [40, 10, 8]);
    assert.match(s.concurrencyPlan.note, /^8 segments at once, not the 40 asked/);
    assert.equal(e.limits.segments, e.projection.segments);
    assert.equal(e.limits.mapMode, 'inline');
    assert.ok(e.limits.largestPayloadBytes < e.limits.payloadLimitBytes && e.limits.largestItemBytes < e.limits.itemLimitBytes);
    assert.ok(
      e.projection.cost.lines.some((l: any) => /^Data transfer out/.test(l.item)),
      'a local output is downloaded',
    );
    const dep = cli(['deploy', '--storage', 'efs', '--memory', '4096', '--dry-run', '--json'], { stateDir: state });
    assert.equal(dep.status, 0, dep.stderr);
    const synth = JSON.parse(dep.stdout);
    assert.equal(synth.config.storage, 'efs');
    assert.equal(synth.config.memoryMb, 4096);
    assert.deepEqual(synth.cdk.args.slice(0, 2), ['deploy', 'Shardcast']);
  });
});
