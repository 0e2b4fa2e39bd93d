/**
 * Publishing a ladder while it encodes, and its I-frame playlists (pure parts): the done prefix, the task sizes
 * and order, the EVENT media playlist and the dynamic DASH manifest of a prefix, the keyframes' byte ranges in an
 * fMP4 segment (read back from the bytes), the I-frame playlist and its master line, and the flag's checks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Parser } from 'm3u8-parser';
import { parse as parseMpd } from 'mpd-parser';
import { donePrefix, eventTargetDuration, firstPlayableText, headFirstBounds, prefixIndex } from '../../src/core/early-publish.js';
import { readBoxes, type InitInfo } from '../../src/core/fmp4.js';
import { iframeEntries, iframePlaylist, iframeStreamInf, keyframeRanges } from '../../src/core/iframe-playlist.js';
import { planLadderTasks } from '../../src/core/ladder.js';
import { dashManifest, masterPlaylist, mediaPlaylist, type LadderIndex, type RenditionIndex } from '../../src/core/playlists.js';
import { UsageError } from '../../src/core/errors.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import type { TaskRecord } from '../../src/core/types.js';

type T = Pick<TaskRecord, 'kind' | 'index' | 'status' | 'media'>;
const task = (index: number, status: TaskRecord['status'], segments = 1): T => ({
  kind: 'video',
  index,
  status,
  media: { first: 0, starts: Array.from({ length: segments }, (_, i) => i * 48) },
});
const audio = (status: TaskRecord['status']): T => ({ kind: 'audio', index: 0, status });

describe('the done prefix', () => {
  const cases: Array<[string, T[], { tasks: number; segments: number }]> = [
    ['nothing done', [audio('done'), task(0, 'running'), task(1, 'done')], { tasks: 0, segments: 0 }],
    ['the first task, audio done', [audio('done'), task(0, 'done', 1), task(1, 'running', 2)], { tasks: 1, segments: 1 }],
    ['the audio not done yet: nothing', [audio('running'), task(0, 'done'), task(1, 'done')], { tasks: 0, segments: 0 }],
    ['stops at the first hole', [audio('done'), task(0, 'done', 1), task(1, 'pending', 2), task(2, 'done', 4)], { tasks: 1, segments: 1 }],
    [
      'every task, in any listed order',
      [task(2, 'done', 4), audio('done'), task(0, 'done', 1), task(1, 'done', 2)],
      { tasks: 3, segments: 7 },
    ],
    ['no audio track', [task(0, 'done', 2), task(1, 'failed', 2)], { tasks: 1, segments: 2 }],
  ];
  for (const [name, tasks, want] of cases) it(name, () => assert.deepEqual(donePrefix(tasks), want));
});

describe('head-first task sizes and order', () => {
  it('grows from one media segment to the usual size, covering every segment', () => {
    assert.deepEqual(headFirstBounds(12, 3), [0, 1, 3, 6, 9, 12]);
    assert.deepEqual(headFirstBounds(20, 8), [0, 1, 3, 7, 15, 20]);
    assert.deepEqual(headFirstBounds(2, 8), [0, 1, 2]);
    assert.deepEqual(headFirstBounds(1, 1), [0, 1]);
    assert.deepEqual(headFirstBounds(5, 0), [0, 1, 2, 3, 4, 5]);
  });

  it('plans a ladder head first, encoded in timeline order; without it, longest first as before', () => {
    const times = Array.from({ length: 24 * 12 }, (_, i) => i / 24);
    const starts = Array.from({ length: 12 }, (_, i) => i * 24);
    const input = {
      frameTimes: times,
      keyframeIndices: [0],
      lastFrameDuration: 1 / 24,
      starts,
      segmentSeconds: 1,
      targetSeconds: 4,
      workers: 2,
    };
    const early = planLadderTasks({ ...input, headFirst: true });
    assert.deepEqual(
      early.media.map((m) => m.starts.length),
      [1, 2, 4, 4, 1],
    );
    assert.deepEqual(early.plan.encodeOrder, [0, 1, 2, 3, 4]);
    const usual = planLadderTasks(input);
    assert.deepEqual(
      usual.media.map((m) => m.starts.length),
      [4, 4, 4],
    );
    assert.deepEqual(usual.plan.encodeOrder, [0, 1, 2]);
    const uneven = planLadderTasks({ ...input, frameTimes: times.slice(0, 24 * 9), starts: starts.slice(0, 9), targetSeconds: 2 });
    assert.deepEqual(
      uneven.media.map((m) => m.starts.length),
      [1, 2, 2, 2, 2],
    );
    assert.deepEqual(uneven.plan.encodeOrder, [1, 2, 3, 4, 0], 'longest first');
    const unevenEarly = planLadderTasks({
      ...input,
      frameTimes: times.slice(0, 24 * 9),
      starts: starts.slice(0, 9),
      targetSeconds: 2,
      headFirst: true,
    });
    assert.deepEqual(unevenEarly.plan.encodeOrder, [0, 1, 2, 3, 4], 'the same tasks, first first');
  });
});

const seg = (number: number, start: number, duration: number, bytes: number) => ({
  number,
  file: `seg_${String(number + 1).padStart(5, '0')}.m4s`,
  start,
  duration,
  bytes,
  frames: 48,
});
const video: RenditionIndex = {
  kind: 'video',
  name: 'v180',
  timescale: 12288,
  codecs: 'avc1.640015',
  width: 320,
  height: 180,
  init: 'init.mp4',
  presentationOffset: 2048,
  segments: [0, 1, 2, 3].map((i) => seg(i, i * 24576, 24576, 40_000)),
};
const sound: RenditionIndex = {
  kind: 'audio',
  name: 'a0',
  timescale: 48000,
  codecs: 'mp4a.40.2',
  channels: 2,
  sampleRate: 48000,
  init: 'init.mp4',
  segments: [0, 1, 2, 3].map((i) => seg(i, i * 96000, 96000, 32_000)),
};
const ladder: LadderIndex = { video: [video], audio: [sound], subtitles: [], frameRate: 24, timelineStart: 0.1667 };

describe('the playlists of a prefix', () => {
  it('cuts every rendition to the prefix', () => {
    const p = prefixIndex(ladder, 2);
    assert.deepEqual(
      p.video[0]!.segments.map((s) => s.number),
      [0, 1],
    );
    assert.deepEqual(
      p.audio[0]!.segments.map((s) => s.number),
      [0, 1],
    );
  });

  it('writes an EVENT media playlist without ENDLIST, with a target duration that will not change', () => {
    const p = prefixIndex(ladder, 2);
    const target = eventTargetDuration(2, [...p.video, ...p.audio]);
    assert.equal(target, 2);
    assert.equal(eventTargetDuration(2, [{ ...video, segments: [seg(0, 0, 12288 * 3, 1)] }]), 3);
    assert.equal(eventTargetDuration(1.5, []), 2);
    const text = mediaPlaylist(p.video[0]!, 'EVENT', target);
    assert.match(text, /#EXT-X-PLAYLIST-TYPE:EVENT\n/);
    assert.doesNotMatch(text, /#EXT-X-ENDLIST/);
    const parser = new Parser();
    parser.push(text);
    parser.end();
    assert.equal(parser.manifest.endList, undefined);
    assert.equal(parser.manifest.playlistType, 'EVENT');
    assert.deepEqual(
      parser.manifest.segments.map((s) => s.uri),
      ['seg_00001.m4s', 'seg_00002.m4s'],
    );
    // The VOD playlist (the default) is unchanged.
    assert.match(mediaPlaylist(video), /#EXT-X-PLAYLIST-TYPE:VOD\n[\s\S]*#EXT-X-ENDLIST\n$/);
  });

  it('writes a dynamic DASH manifest of the prefix that the DASH parser reads', () => {
    const dynamic = { availabilityStartTime: '2026-12-07T15:00:00.000Z', publishTime: '2026-12-07T15:00:09.000Z', minimumUpdatePeriod: 2 };
    const mpd = dashManifest(prefixIndex(ladder, 3), dynamic);
    assert.match(mpd, /type="dynamic" availabilityStartTime="2026-12-07T15:00:00.000Z" publishTime="2026-12-07T15:00:09.000Z"/);
    assert.match(mpd, /minimumUpdatePeriod="PT2\.000S"/);
    assert.doesNotMatch(mpd, /mediaPresentationDuration/);
    assert.match(mpd, /<S t="2048" d="24576" r="2"\/>/);
    const parsed = parseMpd(mpd, { manifestUri: 'http://127.0.0.1/manifest.mpd' }) as { playlists: Array<{ segments: unknown[] }> };
    assert.equal(parsed.playlists[0]!.segments.length, 3);
    assert.match(dashManifest(ladder), /type="static"/);
  });
});

/** An ISO BMFF box. */
function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length + 8, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

/** One fragment as ffmpeg writes it (default-base-is-moof, one trun stating every sample), mdat filled with `fill`. */
function fragment(base: number, samples: Array<{ size: number; sync: boolean; cts: number }>, fill: number): Buffer {
  const u32 = (...n: number[]) => Buffer.concat(n.map((x) => Buffer.from([x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255])));
  const tfdt = Buffer.alloc(12);
  tfdt.writeUInt32BE(1 << 24, 0);
  tfdt.writeBigUInt64BE(BigInt(base), 4);
  const build = (offset: number) =>
    box(
      'moof',
      box('mfhd', u32(0, 1)),
      box(
        'traf',
        box('tfhd', u32(0x020000, 1)),
        box('tfdt', tfdt),
        box('trun', u32(0xf01, samples.length, offset), ...samples.map((s) => u32(512, s.size, s.sync ? 0x02000000 : 0x01010000, s.cts))),
      ),
    );
  const moof = build(build(0).length + 8);
  const data = Buffer.concat(samples.map((s, i) => Buffer.alloc(s.size, fill + i)));
  return Buffer.concat([moof, box('mdat', data)]);
}

describe('the I-frame playlist', () => {
  const init: InitInfo = { timescale: 12288, codecs: 'avc1.640015', sampleEntry: 'avc1', defaults: { duration: 0, size: 0, flags: 0 } };
  const a = fragment(
    24576,
    [
      { size: 100, sync: true, cts: 1024 },
      { size: 30, sync: false, cts: 2048 },
      { size: 20, sync: false, cts: 0 },
    ],
    1,
  );
  const b = fragment(
    24576 + 1536,
    [
      { size: 80, sync: true, cts: 1024 },
      { size: 10, sync: false, cts: 1024 },
    ],
    10,
  );
  const segment = Buffer.concat([a, b]);

  it("finds each keyframe's range: its fragment's moof through its own sample, read back from the bytes", () => {
    const ranges = keyframeRanges(segment, init);
    assert.deepEqual(
      ranges.map((r) => [r.offset, r.time]),
      [
        [0, 24576 + 1024],
        [a.length, 24576 + 1536 + 1024],
      ],
    );
    for (const [k, r] of ranges.entries()) {
      const bytes = segment.subarray(r.offset, r.offset + r.length);
      const moof = readBoxes(segment, r.offset)[0]!;
      assert.equal(moof.type, 'moof', 'the range starts on the moof');
      assert.ok(moof.end < r.offset + r.length);
      // It ends on the keyframe's last byte: the mdat's first sample, whole, and nothing of the next one.
      const size = k === 0 ? 100 : 80;
      const fill = k === 0 ? 1 : 10;
      assert.deepEqual([...bytes.subarray(bytes.length - size)], Array(size).fill(fill));
      assert.equal(segment.readUInt32BE(r.offset + r.length - size - 8 + 4), 0x6d646174, 'mdat right before the keyframe');
    }
  });

  it('writes one entry per keyframe, lasting to the next one, and a master line that parsers take', () => {
    const v: RenditionIndex = {
      ...video,
      presentationOffset: 0,
      segments: [
        { ...seg(0, 0, 24576, 1), keyframes: [{ offset: 0, length: 500, time: 0 }] },
        {
          ...seg(1, 24576, 24576, 1),
          keyframes: [
            { offset: 900, length: 300, time: 36864 },
            { offset: 0, length: 400, time: 24576 },
          ],
        },
      ],
    };
    const entries = iframeEntries(v);
    assert.deepEqual(
      entries.map((e) => [e.file, e.offset, e.length, e.seconds]),
      [
        ['seg_00001.m4s', 0, 500, 2],
        ['seg_00002.m4s', 0, 400, 1],
        ['seg_00002.m4s', 900, 300, 1],
      ],
    );
    const text = iframePlaylist(v, entries);
    assert.match(text, /#EXT-X-I-FRAMES-ONLY\n/);
    assert.match(text, /#EXTINF:1\.000000,\n#EXT-X-BYTERANGE:300@900\nseg_00002\.m4s\n#EXT-X-ENDLIST\n$/);
    const p = new Parser();
    p.push(text);
    p.end();
    assert.deepEqual(
      p.manifest.segments.map((s) => [s.byterange?.offset, s.byterange?.length]),
      [
        [0, 500],
        [0, 400],
        [900, 300],
      ],
    );
    const line = iframeStreamInf(v, entries);
    assert.equal(
      line,
      '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=3200,AVERAGE-BANDWIDTH=2400,CODECS="avc1.640015",RESOLUTION=320x180,URI="v180/iframes.m3u8"',
    );
    const m = new Parser();
    m.push(masterPlaylist({ ...ladder, video: [v] }, [line]));
    m.end();
    assert.equal(m.manifest.playlists!.length, 1, 'the I-frame stream is no variant to play');
    assert.equal((m.manifest as any).iFramePlaylists[0].uri, 'v180/iframes.m3u8');
    // A rendition from manifests without keyframes (a task made before them) gets no I-frame playlist.
    assert.deepEqual(iframeEntries(video), []);
  });
});

describe('--publish-early', () => {
  it('shows when the first prefix was playable, in the summary and status', () => {
    assert.deepEqual(firstPlayableText({ firstPlayableMs: 4210, totalMs: 31_000 }), ['first playable after 4.2 s of 31.0 s']);
    assert.deepEqual(firstPlayableText({ totalMs: 31_000 }), []);
    assert.deepEqual(firstPlayableText(undefined), []);
  });

  it('is taken for a ladder and refused in one line for a single file', () => {
    assert.equal(parseTranscodeOptions({ publishEarly: true }, '/o/master.m3u8').publishEarly, true);
    assert.equal(parseTranscodeOptions({}, '/o/master.m3u8').publishEarly, undefined);
    assert.throws(
      () => parseTranscodeOptions({ publishEarly: true }, '/o/out.mp4'),
      (e: Error) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, /^--publish-early needs an HLS output/);
        assert.doesNotMatch(e.message, /\n/);
        return true;
      },
    );
  });
});
