/**
 * Fragmented MP4 (ISO BMFF) as ffmpeg's mp4 muxer writes it with `empty_moov+frag_keyframe+default_base_moof`:
 * the init part (ftyp + moov), then fragments (moof + mdat). Read: what a player needs from the init (timescale,
 * codec string, picture size) and, per fragment, its decode time, samples, duration and whether it starts on a
 * sync sample. Rewrite: a fragment's decode time (`tfdt`), sequence number (`mfhd`) and composition offsets
 * (`trun`), in place (no size changes). Pure: buffers in, buffers out.
 *
 * Over 300 lines: one reader and rewriter of ISO BMFF (fMP4) boxes, the boxes a ladder's playlists need, each a
 * few lines.
 */

export interface Box {
  type: string;
  start: number;
  /** Where the payload starts (after the size and type, and the 64-bit size where there is one). */
  body: number;
  end: number;
}

export class Fmp4Error extends Error {}

export function readBoxes(buf: Buffer, start = 0, end = buf.length): Box[] {
  const out: Box[] = [];
  let off = start;
  while (off + 8 <= end) {
    let size = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    let body = off + 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(off + 8));
      body = off + 16;
    } else if (size === 0) {
      size = end - off;
    }
    if (size < body - off || off + size > end) throw new Fmp4Error(`box ${type} at ${off} runs past the end of its parent`);
    out.push({ type, start: off, body, end: off + size });
    off += size;
  }
  return out;
}

function child(buf: Buffer, parent: Box | undefined, type: string): Box | undefined {
  if (!parent) return undefined;
  return readBoxes(buf, parent.body, parent.end).find((b) => b.type === type);
}

function children(buf: Buffer, parent: Box, type: string): Box[] {
  return readBoxes(buf, parent.body, parent.end).filter((b) => b.type === type);
}

function path(buf: Buffer, from: Box | undefined, ...types: string[]): Box | undefined {
  let b = from;
  for (const t of types) b = child(buf, b, t);
  return b;
}

export interface InitInfo {
  timescale: number;
  /** RFC 6381 codec string (`avc1.64001f`, `hvc1.1.6.L93.B0`, `mp4a.40.2`, `opus`). */
  codecs: string;
  sampleEntry: string;
  width?: number;
  height?: number;
  channels?: number;
  sampleRate?: number;
  defaults: { duration: number; size: number; flags: number };
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

function reverseBits32(n: number): number {
  let r = 0;
  for (let i = 0; i < 32; i++) r = (r << 1) | ((n >>> i) & 1);
  return r >>> 0;
}

/** `hvc1.<space><profile>.<compat reversed>.<tier><level>.<constraints>` from an hvcC box (ISO/IEC 14496-15 E.3). */
function hevcCodecs(entry: string, buf: Buffer, hvcC: Box): string {
  const p = hvcC.body;
  const b1 = buf[p + 1]!;
  const space = ['', 'A', 'B', 'C'][b1 >> 6]!;
  const tier = (b1 >> 5) & 1 ? 'H' : 'L';
  const profile = b1 & 0x1f;
  const compat = reverseBits32(buf.readUInt32BE(p + 2)).toString(16);
  const cons = [...buf.subarray(p + 6, p + 12)];
  while (cons.length > 0 && cons[cons.length - 1] === 0) cons.pop();
  const level = buf[p + 12]!;
  return [`${entry}`, `${space}${profile}`, compat, `${tier}${level}`, ...cons.map((c) => c.toString(16).toUpperCase())].join('.');
}

/** The audio object type in an esds box (`mp4a.40.<aot>`). */
function mp4aCodecs(buf: Buffer, esds: Box | undefined): string {
  if (!esds) return 'mp4a.40.2';
  let p = esds.body + 4;
  const end = esds.end;
  const descriptor = (): { tag: number; len: number; at: number } => {
    const tag = buf[p++]!;
    let len = 0;
    for (let i = 0; i < 4; i++) {
      const b = buf[p++]!;
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return { tag, len, at: p };
  };
  let oti = 0x40;
  while (p < end) {
    const d = descriptor();
    if (d.tag === 0x03) {
      const flags = buf[p + 2]!;
      p += 3 + (flags & 0x80 ? 2 : 0) + (flags & 0x40 ? 1 + buf[p + 3]! : 0) + (flags & 0x20 ? 2 : 0);
    } else if (d.tag === 0x04) {
      oti = buf[p]!;
      p += 13;
    } else if (d.tag === 0x05) {
      const aot = buf[p]! >> 3;
      return `mp4a.${hex2(oti)}.${aot}`;
    } else {
      p = d.at + d.len;
    }
  }
  return `mp4a.${hex2(oti)}.2`;
}

/** Reads the init part (the boxes before the first moof) of a one-track fragmented MP4. */
export function readInit(buf: Buffer): InitInfo {
  const top = readBoxes(buf);
  const moov = top.find((b) => b.type === 'moov');
  if (!moov) throw new Fmp4Error('no moov box: not an MP4 init segment');
  const trak = child(buf, moov, 'trak');
  const mdhd = path(buf, trak, 'mdia', 'mdhd');
  if (!mdhd) throw new Fmp4Error('no mdhd box in the track');
  const timescale = buf.readUInt32BE(mdhd.body + (buf[mdhd.body] === 1 ? 20 : 12));
  const stsd = path(buf, trak, 'mdia', 'minf', 'stbl', 'stsd');
  if (!stsd) throw new Fmp4Error('no stsd box in the track');
  const entry = readBoxes(buf, stsd.body + 8, stsd.end)[0];
  if (!entry) throw new Fmp4Error('no sample entry');
  const trex = path(buf, moov, 'mvex', 'trex');
  const defaults = trex
    ? { duration: buf.readUInt32BE(trex.body + 12), size: buf.readUInt32BE(trex.body + 16), flags: buf.readUInt32BE(trex.body + 20) }
    : { duration: 0, size: 0, flags: 0 };
  const info: InitInfo = { timescale, codecs: entry.type, sampleEntry: entry.type, defaults };
  if (['avc1', 'avc3', 'hvc1', 'hev1', 'vp09', 'av01'].includes(entry.type)) {
    info.width = buf.readUInt16BE(entry.body + 24);
    info.height = buf.readUInt16BE(entry.body + 26);
    const inner = readBoxes(buf, entry.body + 78, entry.end);
    const avcC = inner.find((b) => b.type === 'avcC');
    const hvcC = inner.find((b) => b.type === 'hvcC');
    if (avcC) info.codecs = `${entry.type}.${hex2(buf[avcC.body + 1]!)}${hex2(buf[avcC.body + 2]!)}${hex2(buf[avcC.body + 3]!)}`;
    else if (hvcC) info.codecs = hevcCodecs(entry.type, buf, hvcC);
  } else if (entry.type === 'mp4a' || entry.type === 'Opus') {
    info.channels = buf.readUInt16BE(entry.body + 16);
    info.sampleRate = buf.readUInt32BE(entry.body + 24) >>> 16;
    info.codecs =
      entry.type === 'Opus'
        ? 'opus'
        : mp4aCodecs(
            buf,
            readBoxes(buf, entry.body + 28, entry.end).find((b) => b.type === 'esds'),
          );
  }
  return info;
}

/** One sample of a fragment, in decode order. */
export interface Sample {
  duration: number;
  size: number;
  flags: number;
  /** Composition offset (presentation time less decode time), ticks. */
  cts: number;
}

export interface FragmentInfo {
  /** Byte range of the fragment: its moof through its mdat. */
  start: number;
  end: number;
  baseDecodeTime: number;
  /** Every sample, defaults applied (tfhd, else trex). */
  samples: Sample[];
  firstIsSync: boolean;
}

const NON_SYNC = 0x10000;

interface TrafFields {
  tfdt: Box;
  tfdtVersion: number;
  /** The first trun (where the data offset is read), and every trun's samples in order. */
  firstTrun: { box: Box; flags: number };
  samples: Sample[];
}

/** The one parse of a fragment's traf: tfhd defaults, tfdt, and every trun's samples. */
function readTraf(buf: Buffer, moof: Box, init: InitInfo): TrafFields {
  const traf = child(buf, moof, 'traf');
  const tfhd = child(buf, traf, 'tfhd');
  const tfdt = child(buf, traf, 'tfdt');
  if (!traf || !tfhd || !tfdt) throw new Fmp4Error('a fragment without traf, tfhd or tfdt');
  const tflags = buf.readUInt32BE(tfhd.body) & 0xffffff;
  let p = tfhd.body + 8 + (tflags & 0x1 ? 8 : 0) + (tflags & 0x2 ? 4 : 0);
  const defaults = { ...init.defaults };
  if (tflags & 0x8) {
    defaults.duration = buf.readUInt32BE(p);
    p += 4;
  }
  if (tflags & 0x10) {
    defaults.size = buf.readUInt32BE(p);
    p += 4;
  }
  if (tflags & 0x20) defaults.flags = buf.readUInt32BE(p);
  const truns = children(buf, traf, 'trun');
  if (truns.length === 0) throw new Fmp4Error('a fragment without a trun');
  const samples: Sample[] = [];
  for (const t of truns) {
    const flags = buf.readUInt32BE(t.body) & 0xffffff;
    const signed = buf[t.body] === 1;
    const count = buf.readUInt32BE(t.body + 4);
    let q = t.body + 8 + (flags & 0x1 ? 4 : 0);
    let first: number | undefined;
    if (flags & 0x4) {
      first = buf.readUInt32BE(q);
      q += 4;
    }
    for (let i = 0; i < count; i++) {
      const s: Sample = {
        duration: defaults.duration,
        size: defaults.size,
        flags: i === 0 && first !== undefined ? first : defaults.flags,
        cts: 0,
      };
      if (flags & 0x100) {
        s.duration = buf.readUInt32BE(q);
        q += 4;
      }
      if (flags & 0x200) {
        s.size = buf.readUInt32BE(q);
        q += 4;
      }
      if (flags & 0x400) {
        s.flags = buf.readUInt32BE(q);
        q += 4;
      }
      if (flags & 0x800) {
        s.cts = signed ? buf.readInt32BE(q) : buf.readUInt32BE(q);
        q += 4;
      }
      samples.push(s);
    }
    if (q > t.end) throw new Fmp4Error('trun box shorter than its samples');
  }
  const firstTrun = { box: truns[0]!, flags: buf.readUInt32BE(truns[0]!.body) & 0xffffff };
  return { tfdt, tfdtVersion: buf[tfdt.body]!, firstTrun, samples };
}

/** Splits a fragmented MP4 into its init part and its fragments. */
export function splitFragments(buf: Buffer, init: InitInfo): { initEnd: number; fragments: FragmentInfo[] } {
  const top = readBoxes(buf);
  const firstMoof = top.findIndex((b) => b.type === 'moof');
  if (firstMoof < 0) throw new Fmp4Error('no fragments (moof boxes)');
  const initEnd = top[firstMoof]!.start;
  const fragments: FragmentInfo[] = [];
  for (let i = firstMoof; i < top.length; i++) {
    const moof = top[i]!;
    if (moof.type !== 'moof') continue;
    const mdat = top.slice(i + 1).find((b) => b.type === 'mdat' || b.type === 'moof');
    if (!mdat || mdat.type !== 'mdat') throw new Fmp4Error(`the fragment at ${moof.start} has no mdat`);
    const traf = readTraf(buf, moof, init);
    const base = traf.tfdtVersion === 1 ? Number(buf.readBigUInt64BE(traf.tfdt.body + 4)) : buf.readUInt32BE(traf.tfdt.body + 4);
    const first = traf.samples[0];
    fragments.push({
      start: moof.start,
      end: mdat.end,
      baseDecodeTime: base,
      samples: traf.samples,
      firstIsSync: !!first && (first.flags & NON_SYNC) === 0,
    });
  }
  return { initEnd, fragments };
}

function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length + 8, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

/**
 * The fragment written again with the given samples (same count and sizes, in the same mdat, which is copied
 * unchanged) and decode time: its moof is rebuilt with one trun that states every sample's duration, size,
 * flags and composition offset (version 1, signed offsets, only where one is negative), and its sequence number.
 */
export function rebuildFragment(
  buf: Buffer,
  frag: FragmentInfo,
  init: InitInfo,
  samples: Sample[],
  baseDecodeTime: number,
  sequence: number,
): Buffer {
  const top = readBoxes(buf, frag.start, frag.end);
  const moof = top.find((b) => b.type === 'moof')!;
  const mdat = top.find((b) => b.type === 'mdat')!;
  const trafBox = child(buf, moof, 'traf')!;
  const tfhd = child(buf, trafBox, 'tfhd')!;
  if (!(buf.readUInt32BE(tfhd.body) & 0xffffff & 0x20000))
    throw new Fmp4Error('the fragment does not use moof-relative data offsets (default-base-is-moof)');
  const old = readTraf(buf, moof, init);
  if (samples.length !== frag.samples.length)
    throw new Fmp4Error(`a fragment of ${frag.samples.length} samples rebuilt with ${samples.length}`);
  if (baseDecodeTime < 0) throw new Fmp4Error(`a fragment's decode time would be negative (${baseDecodeTime})`);
  const oldOffset = old.firstTrun.flags & 0x1 ? buf.readInt32BE(old.firstTrun.box.body + 8) : mdat.body - moof.start;
  const signed = samples.some((s) => s.cts < 0);
  const trunBody = Buffer.alloc(12 + samples.length * 16);
  trunBody.writeUInt32BE(((signed ? 1 : 0) << 24) | 0x1 | 0x100 | 0x200 | 0x400 | 0x800, 0);
  trunBody.writeUInt32BE(samples.length, 4);
  samples.forEach((s, i) => {
    const o = 12 + i * 16;
    if (s.duration <= 0) throw new Fmp4Error(`sample ${i} would last ${s.duration} ticks`);
    trunBody.writeUInt32BE(s.duration, o);
    trunBody.writeUInt32BE(s.size, o + 4);
    trunBody.writeUInt32BE(s.flags >>> 0, o + 8);
    if (signed) trunBody.writeInt32BE(s.cts, o + 12);
    else trunBody.writeUInt32BE(s.cts, o + 12);
  });
  const tfdtBody = Buffer.alloc(12);
  tfdtBody.writeUInt32BE(1 << 24, 0);
  tfdtBody.writeBigUInt64BE(BigInt(baseDecodeTime), 4);
  const keepTraf = readBoxes(buf, trafBox.body, trafBox.end)
    .filter((b) => !['tfhd', 'tfdt', 'trun'].includes(b.type))
    .map((b) => buf.subarray(b.start, b.end));
  const mfhdBody = Buffer.alloc(8);
  mfhdBody.writeUInt32BE(sequence >>> 0, 4);
  const keepMoof = readBoxes(buf, moof.body, moof.end)
    .filter((b) => !['mfhd', 'traf'].includes(b.type))
    .map((b) => buf.subarray(b.start, b.end));
  const build = (offset: number) => {
    trunBody.writeInt32BE(offset, 8);
    return box(
      'moof',
      box('mfhd', mfhdBody),
      box('traf', buf.subarray(tfhd.start, tfhd.end), box('tfdt', tfdtBody), box('trun', trunBody), ...keepTraf),
      ...keepMoof,
    );
  };
  const sized = build(0);
  const newMoof = build(oldOffset + sized.length - (moof.end - moof.start));
  return Buffer.concat([newMoof, buf.subarray(moof.end, frag.end)]);
}
