/**
 * The ladder's pure parts: rungs (parsing, defaults, never upscaled, sizes), media-segment starts, tasks of
 * whole media segments, the timeline, and the playlists written from measured segments.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shiftWebvtt } from '../../src/core/webvtt.js';
import { buildLadderAudioArgs } from '../../src/core/ladder-args.js';
import { Parser } from 'm3u8-parser';
import { UsageError } from '../../src/core/errors.js';
import {
  defaultCapKbps,
  ladderTimeline,
  mediaSegmentStarts,
  parseLadderRungs,
  planLadderTasks,
  resolveRungs,
  rungSize,
} from '../../src/core/ladder.js';
import {
  bitratesOf,
  dashManifest,
  dashPeriodStart,
  masterPlaylist,
  mediaPlaylist,
  targetDuration,
  type LadderIndex,
  type RenditionIndex,
} from '../../src/core/playlists.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import type { MediaAnalysis, StreamInfo } from '../../src/core/types.js';
import { retimeVideo } from '../../src/app/outputs/ladder/ladder-task.js';
import type { FragmentInfo } from '../../src/core/fmp4.js';

const landscape = { width: 1280, height: 720, rotation: 0 };

describe('ladder rungs', () => {
  it('parses heights with optional caps, highest first, with the built-in table where none is given', () => {
    assert.deepEqual(parseLadderRungs('480,720:3500k,360:1M', 'h264'), [
      { height: 720, maxrateKbps: 3500 },
      { height: 480, maxrateKbps: 1500 },
      { height: 360, maxrateKbps: 1000 },
    ]);
    assert.equal(parseLadderRungs(undefined, 'h264'), undefined);
    assert.equal(defaultCapKbps(1080, 'hevc'), 3600);
    // Between rows the cap is interpolated; below the table it scales with the area.
    assert.equal(defaultCapKbps(600, 'h264'), 2250);
    assert.equal(defaultCapKbps(180, 'h264'), 200);
  });

  it('refuses bad specs in one line', () => {
    for (const bad of ['', '720,720', '721', 'abc', '720:fast', '720:10']) {
      assert.throws(() => parseLadderRungs(bad, 'h264'), UsageError, bad);
    }
  });

  it('defaults to the source size and the standard rungs below it, and never upscales', () => {
    assert.deepEqual(
      resolveRungs({ rungs: [], segmentSeconds: 4, dash: false }, landscape, 'h264').rungs.map((r) => r.height),
      [720, 480, 360],
    );
    assert.deepEqual(
      resolveRungs({ rungs: [], segmentSeconds: 4, dash: false }, { width: 3026, height: 1386, rotation: 0 }, 'h264').rungs.map(
        (r) => r.height,
      ),
      [1386, 1080, 720, 480, 360],
    );
    const asked = resolveRungs({ rungs: parseLadderRungs('1080,720,480', 'h264')!, segmentSeconds: 4, dash: false }, landscape, 'h264');
    assert.deepEqual(
      asked.rungs.map((r) => r.height),
      [720, 480],
    );
    assert.deepEqual(asked.dropped, [1080]);
    assert.throws(
      () => resolveRungs({ rungs: parseLadderRungs('1080', 'h264')!, segmentSeconds: 4, dash: false }, landscape, 'h264'),
      /never upscaled/,
    );
  });

  it('sizes a rung on the short side, keeping the displayed aspect ratio, even', () => {
    assert.deepEqual(rungSize(landscape, 480), { width: 854, height: 480 });
    assert.deepEqual(rungSize({ width: 720, height: 1280, rotation: 0 }, 360), { width: 360, height: 640 });
    // A rotated phone video is displayed portrait: the decoder turns it before the scale.
    assert.deepEqual(rungSize({ width: 1280, height: 720, rotation: 90 }, 360), { width: 360, height: 640 });
  });

  it('takes a ladder only for an .m3u8 output, with h264 or hevc, and no --width/--height, copy audio or quality report', () => {
    const o = parseTranscodeOptions({ ladder: '720,480', dash: true, segmentDuration: '6' }, '/x/master.m3u8');
    assert.deepEqual(o.profile.ladder, {
      rungs: [
        { height: 720, maxrateKbps: 3000 },
        { height: 480, maxrateKbps: 1500 },
      ],
      segmentSeconds: 6,
      dash: true,
    });
    assert.equal(o.profile.container, 'mp4');
    assert.equal(o.profile.audioCodec, 'aac');
    assert.throws(() => parseTranscodeOptions({ ladder: '720' }, '/x/out.mp4'), /needs an HLS output/);
    assert.throws(() => parseTranscodeOptions({ dash: true }, '/x/out.mkv'), /needs an HLS output/);
    assert.throws(() => parseTranscodeOptions({ videoCodec: 'vp9' }, '/x/master.m3u8'), /h264 or hevc/);
    assert.throws(() => parseTranscodeOptions({ height: '720' }, '/x/master.m3u8'), /--ladder/);
    assert.throws(() => parseTranscodeOptions({ audioCodec: 'copy' }, '/x/master.m3u8'), /copy/);
    assert.throws(() => parseTranscodeOptions({ qualityReport: true }, '/x/master.m3u8'), /quality-report/);
    assert.throws(() => parseTranscodeOptions({ segmentDuration: '0.5' }, '/x/master.m3u8'), /from 1 to 30/);
  });
});

describe('media segments and tasks', () => {
  const cfr = Array.from({ length: 240 }, (_, i) => i / 24);

  it('starts a media segment at the first frame at or after each multiple of the duration', () => {
    assert.deepEqual(mediaSegmentStarts(cfr, 4), [0, 96, 192]);
    // VFR: a gap longer than a segment gives no empty segment.
    assert.deepEqual(mediaSegmentStarts([0, 1, 2, 9.5, 10, 11, 12.5], 4), [0, 3, 6]);
    // ffprobe's µs rounding does not move a start by a frame.
    assert.deepEqual(mediaSegmentStarts([0, 1.9999995, 4.0000001], 2), [0, 1, 2]);
  });

  it('groups whole media segments into tasks: evenly, at least one per worker, longest first', () => {
    const starts = mediaSegmentStarts(cfr, 1);
    const { plan, media } = planLadderTasks({
      frameTimes: cfr,
      keyframeIndices: [0],
      lastFrameDuration: 1 / 24,
      starts,
      segmentSeconds: 1,
      targetSeconds: 3,
      workers: 2,
    });
    assert.equal(plan.segments.length, 3);
    assert.deepEqual(
      plan.segments.map((s) => [s.startFrame, s.frameCount]),
      [
        [0, 72],
        [72, 72],
        [144, 96],
      ],
    );
    assert.deepEqual(
      media.map((m) => m.first),
      [0, 3, 6],
    );
    assert.deepEqual(media[2]!.starts, [0, 24, 48, 72]);
    assert.deepEqual(plan.encodeOrder, [2, 0, 1]);
    assert.equal(plan.totalFrames, 240);
    const few = planLadderTasks({
      frameTimes: cfr,
      keyframeIndices: [0],
      lastFrameDuration: 1 / 24,
      starts,
      segmentSeconds: 1,
      targetSeconds: 60,
      workers: 4,
    });
    assert.equal(few.plan.segments.length, 4);
  });

  it('fixes a timeline that covers the reorder delay anywhere in the source and the audio priming', () => {
    const analysis = {
      startTime: 0,
      audio: [{ index: 1, type: 'audio', codec: 'aac', sampleRate: 48000, startTime: 0 }],
      video: { frameTimes: [0, 0.5, 0.6, 0.7, 0.8, 3.0, 3.1], lastFrameDuration: 0.1 },
    } as unknown as MediaAnalysis;
    const aac = parseTranscodeOptions({}, '/x/master.m3u8').profile;
    assert.deepEqual(ladderTimeline(analysis, aac), { timelineStart: 2.5, decodeLead: 2.5, audioPads: [0] });
    const cfrAnalysis = { ...analysis, video: { frameTimes: cfr, lastFrameDuration: 1 / 24 } } as unknown as MediaAnalysis;
    assert.deepEqual(ladderTimeline(cfrAnalysis, aac), { timelineStart: 0.166667, decodeLead: 0.166667, audioPads: [0] });
    const silent = {
      ...cfrAnalysis,
      audio: [{ index: 1, type: 'audio', codec: 'aac', sampleRate: 8000, startTime: 0 }],
    } as unknown as MediaAnalysis;
    assert.equal(ladderTimeline(silent, aac).timelineStart, 0.166667);
    const late = { ...cfrAnalysis, video: { frameTimes: cfr.slice(0, 3), lastFrameDuration: 1 / 24 } } as unknown as MediaAnalysis;
    assert.equal(ladderTimeline(late, aac).decodeLead, 0.125);
    // Audio that begins 62 ms after the video's first frame (the corpus MKV's AC3) gets 62 ms of silence before it,
    // so its rendition begins with the video's; audio that leads the video gets none.
    const lateAudio = { ...cfrAnalysis, audio: [{ index: 1, type: 'audio', codec: 'ac3', sampleRate: 48000, startTime: 0.062 }] };
    assert.deepEqual(ladderTimeline(lateAudio as unknown as MediaAnalysis, aac).audioPads, [0.062]);
    const leading = { ...cfrAnalysis, video: { frameTimes: cfr.map((x) => x + 0.003), lastFrameDuration: 1 / 24 } };
    assert.deepEqual(ladderTimeline(leading as unknown as MediaAnalysis, aac).audioPads, [0]);
  });
});

describe('playlists from measured segments', () => {
  const seg = (number: number, start: number, duration: number, bytes: number) => ({
    number,
    file: `seg_${String(number + 1).padStart(5, '0')}.m4s`,
    start,
    duration,
    bytes,
    frames: 1,
  });
  const video: RenditionIndex = {
    kind: 'video',
    name: 'v720',
    timescale: 1000,
    codecs: 'avc1.64001f',
    width: 1280,
    height: 720,
    init: 'init.mp4',
    segments: [seg(0, 0, 4000, 1_000_000), seg(1, 4000, 4000, 500_000), seg(2, 8000, 1500, 100_000)],
  };
  const audio: RenditionIndex = {
    kind: 'audio',
    name: 'a0',
    timescale: 48000,
    codecs: 'mp4a.40.2',
    channels: 2,
    sampleRate: 48000,
    language: 'eng',
    init: 'init.mp4',
    segments: [seg(0, 0, 192000, 64_000), seg(1, 192000, 240000, 64_000)],
  };
  const ladder: LadderIndex = {
    video: [video],
    audio: [audio],
    subtitles: [{ name: 's0', file: 'subtitles.vtt', durationSeconds: 9.5, language: 'eng' }],
    frameRate: 23.976,
    timelineStart: 0.1,
  };

  it('measures peak over one segment and average over all', () => {
    assert.deepEqual(bitratesOf(video), { peak: 2_000_000, average: Math.ceil((1_600_000 * 8) / 9.5), bytes: 1_600_000, seconds: 9.5 });
  });

  it('takes the peak over runs of 0.5-1.5 target durations, so a one-frame last segment does not set it', () => {
    const tail: RenditionIndex = { ...video, segments: [seg(0, 0, 4000, 1_000_000), seg(1, 4000, 40, 60_000)] };
    assert.equal(bitratesOf(tail).peak, Math.ceil((1_060_000 * 8) / 4.04));
  });

  it('follows the TARGETDURATION rule: every EXTINF rounded is at most it', () => {
    assert.equal(targetDuration([4.0, 4.49, 1]), 4);
    assert.equal(targetDuration([4.5]), 5);
    const p = new Parser();
    p.push(mediaPlaylist(video));
    p.end();
    assert.equal(p.manifest.targetDuration, 4);
    assert.deepEqual(
      p.manifest.segments.map((s) => s.duration),
      [4, 4, 1.5],
    );
  });

  it('writes a master playlist whose BANDWIDTH adds the audio peak and whose CODECS name both', () => {
    const p = new Parser();
    p.push(masterPlaylist(ladder));
    p.end();
    const v = p.manifest.playlists![0]!;
    assert.equal(v.attributes.BANDWIDTH, 2_000_000 + bitratesOf(audio).peak);
    assert.equal(v.attributes.CODECS, 'avc1.64001f,mp4a.40.2');
    assert.equal(v.attributes['FRAME-RATE'], 23.976);
    assert.ok(p.manifest.mediaGroups?.SUBTITLES?.subs);
  });

  it('writes a DASH SegmentTimeline with repeats, and a t where the times do not run on', () => {
    const mpd = dashManifest(ladder);
    assert.match(mpd, /<S t="0" d="4000" r="1"\/><S d="1500"\/>/);
    // The video's first frame at 0: the period starts there, no offset to take off.
    assert.doesNotMatch(mpd, /presentationTimeOffset/);
    assert.match(mpd, /mediaPresentationDuration="PT9\.500S"/);
    const gap = dashManifest({ ...ladder, video: [{ ...video, segments: [seg(0, 0, 4000, 1), seg(1, 4100, 4000, 1)] }] });
    assert.match(gap, /<S t="0" d="4000"\/><S t="4100" d="4000"\/>/);
  });

  it("starts the DASH period on the video's first frame: no hole before it, no keyframe cut off", () => {
    // bbb's webm: the video begins 3 ms after the audio; the ladder moves both 0.1667 s later, the AAC priming
    // plays 23 ms before the audio's start. dash.js never started over the 3 ms hole of the video.
    const v: RenditionIndex = {
      ...video,
      timescale: 16000,
      presentationOffset: 2656,
      segments: [seg(0, 64, 64000, 1), seg(1, 64064, 31984, 1)],
    };
    const a: RenditionIndex = { ...audio, timescale: 44100, segments: [seg(0, 6341, 177158, 1), seg(1, 183499, 84799, 1)] };
    const webm: LadderIndex = { ...ladder, video: [v], audio: [a], subtitles: [], timelineStart: 0.166667 };
    assert.equal(dashPeriodStart(webm), 2720 / 16000);
    const mpd = dashManifest(webm);
    assert.match(mpd, /timescale="16000" presentationTimeOffset="2720"/);
    assert.match(mpd, /timescale="44100" presentationTimeOffset="7497"/);
    assert.match(mpd, /mediaPresentationDuration="PT5\.999S"/);
    // Audio that begins after the video (the corpus MKV's AC3, 62 ms late) does not move the period: cutting
    // the video's first frames off would cut its keyframe.
    const late: LadderIndex = { ...webm, audio: [{ ...a, segments: [seg(0, 7620, 177158, 1)] }] };
    assert.equal(dashPeriodStart(late), 2720 / 16000);
    assert.equal(dashPeriodStart({ video: [], timelineStart: 0.1 }), 0.1);
  });

  it('puts the planned silence before a late audio track, before Opus picks its channel layout', () => {
    const audio = [{ index: 1, type: 'audio', codec: 'ac3' } as StreamInfo];
    const base = { sourceLocation: '/in.mkv', audio, segmentSeconds: 4, outputPaths: ['/a0.mp4'] };
    const aac = parseTranscodeOptions({}, '/x/master.m3u8').profile;
    const af = (args: string[]) => (args.includes('-af') ? args[args.indexOf('-af') + 1] : undefined);
    assert.equal(af(buildLadderAudioArgs({ ...base, profile: aac, pads: [0.062] })), 'adelay=delays=62:all=1');
    assert.equal(af(buildLadderAudioArgs({ ...base, profile: aac, pads: [0] })), undefined);
    assert.equal(
      af(buildLadderAudioArgs({ ...base, profile: { ...aac, audioCodec: 'opus' }, pads: [0.062] })),
      'adelay=delays=62:all=1,aformat=channel_layouts=7.1|5.1|stereo|mono',
    );
  });

  it('moves WebVTT cues for the DASH period: a cue over the start is clipped, one before it dropped', () => {
    const vtt =
      'WEBVTT\n\n00:00.000 --> 00:00.002\ngone\n\n1\n00:00.000 --> 00:01.234 line:90%\nfirst\n\n01:00:02.500 --> 01:00:03.000\nlate\n';
    assert.equal(
      shiftWebvtt(vtt, -0.0033),
      'WEBVTT\n\n1\n00:00.000 --> 00:01.231 line:90%\nfirst\n\n01:00:02.497 --> 01:00:02.997\nlate\n',
    );
    assert.equal(shiftWebvtt(vtt, 0), vtt);
  });
});

describe('retimeVideo: decode times set anew for a task', () => {
  /** One fragment of samples given as [decode duration, composition offset] in decode order. */
  const fragment = (samples: Array<[number, number]>): FragmentInfo => ({
    start: 0,
    end: 0,
    baseDecodeTime: 0,
    firstIsSync: true,
    samples: samples.map(([duration, cts]) => ({ duration, cts, size: 1, flags: 0 })),
  });
  const shown = (timed: ReturnType<typeof retimeVideo>, f: FragmentInfo): number[] => {
    const { samples, base } = timed.get(f)!;
    let d = base;
    return samples.map((s) => {
      const p = d + s.cts;
      d += s.duration;
      return p;
    });
  };

  it('I P B B at 1000 ticks a frame: decode times step by a frame, the last runs to the next task', () => {
    // Presentation times 1000, 4000, 2000, 3000 (the encoder's lead of 1000), decoded in that order.
    const f = fragment([
      [1000, 1000],
      [1000, 3000],
      [1000, 0],
      [1000, 0],
    ]);
    const timed = retimeVideo([f], 50_000, 1000, 4000);
    assert.deepEqual(
      timed.get(f)!.samples.map((s) => s.duration),
      [1000, 1000, 1000, 1000],
    );
    assert.equal(timed.get(f)!.base, 49_000);
    assert.deepEqual(shown(timed, f), [50_000, 53_000, 51_000, 52_000]);
  });

  it('two frames at one time (a source whose timestamps collide): the later decoded is shown a tick later (regression: a task failed, "sample 2 of the task would last 0 ticks")', () => {
    // Presentation times 1000, 3000, 2000, 2000: the B-frames collide.
    const f = fragment([
      [1000, 1000],
      [1000, 2000],
      [0, 0],
      [1000, -1000 + 1000],
    ]);
    const timed = retimeVideo([f], 0, 1000, 4000);
    const d = timed.get(f)!.samples.map((s) => s.duration);
    assert.ok(
      d.every((x) => x > 0),
      `durations ${d.join(', ')}`,
    );
    const p = shown(timed, f);
    assert.equal(new Set(p).size, 4, `presentation times ${p.join(', ')}`);
    assert.deepEqual(p, [0, 2000, 1000, 1001]);
  });
});
