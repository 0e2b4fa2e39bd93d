/**
 * Table tests for parsing ffprobe output: the packet scan (all streams), the decoded-frame scan, and the
 * analysis built from the stream/format JSON.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { buildAnalysis, parseProbeJson, parseRate } from '../../src/core/probe-parse.js';
import {
  fromFirstDecoded,
  needsFrameScan,
  parseCompact,
  parseFrameScan,
  parsePacketScan,
  type PacketRow,
} from '../../src/core/packet-scan.js';
import { buildFirstDecodedArgs, parseFirstDecoded } from '../../src/core/probe-args.js';

/** One compact packet line as `buildPacketScanArgs` makes ffprobe print it. */
const pkt = (stream: number, pts: string, dts: string, dur: string, flags: string) =>
  `stream_index=${stream}|pts_time=${pts}|dts_time=${dts}|duration_time=${dur}|flags=${flags}`;

describe('parseCompact', () => {
  it('key=value records, one per line; blank lines and CRLF ignored; "=" inside values kept', () => {
    assert.deepEqual(parseCompact('a=1|b=N/A\r\n\n  c=x=y|d=  \n'), [
      { a: '1', b: 'N/A' },
      { c: 'x=y', d: '' },
    ]);
  });
});

describe('parsePacketScan', () => {
  const cases: Array<{
    name: string;
    lines: string[];
    video: Array<[pts: number, duration: number, key: boolean]>;
    ends?: Array<[number, number]>;
  }> = [
    {
      name: 'keyframe flags, durations, one row per video packet',
      lines: [pkt(0, '0.000000', '-0.066667', '0.033333', 'K__'), pkt(0, '0.033333', '-0.033333', '0.033333', '___')],
      video: [
        [0, 0.033333, true],
        [0.033333, 0.033333, false],
      ],
    },
    {
      name: 'discarded packets (flag D) are dropped',
      lines: [
        pkt(0, '-0.040000', '-0.040000', '0.040000', '_D_'),
        pkt(0, '0.000000', '0.000000', '0.040000', 'KD_'),
        pkt(0, '0.040000', '0.040000', '0.040000', 'K__'),
      ],
      video: [[0.04, 0.04, true]],
    },
    {
      name: 'dts used where pts is N/A',
      lines: [pkt(0, 'N/A', '0.000000', '0.040000', 'K__'), pkt(0, 'N/A', '0.040000', '0.040000', '___')],
      video: [
        [0, 0.04, true],
        [0.04, 0.04, false],
      ],
    },
    {
      name: 'neither pts nor dts: the packet is skipped',
      lines: [pkt(0, 'N/A', 'N/A', '0.040000', 'K__'), pkt(0, '0.040000', '0.040000', '0.040000', '___')],
      video: [[0.04, 0.04, false]],
    },
    {
      name: 'B-frames in decode order are sorted by pts',
      lines: [
        pkt(0, '0.000000', '-0.080000', '0.040000', 'K__'),
        pkt(0, '0.160000', '-0.040000', '0.040000', '___'),
        pkt(0, '0.080000', '0.000000', '0.040000', '___'),
        pkt(0, '0.040000', '0.040000', '0.040000', '___'),
        pkt(0, '0.120000', '0.080000', '0.040000', '___'),
      ],
      video: [
        [0, 0.04, true],
        [0.04, 0.04, false],
        [0.08, 0.04, false],
        [0.12, 0.04, false],
        [0.16, 0.04, false],
      ],
    },
    {
      name: 'duplicate timestamps are nudged a microsecond apart, in order',
      lines: [
        pkt(0, '1.000000', '1.000000', '0.040000', 'K__'),
        pkt(0, '1.000000', '1.000000', '0.040000', '___'),
        pkt(0, '1.000000', '1.000000', '0.040000', '___'),
        pkt(0, '1.040000', '1.040000', '0.040000', '___'),
      ],
      video: [
        [1, 0.04, true],
        [1.000001, 0.04, false],
        [1.000002, 0.04, false],
        [1.04, 0.04, false],
      ],
    },
    {
      name: 'missing duration counts as 0',
      lines: [pkt(0, '0.000000', '0.000000', 'N/A', 'K__'), 'stream_index=0|pts_time=0.5|dts_time=0.5|flags=___'],
      video: [
        [0, 0, true],
        [0.5, 0, false],
      ],
    },
    {
      name: 'other streams: only their end (last pts + duration) is kept, discarded packets ignored',
      lines: [
        pkt(1, '-0.021333', '-0.021333', '0.021333', 'K__'),
        pkt(0, '0.000000', '0.000000', '0.040000', 'K__'),
        pkt(1, '0.000000', '0.000000', '0.021333', 'K__'),
        pkt(1, '0.021333', '0.021333', '0.021333', 'K__'),
        pkt(2, '5.000000', '5.000000', '2.000000', 'K__'),
        pkt(2, '1.000000', '1.000000', '1.000000', 'K__'),
        pkt(1, '9.000000', '9.000000', '1.000000', '_D_'),
      ],
      video: [[0, 0.04, true]],
      ends: [
        [1, 0.042666],
        [2, 7],
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const scan = parsePacketScan(c.lines.join('\n') + '\n', 0);
      assert.equal(scan.video.length, c.video.length, 'video rows');
      scan.video.forEach((r, i) => {
        const [pts, duration, key] = c.video[i]!;
        assert.ok(Math.abs(r.pts - pts) < 1e-9, `row ${i} pts ${r.pts}, expected ${pts}`);
        assert.equal(r.duration, duration, `row ${i} duration`);
        assert.equal(r.key, key, `row ${i} key`);
      });
      const ends = [...scan.streamEnds.entries()].sort((a, b) => a[0] - b[0]);
      assert.equal(ends.length, (c.ends ?? []).length, 'streams with ends');
      ends.forEach(([idx, end], i) => {
        assert.equal(idx, c.ends![i]![0]);
        assert.ok(Math.abs(end - c.ends![i]![1]) < 1e-9, `stream ${idx} end ${end}`);
      });
    });
  }

  it('selects the video stream by index, not by position', () => {
    const scan = parsePacketScan(
      [pkt(0, '0.0', '0.0', '0.02', 'K__'), pkt(3, '0.0', '0.0', '0.04', 'K__'), pkt(3, '0.04', '0.04', '0.04', '___')].join('\n'),
      3,
    );
    assert.deepEqual(
      scan.video.map((r) => r.pts),
      [0, 0.04],
    );
    assert.deepEqual([...scan.streamEnds], [[0, 0.02]]);
  });

  it('empty output: no rows', () => {
    const scan = parsePacketScan('', 0);
    assert.deepEqual(scan.video, []);
    assert.equal(scan.streamEnds.size, 0);
  });
});

describe('parseFrameScan', () => {
  it('best-effort timestamps, key_frame flags, duration from duration_time or pkt_duration_time; sorted and nudged', () => {
    const text = [
      'best_effort_timestamp_time=0.066000|pkt_duration_time=0.033000|duration_time=N/A|key_frame=0',
      'best_effort_timestamp_time=0.000000|pkt_duration_time=0.033000|duration_time=0.033000|key_frame=1',
      'best_effort_timestamp_time=N/A|pkt_duration_time=0.033000|key_frame=0',
      'best_effort_timestamp_time=0.033000|pkt_duration_time=N/A|duration_time=N/A|key_frame=0',
      'best_effort_timestamp_time=0.033000|pkt_duration_time=0.033000|key_frame=0',
    ].join('\n');
    const rows = parseFrameScan(text);
    assert.deepEqual(
      rows.map((r) => r.key),
      [true, false, false, false],
    );
    assert.deepEqual(
      rows.map((r) => r.duration),
      [0.033, 0, 0.033, 0.033],
    );
    const pts = rows.map((r) => r.pts);
    assert.deepEqual([pts[0], pts[1], pts[3]], [0, 0.033, 0.066]);
    assert.ok(Math.abs(pts[2]! - 0.033001) < 1e-9, 'duplicate nudged by 1 µs');
  });

  it('times the frames a decoder flushes at the end (no timestamp) a frame after the one before, as ffmpeg does', () => {
    // An AVI with B-frames: ffprobe gives the last decoded frame no time; ffmpeg's output has it at 4.00 s.
    const text = [
      'best_effort_timestamp_time=N/A|pkt_duration_time=0.040000|key_frame=1',
      'best_effort_timestamp_time=3.920000|pkt_duration_time=0.040000|key_frame=0',
      'best_effort_timestamp_time=3.960000|pkt_duration_time=0.040000|key_frame=0',
      'best_effort_timestamp_time=N/A|pkt_duration_time=0.040000|key_frame=0',
    ].join('\n');
    assert.deepEqual(
      parseFrameScan(text).map((r) => Number(r.pts.toFixed(6))),
      [3.92, 3.96, 4],
    );
  });
});

describe('parsePacketScan: decode times only', () => {
  it('counts the video packets with no presentation time (AVI), which send the analysis to decoding', () => {
    const text = [
      'stream_index=0|pts_time=N/A|dts_time=0.000000|duration_time=0.040000|size=900|flags=K_',
      'stream_index=0|pts_time=0.080000|dts_time=0.040000|duration_time=0.040000|size=300|flags=__',
      'stream_index=0|pts_time=N/A|dts_time=0.080000|duration_time=0.040000|size=200|flags=__',
      'stream_index=1|pts_time=N/A|dts_time=0.000000|duration_time=0.026000|size=100|flags=K_',
    ].join('\n');
    assert.equal(parsePacketScan(text, 0).videoWithoutPts, 2);
    assert.equal(parsePacketScan(text.replace(/pts_time=N\/A/g, 'pts_time=0.000000'), 0).videoWithoutPts, undefined);
  });
});

describe('needsFrameScan', () => {
  const cases: Array<[codec: string, fieldOrder: string | undefined, expected: boolean]> = [
    ['vp8', undefined, true],
    ['vp9', 'progressive', true],
    ['h264', undefined, false],
    ['h264', 'progressive', false],
    ['h264', 'unknown', false],
    ['h264', 'tt', true],
    ['h264', 'bb', true],
    ['mpeg2video', 'tt', false],
    ['hevc', undefined, false],
    ['av1', undefined, false],
  ];
  for (const [codec, fieldOrder, expected] of cases) {
    it(`${codec} ${fieldOrder ?? '(no field order)'} → ${expected}`, () => assert.equal(needsFrameScan(codec, fieldOrder), expected));
  }
});

describe('parseRate and parseProbeJson', () => {
  const rates: Array<[string | undefined, number]> = [
    ['30/1', 30],
    ['30000/1001', 30000 / 1001],
    ['25', 25],
    ['0/0', 0],
    [undefined, 0],
    ['', 0],
    ['abc', 0],
  ];
  for (const [rate, expected] of rates)
    it(`parseRate(${JSON.stringify(rate)}) = ${expected}`, () => assert.equal(parseRate(rate), expected));

  it('not JSON → InputError', () => {
    assert.throws(() => parseProbeJson('Invalid data found when processing input'), InputError);
  });
});

// ---------------------------------------------------------------------------------------------------------
// buildAnalysis

type Stream = Record<string, unknown> & { index: number };
const h264 = (extra: Record<string, unknown> = {}): Stream => ({
  index: 0,
  codec_type: 'video',
  codec_name: 'h264',
  width: 1280,
  height: 720,
  pix_fmt: 'yuv420p',
  r_frame_rate: '25/1',
  avg_frame_rate: '25/1',
  time_base: '1/12800',
  duration: '4.000000',
  ...extra,
});
const aacStream: Stream = {
  index: 1,
  codec_type: 'audio',
  codec_name: 'aac',
  channels: 2,
  sample_rate: '48000',
  start_time: '0.000000',
  duration: '4.010000',
  tags: { language: 'eng' },
};

function cfrRows(n: number, fps = 25, start = 0, keyEvery = 25): PacketRow[] {
  return Array.from({ length: n }, (_, i) => ({ pts: start + i / fps, duration: 1 / fps, key: i % keyEvery === 0 }));
}

function analyze(
  streams: Stream[],
  rows: PacketRow[] = cfrRows(100),
  format: Record<string, string> = { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', start_time: '0.000000', duration: '4.000000' },
  ends?: Map<number, number>,
) {
  return buildAnalysis({ streams: streams, format }, rows, 1234, ends);
}

describe('buildAnalysis: unusable sources', () => {
  const cases: Array<[name: string, streams: Stream[], rows: PacketRow[], message: RegExp]> = [
    ['audio-only file', [aacStream, { ...aacStream, index: 2 }], cfrRows(10), /no video stream \(audio-only files are not supported\)/],
    ['no streams at all', [], cfrRows(10), /no video stream$/],
    ['only cover art', [{ ...h264(), codec_name: 'mjpeg', disposition: { attached_pic: 1 } }, aacStream], cfrRows(10), /audio-only/],
    ['no video packets', [h264()], [], /no readable video frames/],
    [
      'truncated: stream says 60 s, 4 s readable',
      [h264({ duration: '60.000000' })],
      cfrRows(100),
      /truncated or damaged.*60\.00 s.*4\.00 s/,
    ],
  ];
  for (const [name, streams, rows, message] of cases) {
    it(`${name} → InputError`, () => {
      assert.throws(
        () => analyze(streams, rows),
        (err: unknown) => err instanceof InputError && message.test(err.message),
      );
    });
  }

  it('a declared duration up to 10% (+1 s) longer than what is readable is accepted', () => {
    assert.doesNotThrow(() => analyze([h264({ duration: '5.400000' })], cfrRows(100)));
  });

  it('packets read before the first frame that decodes count as read (a source begun mid-GOP is not truncated)', () => {
    // 3.36 s of packets from 1.463 s, the first 1.36 s undecodable: 2 s of frames from the stream's start + 1.36.
    const rows = fromFirstDecoded(
      cfrRows(84).map((r) => ({ ...r, pts: r.pts + 1.463 })),
      2.823,
    );
    assert.equal(rows.length, 50);
    assert.doesNotThrow(() => analyze([h264({ duration: '3.360000', start_time: '1.463000' })], rows));
  });
});

describe('the first frame that decodes (a source begun mid-GOP)', () => {
  it('decodes up to the first frame on the source timeline and reads its time', () => {
    const args = buildFirstDecodedArgs('/in.ts', 0);
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    // One frame of the stream, at its source time (no rebase, no frame-rate grid), listed on stdout.
    assert.deepEqual(['-map', '-frames:v', '-vsync', '-enc_time_base', '-f'].map(after), ['0:0', '1', 'passthrough', '-1', 'framecrc']);
    assert.ok(args.includes('-copyts'));
    const out =
      '#software: Lavf59.27.100\n#tb 0: 1/90000\n#media_type 0: video\n0,     254090,     254090,     3600,    28800, 0x19c0fcd2\n';
    assert.equal(parseFirstDecoded(out), 254090 / 90000);
    assert.equal(parseFirstDecoded('#tb 0: 1/90000\n'), undefined, 'no frame decoded');
  });

  it('drops the packets shown before it, keeps it and every later one', () => {
    const rows = cfrRows(10);
    assert.deepEqual(
      fromFirstDecoded(rows, rows[4]!.pts).map((r) => r.pts),
      rows.slice(4).map((r) => r.pts),
    );
    assert.equal(fromFirstDecoded(rows, rows[0]!.pts).length, 10);
  });
});

describe('buildAnalysis: rotation', () => {
  const cases: Array<[name: string, extra: Record<string, unknown>, rotation: number]> = [
    ['none', {}, 0],
    ['display matrix -90 → 270', { side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] }, 270],
    ['display matrix 90 → 90', { side_data_list: [{ side_data_type: 'Display Matrix', rotation: 90 }] }, 90],
    ['display matrix 180 → 180', { side_data_list: [{ side_data_type: 'Display Matrix', rotation: 180 }] }, 180],
    ['display matrix -180 → 180', { side_data_list: [{ side_data_type: 'Display Matrix', rotation: -180 }] }, 180],
    ['display matrix -89.98 rounds to 270', { side_data_list: [{ side_data_type: 'Display Matrix', rotation: -89.98 }] }, 270],
    ['other side data without rotation ignored', { side_data_list: [{ side_data_type: 'CPB properties' }] }, 0],
    ['legacy rotate tag 90 (clockwise) → 270', { tags: { rotate: '90' } }, 270],
    ['legacy rotate tag 180 → 180', { tags: { rotate: '180' } }, 180],
  ];
  for (const [name, extra, rotation] of cases) {
    it(name, () => assert.equal(analyze([h264(extra)]).video.rotation, rotation));
  }
});

describe('buildAnalysis: color', () => {
  const cases: Array<[name: string, extra: Record<string, unknown>, color: Record<string, string>]> = [
    ['nothing reported', {}, {}],
    [
      'unknown and reserved dropped',
      { color_range: 'unknown', color_space: 'unknown', color_transfer: 'reserved', color_primaries: 'unknown' },
      {},
    ],
    [
      'HDR10 kept',
      { color_range: 'tv', color_space: 'bt2020nc', color_transfer: 'smpte2084', color_primaries: 'bt2020' },
      { range: 'tv', space: 'bt2020nc', transfer: 'smpte2084', primaries: 'bt2020' },
    ],
    ['mixed', { color_range: 'pc', color_space: 'unknown', color_primaries: 'bt709' }, { range: 'pc', primaries: 'bt709' }],
  ];
  for (const [name, extra, color] of cases) {
    it(name, () => assert.deepEqual(analyze([h264(extra)]).video.color, color));
  }
});

describe('buildAnalysis: frame rate mode, frame times, last frame duration', () => {
  const vfrRows: PacketRow[] = [0, 0.033, 0.1, 0.133, 0.5, 0.533].map((pts, i) => ({ pts, duration: 0.033, key: i === 0 }));
  const cases: Array<{ name: string; rows: PacketRow[]; mode: 'cfr' | 'vfr'; last: number; keys?: number[]; timeBase?: string }> = [
    { name: 'CFR 25 fps', rows: cfrRows(100), mode: 'cfr', last: 0.04, keys: [0, 25, 50, 75] },
    {
      name: 'NTSC 29.97 in a 1/30000 time base is CFR',
      rows: Array.from({ length: 60 }, (_, i) => ({ pts: (i * 1001) / 30000, duration: 1001 / 30000, key: i === 0 })),
      mode: 'cfr',
      last: 1001 / 30000,
    },
    { name: 'screen recording with pauses is VFR', rows: vfrRows, mode: 'vfr', last: 0.033, keys: [0] },
    { name: 'a single frame is CFR; last duration from its packet', rows: [{ pts: 0, duration: 0.5, key: true }], mode: 'cfr', last: 0.5 },
    {
      name: 'last packet without duration: the median interval',
      rows: [...cfrRows(9), { pts: 0.36, duration: 0, key: false }],
      mode: 'cfr',
      last: 0.04,
    },
    {
      name: 'implausible 1 ms last duration (Matroska): the median interval',
      rows: [...cfrRows(9), { pts: 0.36, duration: 0.001, key: false }],
      mode: 'cfr',
      last: 0.04,
    },
    {
      name: '23.976 fps in a 1 ms time base (41 and 42 ms steps) is CFR',
      rows: Array.from({ length: 48 }, (_, i) => ({ pts: Math.round((i * 1001) / 24) / 1000, duration: 0.042, key: i === 0 })),
      mode: 'cfr',
      last: 0.042,
      timeBase: '1/1000',
    },
    { name: 'a 1 ms time base does not hide a real VFR', rows: vfrRows, mode: 'vfr', last: 0.033, timeBase: '1/1000' },
    {
      name: 'a coarse 1/10 time base cannot make 25 fps with a 2-frame gap CFR',
      rows: [...cfrRows(5), { pts: 0.28, duration: 0.04, key: false }],
      mode: 'vfr',
      last: 0.04,
      timeBase: '1/10',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = analyze([h264({ duration: undefined, ...(c.timeBase ? { time_base: c.timeBase } : {}) })], c.rows);
      assert.equal(a.video.frameRateMode, c.mode);
      assert.ok(Math.abs(a.video.lastFrameDuration - c.last) < 1e-9, `lastFrameDuration ${a.video.lastFrameDuration}`);
      assert.deepEqual(
        a.video.frameTimes,
        c.rows.map((r) => r.pts),
      );
      if (c.keys) assert.deepEqual(a.video.keyframeIndices, c.keys);
    });
  }
});

describe('buildAnalysis: start time, duration, streams', () => {
  it('container start time and duration from the format', () => {
    const a = analyze([h264(), aacStream], cfrRows(100, 25, 1.4), { format_name: 'mpegts', start_time: '1.400000', duration: '4.000000' });
    assert.equal(a.startTime, 1.4);
    assert.equal(a.duration, 4);
    assert.equal(a.durationFromContainer, true);
    assert.equal(a.formatName, 'mpegts');
    assert.equal(a.sizeBytes, 1234);
  });

  it('no container duration: scanned from the last frame end and the container start', () => {
    const a = analyze([h264({ duration: undefined })], cfrRows(100, 25, 0.5), { format_name: 'matroska,webm', start_time: '0.000000' });
    assert.equal(a.durationFromContainer, false);
    assert.ok(Math.abs(a.duration - 4.5) < 1e-9);
  });

  it('no container start: the first frame time', () => {
    const a = analyze([h264({ duration: undefined })], cfrRows(10, 25, -0.08), { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: 'N/A' });
    assert.equal(a.startTime, -0.08);
    assert.equal(a.durationFromContainer, false);
    assert.ok(Math.abs(a.duration - 0.4) < 1e-9);
  });

  it('cover art is skipped: the real video stream is picked, the cover goes to others', () => {
    const cover = { ...h264(), index: 0, codec_name: 'mjpeg', disposition: { attached_pic: 1 } };
    const a = analyze([cover, { ...h264(), index: 1 }, { ...aacStream, index: 2 }]);
    assert.equal(a.video.streamIndex, 1);
    assert.equal(a.video.codec, 'h264');
    assert.deepEqual(
      a.others.map((o) => [o.index, o.type, o.isAttachedPic]),
      [[0, 'data', true]],
    );
  });

  it('audio, subtitle, data and attachment streams are listed with their details; audio end from the scan', () => {
    const a = analyze(
      [
        h264(),
        aacStream,
        { index: 2, codec_type: 'subtitle', codec_name: 'subrip', tags: { language: 'fre' } },
        { index: 3, codec_type: 'data', codec_name: 'bin_data' },
        { index: 4, codec_type: 'attachment', codec_name: 'ttf' },
      ],
      cfrRows(100),
      undefined,
      new Map([[1, 4.021333]]),
    );
    assert.deepEqual(a.audio, [
      {
        index: 1,
        type: 'audio',
        codec: 'aac',
        language: 'eng',
        channels: 2,
        sampleRate: 48000,
        startTime: 0,
        duration: 4.01,
        endTime: 4.021333,
      },
    ]);
    assert.deepEqual(a.subtitles, [{ index: 2, type: 'subtitle', codec: 'subrip', language: 'fre' }]);
    assert.deepEqual(
      a.others.map((o) => [o.index, o.type]),
      [
        [3, 'data'],
        [4, 'attachment'],
      ],
    );
  });

  it('field order kept only when interlaced', () => {
    assert.equal(analyze([h264({ field_order: 'tt' })]).video.fieldOrder, 'tt');
    assert.equal(analyze([h264({ field_order: 'progressive' })]).video.fieldOrder, undefined);
    assert.equal(analyze([h264({ field_order: 'unknown' })]).video.fieldOrder, undefined);
  });
});
