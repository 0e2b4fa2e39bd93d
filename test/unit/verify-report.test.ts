/**
 * Table tests for the output verification report built from a packet scan of the merged output.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildVerifyReport, spansFromScan, type VerifyExpectations } from '../../src/core/verify-report.js';
import type { MediaAnalysis, SegmentPlan } from '../../src/core/types.js';

const FPS = 25;
const FRAMES = 100; // 4 s
const AAC = 1024 / 48000;

interface Packet {
  stream_index: number;
  pts_time?: string;
  duration_time?: string;
}

/** Video packets: `n` frames at 25 fps from `start`; options to drop durations or move the last one. */
function videoPackets(
  o: { n?: number; start?: number; durations?: boolean; lastPts?: number; lastDuration?: number; stream?: number } = {},
): Packet[] {
  const n = o.n ?? FRAMES;
  return Array.from({ length: n }, (_, i) => {
    const pts = i === n - 1 && o.lastPts !== undefined ? o.lastPts : (o.start ?? 0) + i / FPS;
    const dur = i === n - 1 && o.lastDuration !== undefined ? o.lastDuration : 1 / FPS;
    const p: Packet = { stream_index: o.stream ?? 0, pts_time: pts.toFixed(6) };
    if (o.durations !== false) p.duration_time = dur.toFixed(6);
    return p;
  });
}

/** AAC packets from `start` until at least `end`. */
function audioPackets(o: { start?: number; end: number; durations?: boolean; stream?: number }): Packet[] {
  const out: Packet[] = [];
  for (let t = o.start ?? 0; t < o.end - 1e-9; t += AAC) {
    const p: Packet = { stream_index: o.stream ?? 1, pts_time: t.toFixed(6) };
    if (o.durations !== false) p.duration_time = AAC.toFixed(6);
    out.push(p);
  }
  return out;
}

function scan(packets: Packet[], types: string[] = ['video', 'audio']): string {
  return JSON.stringify({ packets, streams: types.map((codec_type, index) => ({ index, codec_type })) });
}

function expectations(
  o: { sourceAudioEnd?: number | null; expectAudio?: boolean; audioFrameSeconds?: number | null; totalFrames?: number } = {},
): VerifyExpectations {
  const analysis: MediaAnalysis = {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    startTime: 0,
    duration: 4,
    durationFromContainer: true,
    sizeBytes: 1,
    video: {
      streamIndex: 0,
      codec: 'h264',
      width: 640,
      height: 360,
      pixelFormat: 'yuv420p',
      rotation: 0,
      color: {},
      frameRate: '25/1',
      avgFrameRate: '25/1',
      frameRateMode: 'cfr',
      timeBase: '1/12800',
      frameTimes: Array.from({ length: FRAMES }, (_, i) => i / FPS),
      keyframeIndices: [0],
      lastFrameDuration: 1 / FPS,
    },
    audio: [
      {
        index: 1,
        type: 'audio',
        codec: 'aac',
        channels: 2,
        sampleRate: 48000,
        startTime: 0,
        duration: 4,
        ...(o.sourceAudioEnd === null ? {} : { endTime: o.sourceAudioEnd ?? 4 }),
      },
    ],
    subtitles: [],
    others: [],
  };
  const plan: SegmentPlan = { segments: [], targetSeconds: 2, totalFrames: o.totalFrames ?? FRAMES, encodeOrder: [] };
  const e: VerifyExpectations = { analysis, plan, expectAudio: o.expectAudio ?? true };
  if (o.audioFrameSeconds !== null) e.audioFrameSeconds = o.audioFrameSeconds ?? AAC;
  return e;
}

interface VerifyCase {
  name: string;
  packets: Packet[];
  types?: string[];
  e?: Parameters<typeof expectations>[0];
  /** Each expected failure, as a regular expression; empty: the report is ok. */
  failures: RegExp[];
}

const cases: VerifyCase[] = [
  { name: 'exact output: ok', packets: [...videoPackets(), ...audioPackets({ end: 4 })], failures: [] },
  {
    name: 'AAC priming (audio starts at -1024 samples): ok',
    packets: [...videoPackets(), ...audioPackets({ start: -AAC, end: 4 })],
    failures: [],
  },
  {
    name: 'one frame missing',
    packets: [...videoPackets({ n: 99 })],
    e: { expectAudio: false },
    failures: [/^frame count 99, expected 100$/],
  },
  {
    name: 'one frame too many',
    packets: [...videoPackets({ n: 101 })],
    e: { expectAudio: false },
    failures: [/^frame count 101, expected 100$/],
  },
  {
    name: 'right frame count, video 0.14 s too long (a gap): duration failure',
    packets: videoPackets({ lastPts: 4.1 }),
    e: { expectAudio: false },
    failures: [/^video duration 4\.140 s, expected 4\.000 s \(tolerance one frame, 0\.041 s\)$/],
  },
  {
    name: 'last frame 0.07 s instead of 0.04 s: within one frame',
    packets: videoPackets({ lastDuration: 0.07 }),
    e: { expectAudio: false },
    failures: [],
  },
  {
    name: 'last frame 0.09 s: over one frame',
    packets: videoPackets({ lastDuration: 0.09 }),
    e: { expectAudio: false },
    failures: [/^video duration 4\.050 s/],
  },
  {
    name: 'no packet durations at all (muxer left them out): the planned last frame duration is used',
    packets: [...videoPackets({ durations: false }), ...audioPackets({ end: 4, durations: false })],
    failures: [],
  },
  {
    name: 'audio ends 0.1 s early',
    packets: [...videoPackets(), ...audioPackets({ end: 3.9 })],
    failures: [
      /^audio ends -0\.0\d\d s after the last video frame starts, in the source 0\.040 s \(tolerance one audio frame, 0\.023 s\)$/,
    ],
  },
  // The exact output's audio ends 0.0507 s after the last frame starts (AAC packets end at 4.0107 s).
  {
    name: 'gap 0.019 s off the source: within one AAC frame',
    packets: [...videoPackets(), ...audioPackets({ end: 4 })],
    e: { sourceAudioEnd: 4.03 },
    failures: [],
  },
  {
    name: 'gap 0.029 s off the source: over one AAC frame',
    packets: [...videoPackets(), ...audioPackets({ end: 4 })],
    e: { sourceAudioEnd: 4.04 },
    failures: [/^audio ends 0\.051 s after the last video frame starts, in the source 0\.080 s/],
  },
  {
    name: 'source audio runs 0.5 s past the video and the output keeps it: ok',
    packets: [...videoPackets(), ...audioPackets({ end: 4.5 })],
    e: { sourceAudioEnd: 4.5 },
    failures: [],
  },
  {
    name: 'source audio runs 0.5 s past the video but the output cut it at the video end',
    packets: [...videoPackets(), ...audioPackets({ end: 4 })],
    e: { sourceAudioEnd: 4.5 },
    failures: [/^audio ends .* in the source 0\.540 s/],
  },
  {
    name: 'unknown audio frame size: default tolerance 27 ms',
    packets: [...videoPackets(), ...audioPackets({ end: 4 })],
    e: { audioFrameSeconds: null, sourceAudioEnd: 4.035 },
    failures: [],
  },
  {
    name: 'source audio end unknown: no gap check',
    packets: [...videoPackets(), ...audioPackets({ end: 2 })],
    e: { sourceAudioEnd: null },
    failures: [],
  },
  { name: 'audio expected but missing', packets: videoPackets(), types: ['video'], failures: [/^the output has no audio stream$/] },
  { name: 'audio not expected and absent: ok', packets: videoPackets(), types: ['video'], e: { expectAudio: false }, failures: [] },
  {
    name: 'no video stream at all',
    packets: audioPackets({ end: 4 }),
    types: ['data', 'audio'],
    e: { expectAudio: false },
    failures: [/^the output has no video stream$/, /^frame count 0, expected 100$/],
  },
  {
    name: 'a subtitle stream does not count as video or audio',
    packets: [...videoPackets(), ...audioPackets({ end: 4 }), { stream_index: 2, pts_time: '1.0', duration_time: '9.0' }],
    types: ['video', 'audio', 'subtitle'],
    failures: [],
  },
];

describe('buildVerifyReport: a track without packet durations ends where its container records it', () => {
  // The source's last frame starts at 3.96 s and lasts 1.24 s: the video spans 5.2 s. ffmpeg 5.1's MP4 reader
  // gives no packet durations on tracks with B-frames; the track's recorded end is what players read.
  const longLast = (kept?: boolean): VerifyExpectations => {
    const e = expectations({ expectAudio: false });
    e.analysis.video.lastFrameDuration = 1.24;
    if (kept !== undefined) e.lastFrameKept = kept;
    return e;
  };
  const recorded = (duration: number): string =>
    JSON.stringify({
      packets: videoPackets({ durations: false }),
      streams: [{ index: 0, codec_type: 'video', start_time: '0.000000', duration: duration.toFixed(6) }],
    });

  it('recorded at the source end: ok', () => {
    const r = buildVerifyReport(recorded(5.2), longLast(true));
    assert.deepEqual(r.failures, []);
    assert.ok(Math.abs(r.videoDuration - 5.2) < 1e-6);
  });
  it('recorded 1.2 s early (the last frame cut short): fails, the tolerance one frame interval', () => {
    const r = buildVerifyReport(recorded(4), longLast(true));
    assert.deepEqual(r.failures, ['video duration 4.000 s, expected 5.200 s (tolerance one frame, 0.051 s)']);
  });
  it("an ffmpeg that cannot set the last frame's duration (4.x): the last frame's own duration is the tolerance", () => {
    assert.deepEqual(buildVerifyReport(recorded(4), longLast(false)).failures, []);
    // The same output from an ffmpeg that set it fails (the case above).
    assert.equal(buildVerifyReport(recorded(4), longLast(true)).ok, false);
  });
  it("Matroska (no duration of the last frame's own: every packet reads the track's default): the last frame lasts as planned", () => {
    const text = JSON.stringify({ packets: videoPackets(), streams: [{ index: 0, codec_type: 'video' }] });
    const e = longLast(true);
    assert.match(buildVerifyReport(text, e).failures.join(), /^video duration 4\.000 s, expected 5\.200 s/);
    e.lastDurationUnrecorded = true;
    const r = buildVerifyReport(text, e);
    assert.deepEqual(r.failures, []);
    assert.ok(Math.abs(r.videoDuration - 5.2) < 1e-6);
  });

  it('no recorded end: the last frame lasts as planned', () => {
    const text = JSON.stringify({ packets: videoPackets({ durations: false }), streams: [{ index: 0, codec_type: 'video' }] });
    const r = buildVerifyReport(text, longLast(true));
    assert.deepEqual(r.failures, []);
    assert.ok(Math.abs(r.videoDuration - 5.2) < 1e-6);
  });
});

describe('buildVerifyReport', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = buildVerifyReport(scan(c.packets, c.types), expectations(c.e));
      assert.equal(r.failures.length, c.failures.length, `failures: ${JSON.stringify(r.failures)}`);
      c.failures.forEach((re, i) => assert.match(r.failures[i]!, re));
      assert.equal(r.ok, c.failures.length === 0);
      assert.equal(r.expectedFrames, c.e?.totalFrames ?? FRAMES);
      assert.ok(Math.abs(r.expectedDuration - 4) < 1e-9);
    });
  }

  it('reports frames, durations and the audio duration from 0 (priming excluded)', () => {
    const r = buildVerifyReport(scan([...videoPackets(), ...audioPackets({ start: -AAC, end: 4 })]), expectations());
    assert.equal(r.frames, 100);
    assert.ok(Math.abs(r.videoDuration - 4) < 1e-5);
    const audioEnd = -AAC + Math.ceil((4 + AAC) / AAC) * AAC;
    assert.ok(Math.abs(r.audioDuration! - audioEnd) < 1e-4, `audioDuration ${r.audioDuration}`);
  });

  it('planned frame count is what is compared, not the source frame count', () => {
    const r = buildVerifyReport(scan(videoPackets()), expectations({ expectAudio: false, totalFrames: 99 }));
    assert.deepEqual(r.failures, ['frame count 100, expected 99']);
  });
});

describe('spansFromScan', () => {
  it('counts packets, takes the earliest start and the latest end per stream, skips packets without pts', () => {
    const spans = spansFromScan(
      JSON.stringify({
        streams: [
          { index: 0, codec_type: 'video' },
          { index: 1, codec_type: 'audio' },
        ],
        packets: [
          { stream_index: 0, pts_time: '0.080000', duration_time: '0.040000' },
          { stream_index: 0, pts_time: '0.000000', duration_time: '0.040000' },
          { stream_index: 0, pts_time: '0.040000', duration_time: '0.040000' },
          { stream_index: 1, duration_time: '0.021333' },
          { stream_index: 1, pts_time: '0.500000' },
          { stream_index: 5, pts_time: '1.000000', duration_time: '1.000000' },
        ],
      }),
    );
    const v = spans.get(0)!;
    assert.deepEqual(
      { type: v.type, count: v.count, start: v.start, lastPts: v.lastPts, endKnown: v.endKnown },
      { type: 'video', count: 3, start: 0, lastPts: 0.08, endKnown: true },
    );
    assert.ok(Math.abs(v.end - 0.12) < 1e-9);
    const a = spans.get(1)!;
    assert.deepEqual(
      { count: a.count, start: a.start, end: a.end, endKnown: a.endKnown },
      { count: 1, start: 0.5, end: 0.5, endKnown: false },
    );
    assert.equal(spans.get(5)!.type, 'unknown');
  });

  it("with the index read (MP4/MOV), counts are the index's sample counts; span ends still come from the packets read", () => {
    const text = JSON.stringify({
      streams: [
        { index: 0, codec_type: 'video', nb_frames: '300' },
        { index: 1, codec_type: 'audio', nb_frames: 'N/A' },
      ],
      packets: [
        { stream_index: 0, pts_time: '0.000000', duration_time: '0.040000' },
        { stream_index: 0, pts_time: '11.960000', duration_time: '0.040000' },
        { stream_index: 1, pts_time: '11.990000', duration_time: '0.021333' },
      ],
    });
    const indexed = spansFromScan(text, { countsFromIndex: true });
    assert.equal(indexed.get(0)!.count, 300);
    assert.ok(Math.abs(indexed.get(0)!.end - 12) < 1e-9);
    assert.equal(indexed.get(1)!.count, -1, 'an index without a count is no count');
    assert.equal(spansFromScan(text).get(0)!.count, 2);
  });
});
