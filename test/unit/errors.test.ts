/**
 * The one place that decides whether a failed attempt is retried, the exit code each error maps to, and
 * the one-line message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactDeep, withoutSignatures } from '../../src/core/redact.js';
import {
  CancelledError,
  ConditionFailedError,
  FfmpegError,
  ffmpegErrorLine,
  InputError,
  isRetryable,
  JobFailedError,
  NotFoundError,
  oneLine,
  SegmentCheckError,
  ToolMissingError,
  UsageError,
  VerifyError,
} from '../../src/core/errors.js';

const ffmpegFailed = new FfmpegError('ffmpeg exited with 1', {
  tool: 'ffmpeg',
  exitCode: 1,
  stderrTail: 'Conversion failed!',
  taskKey: 'j/v00001',
});

describe('isRetryable', () => {
  const cases: Array<[name: string, err: unknown, retry: boolean]> = [
    ['ffmpeg failed (crash, killed, I/O)', ffmpegFailed, true],
    ['ffmpeg killed by a signal', new FfmpegError('killed', { tool: 'ffmpeg', exitCode: null, signal: 'SIGKILL', stderrTail: '' }), true],
    ['segment had the wrong frame count', new SegmentCheckError('299 frames, expected 300', 'j/v00001'), true],
    ['a plain Error (fs hiccup)', new Error('EIO'), true],
    ['a thrown string', 'ECONNRESET', true],
    ['cancelled by the user', new CancelledError('stopped'), false],
    ['bad input', new InputError('not a video'), false],
    ['bad usage', new UsageError('--crf must be ...'), false],
    ['ffmpeg missing', new ToolMissingError('no ffmpeg'), false],
    ['lost a conditional write (someone else has the task)', new ConditionFailedError('task is done', undefined), false],
    ['the job or its plan does not exist', new NotFoundError('job j has no plan'), false],
  ];
  for (const [name, err, retry] of cases) {
    it(`${name}: ${retry ? 'retry' : 'no retry'}`, () => assert.equal(isRetryable(err), retry));
  }
});

describe('exit codes and names', () => {
  const cases: Array<[err: Error & { exitCode: number }, name: string, code: number]> = [
    [new UsageError('x'), 'UsageError', 2],
    [new InputError('x'), 'InputError', 2],
    [new ToolMissingError('x'), 'ToolMissingError', 2],
    [ffmpegFailed, 'FfmpegError', 1],
    [new SegmentCheckError('x', 'k'), 'SegmentCheckError', 1],
    [new VerifyError('x', ['a']), 'VerifyError', 1],
    [new JobFailedError('x', 'job1', 'job1/v00000'), 'JobFailedError', 1],
    [new CancelledError('x'), 'CancelledError', 130],
  ];
  for (const [err, name, code] of cases) {
    it(`${name} → exit ${code}`, () => {
      assert.equal(err.name, name);
      assert.equal(err.exitCode, code);
      assert.ok(err instanceof Error);
    });
  }

  it('errors carry their context', () => {
    assert.equal(ffmpegFailed.details.taskKey, 'j/v00001');
    assert.equal(new SegmentCheckError('x', 'j/v00002').taskKey, 'j/v00002');
    assert.deepEqual(new VerifyError('x', ['frame count 1, expected 2']).failures, ['frame count 1, expected 2']);
    const current = { jobId: 'j' } as never;
    assert.equal(new ConditionFailedError('x', current).current, current);
  });
});

describe('oneLine', () => {
  const cases: Array<[input: unknown, expected: string]> = [
    [new Error('simple'), 'simple'],
    [new Error('first line\n  second line\n\nthird'), 'first line | second line | third'],
    [new Error('  padded  '), 'padded'],
    [new Error('ffmpeg said:\nInvalid data\n'), 'ffmpeg said: | Invalid data'],
    [new Error('\n\nleading blank lines'), 'leading blank lines'],
    ['a string', 'a string'],
    [42, '42'],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(expected), () => assert.equal(oneLine(input), expected));
  }
});

describe('withoutSignatures / redactDeep: no presigned credentials in what is recorded', () => {
  const url =
    'https://media.s3.us-east-1.amazonaws.com/in/a%20b.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261207&X-Amz-Security-Token=IQoJb3JpZ2lu&X-Amz-Signature=abc123';
  it('replaces the query of a presigned URL, wherever it is in a string', () => {
    assert.equal(withoutSignatures(url), 'https://media.s3.us-east-1.amazonaws.com/in/a%20b.mp4?(presigned)');
    assert.equal(
      withoutSignatures(`[https @ 0x1] ${url}: Server returned 403 Forbidden`),
      '[https @ 0x1] https://media.s3.us-east-1.amazonaws.com/in/a%20b.mp4?(presigned): Server returned 403 Forbidden',
    );
    assert.equal(withoutSignatures(`file '${url}'`), "file 'https://media.s3.us-east-1.amazonaws.com/in/a%20b.mp4?(presigned)'");
  });
  it('a credential parameter whose URL was cut off (a stderr tail starts mid-URL) is emptied too', () => {
    assert.equal(
      withoutSignatures('Amz-Date=1&X-Amz-Security-Token=IQoJb3JpZ2lu&X-Amz-Signature=abc123: Server returned 403'),
      'Amz-Date=1&X-Amz-Security-Token=(presigned)&X-Amz-Signature=(presigned): Server returned 403',
    );
  });
  it('leaves other URLs, paths and queries alone', () => {
    for (const s of ['https://example.com/a.mp4?token=1', '/tmp/j/v00001.mp4', 's3://media/in/a.mp4', 'X-Amz-Signature alone']) {
      assert.equal(withoutSignatures(s), s);
    }
  });
  it('reaches every string of a record, and nothing else', () => {
    const rec = { args: ['-i', url], n: 3, ok: true, none: null, nested: [{ error: `read ${url} failed` }] };
    assert.deepEqual(redactDeep(rec), {
      args: ['-i', 'https://media.s3.us-east-1.amazonaws.com/in/a%20b.mp4?(presigned)'],
      n: 3,
      ok: true,
      none: null,
      nested: [{ error: 'read https://media.s3.us-east-1.amazonaws.com/in/a%20b.mp4?(presigned) failed' }],
    });
  });
});

describe("ffmpeg's reason for a failure", () => {
  it('is the first line that names a cause, not the generic closing line', () => {
    const stderr = "Unrecognized option 'svtav1-params'.\nError splitting the argument list: Option not found\n";
    assert.equal(ffmpegErrorLine(stderr), "Unrecognized option 'svtav1-params'.");
  });

  it('drops the context addresses and skips lines that are not errors', () => {
    const stderr = [
      '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d3c1a0] stream 1, timescale not set',
      '[libx264 @ 0x55d3c2b0] height not divisible by 2 (640x361)',
      'Error initializing output stream 0:0 -- Error while opening encoder for output stream #0:0',
      'Conversion failed!',
    ].join('\n');
    assert.equal(ffmpegErrorLine(stderr), '[libx264] height not divisible by 2 (640x361)');
  });

  it('falls back to the last line', () => {
    assert.equal(ffmpegErrorLine('frame=  10\nsome words\n'), 'some words');
    assert.equal(ffmpegErrorLine(''), '');
  });
});
