/**
 * How ledger records map to items of the one DynamoDB table (see ledger-table.ts for the key design).
 * Records are stored as native attributes, except the job's bulky fields (see BULKY_PARTS: every frame time
 * of the source is about 1 MB of JSON for 45 minutes of video, more than an item's 400 KB), which are stored
 * gzipped: inline in the job item when small, else in chunk items `BLOB#<part>#<rev>#0000` that the job item
 * points to (`<part>Ref`). Chunks are written before the pointer, so a reader never sees half of one.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { JobRecord, TaskKind, TaskRecord, JobEvent } from '../../core/types.js';
import type { TaskId } from '../../ports/ledger.js';
import { LEDGER_TABLE } from './ledger-table.js';

export type Item = Record<string, unknown>;

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL, jobsIndex } = LEDGER_TABLE;
export const JOB_SK = 'JOB';
export const JOBS_INDEX_PK_VALUE = 'JOB';

export const jobKey = (jobId: string): Item => ({ [PK]: `JOB#${jobId}`, [SK]: JOB_SK });
export const taskSk = (kind: TaskKind, index: number): string => `TASK#${kind}#${String(index).padStart(5, '0')}`;
export const taskKey = (id: TaskId): Item => ({ [PK]: `JOB#${id.jobId}`, [SK]: taskSk(id.kind, id.index) });
export const eventSk = (seq: number): string => `EVT#${String(seq).padStart(9, '0')}`;
export const jobPk = (jobId: string): string => `JOB#${jobId}`;

/** Attributes on the job item that are bookkeeping, not part of the JobRecord. */
export const JOB_INTERNAL = {
  /** Last event seq, incremented atomically by appendEvent. */
  eventSeq: 'eventSeq',
  /** Number of tasks planned; set once by putTasks (its claim), with the video tasks and their frames. */
  taskCount: 'taskCount',
  videoTotal: 'videoTotal',
  framesTotal: 'framesTotal',
  /** Video tasks done and their frames: ADDed by transitionTask after a task moves to or from done. */
  videoDone: 'videoDone',
  framesDone: 'framesDone',
} as const;

/**
 * The job's fields that grow with the source, each stored gzipped in parts (inline in the job item when small,
 * else in chunk items): the analysis without the frame list (`analysisHead`), the frame list (`frames`), the
 * plan without its segments (`planHead`), the segments (`segments`), and the result (whose quality report has
 * a line per cut). A task reads the job item and the head parts only (getJobHead): a few KB for any source,
 * where the frame list alone is 291 KB gzipped for 45 minutes at 30 fps. Jobs written before the split keep
 * `analysis` and `plan` whole (LEGACY_PARTS), and are read as they are.
 */
export const BULKY_PARTS = ['analysisHead', 'frames', 'planHead', 'segments', 'result'] as const;
export type BulkyPart = (typeof BULKY_PARTS)[number];
const LEGACY_PARTS = ['analysis', 'plan'] as const;
type PartName = BulkyPart | (typeof LEGACY_PARTS)[number];
/** The parts a task reads. */
const HEAD_PARTS: readonly PartName[] = ['analysisHead', 'planHead', 'result', 'analysis', 'plan'];
/** Job record fields stored as parts. */
export const BULKY_FIELDS = ['analysis', 'plan', 'result'] as const;
/** Gzipped JSON up to this size stays in the job item (which every task reads and every event updates). */
export const INLINE_BULK_BYTES = 4 * 1024;
/** Size of each chunk item (well under the 400 KB item limit). */
export const CHUNK_BYTES = 300 * 1024;

const gzAttr = (f: PartName) => `${f}Gz`;
const refAttr = (f: PartName) => `${f}Ref`;
export const chunkPrefix = (f: PartName, rev: string) => `BLOB#${f}#${rev}#`;

const INTERNAL_JOB_ATTRS = new Set<string>([
  PK,
  SK,
  TTL,
  jobsIndex.partitionKey,
  ...Object.values(JOB_INTERNAL),
  ...[...BULKY_PARTS, ...LEGACY_PARTS].flatMap((f) => [gzAttr(f), refAttr(f)]),
]);
const INTERNAL_ATTRS = new Set<string>([PK, SK, TTL]);

export const ttlFromNow = (nowMs: number, ttlHours: number): number => Math.floor(nowMs / 1000) + Math.round(ttlHours * 3600);

/** Drops undefined fields (the document client would too; this keeps records and items comparable). */
export function defined(obj: Item): Item {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

/** How a bulky value is stored: attributes for the job item, and chunk items to write first. */
export interface EncodedBulk {
  set: Item;
  remove: string[];
  chunks: Item[];
}

export function encodeBulky(jobId: string, field: PartName, value: unknown, rev: string, ttl: number): EncodedBulk {
  const gz = gzipSync(Buffer.from(JSON.stringify(value)));
  if (gz.length <= INLINE_BULK_BYTES) return { set: { [gzAttr(field)]: gz }, remove: [refAttr(field)], chunks: [] };
  const chunks: Item[] = [];
  for (let i = 0, n = 0; i < gz.length; i += CHUNK_BYTES, n++) {
    chunks.push({
      [PK]: jobPk(jobId),
      [SK]: `${chunkPrefix(field, rev)}${String(n).padStart(4, '0')}`,
      [TTL]: ttl,
      data: gz.subarray(i, i + CHUNK_BYTES),
    });
  }
  return { set: { [refAttr(field)]: { rev, chunks: chunks.length } }, remove: [gzAttr(field)], chunks };
}

/** The parts of a record's bulky fields (only the fields it has). */
export function bulkyPartsOf(job: Partial<Pick<JobRecord, 'analysis' | 'plan' | 'result'>>): Partial<Record<BulkyPart, unknown>> {
  const parts: Partial<Record<BulkyPart, unknown>> = {};
  if (job.analysis) {
    const { frameTimes, keyframeIndices, ...video } = job.analysis.video;
    parts.analysisHead = { ...job.analysis, video };
    parts.frames = { frameTimes, keyframeIndices };
  }
  if (job.plan) {
    const { segments, encodeOrder, ...head } = job.plan;
    parts.planHead = head;
    parts.segments = { segments, encodeOrder };
  }
  if (job.result !== undefined) parts.result = job.result;
  return parts;
}

/** Encodes every part of the given fields; what a job item then SETs and REMOVEs (the legacy whole fields too). */
export function encodeBulkyFields(
  jobId: string,
  job: Partial<Pick<JobRecord, 'analysis' | 'plan' | 'result'>>,
  rev: () => string,
  ttl: number,
): EncodedBulk {
  const out: EncodedBulk = { set: {}, remove: [], chunks: [] };
  for (const [part, value] of Object.entries(bulkyPartsOf(job)) as Array<[BulkyPart, unknown]>) {
    const e = encodeBulky(jobId, part, value, rev(), ttl);
    Object.assign(out.set, e.set);
    out.remove.push(...e.remove);
    out.chunks.push(...e.chunks);
  }
  if (job.analysis) out.remove.push(gzAttr('analysis'), refAttr('analysis'));
  if (job.plan) out.remove.push(gzAttr('plan'), refAttr('plan'));
  // A result written before it became a part was a plain attribute.
  if (job.result !== undefined) out.remove.push('result');
  return out;
}

/** Reads the chunk items of a field (in order), given a loader for items whose sk starts with a prefix. */
export type ChunkLoader = (jobId: string, skPrefix: string) => Promise<Item[]>;

export async function decodeBulky(jobId: string, field: PartName, item: Item, load: ChunkLoader): Promise<unknown> {
  const inline = item[gzAttr(field)];
  if (inline instanceof Uint8Array) return JSON.parse(gunzipSync(inline).toString('utf8'));
  const ref = item[refAttr(field)] as { rev: string; chunks: number } | undefined;
  if (!ref) return undefined;
  const chunks = await load(jobId, chunkPrefix(field, ref.rev));
  if (chunks.length !== ref.chunks) throw new Error(`job ${jobId}: ${field} has ${chunks.length} of ${ref.chunks} chunks`);
  return JSON.parse(gunzipSync(Buffer.concat(chunks.map((c) => c.data as Uint8Array))).toString('utf8'));
}

/** The job item's own attributes for a record, without the bulky fields. */
export function jobAttributes(job: JobRecord): Item {
  const { analysis: _a, plan: _p, result: _r, ...rest } = job;
  return defined(rest);
}

/**
 * The record of a job item: whole, or (`head`) without the frame and segment lists, whose chunks are then not
 * read. A legacy item's whole `analysis` and `plan` are read and, for a head, cut down.
 */
export async function itemToJob(item: Item, load: ChunkLoader, opts: { head?: boolean } = {}): Promise<JobRecord> {
  const job: Item = {};
  for (const [k, v] of Object.entries(item)) if (!INTERNAL_JOB_ATTRS.has(k)) job[k] = v;
  const id = job.id as string;
  const part = (f: PartName) => (opts.head && !HEAD_PARTS.includes(f) ? Promise.resolve(undefined) : decodeBulky(id, f, item, load));
  const [analysisHead, frames, planHead, segments, result, analysis, plan] = (await Promise.all(
    (['analysisHead', 'frames', 'planHead', 'segments', 'result', 'analysis', 'plan'] as const).map(part),
  )) as [Item | undefined, Item | undefined, Item | undefined, Item | undefined, unknown, unknown, unknown];
  if (analysis !== undefined) job.analysis = analysis;
  else if (analysisHead) job.analysis = { ...analysisHead, video: { ...(analysisHead.video as Item), ...(frames ?? {}) } };
  if (plan !== undefined) job.plan = plan;
  else if (planHead) job.plan = { ...planHead, ...(segments ?? {}) };
  if (result !== undefined) job.result = result;
  return job as unknown as JobRecord;
}

export function taskToItem(task: TaskRecord, ttl: number): Item {
  return { ...defined(task as unknown as Item), ...taskKey(task), [TTL]: ttl };
}

export function itemToTask(item: Item): TaskRecord {
  const task: Item = {};
  for (const [k, v] of Object.entries(item)) if (!INTERNAL_ATTRS.has(k)) task[k] = v;
  return task as unknown as TaskRecord;
}

export function eventToItem(event: JobEvent, ttl: number): Item {
  return { ...defined(event as unknown as Item), [PK]: jobPk(event.jobId), [SK]: eventSk(event.seq), [TTL]: ttl };
}

export function itemToEvent(item: Item): JobEvent {
  const event: Item = {};
  for (const [k, v] of Object.entries(item)) if (!INTERNAL_ATTRS.has(k)) event[k] = v;
  return event as unknown as JobEvent;
}

export interface UpdateParts {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/**
 * An UpdateExpression that SETs `set`, REMOVEs `remove` and ADDs `add`, plus a condition in which
 * `#name` and `:value` refer to `condNames` / `condValues`. Every attribute goes through a name placeholder
 * (status, ttl, index and data are reserved words).
 */
export function buildUpdate(
  parts: { set?: Item; remove?: string[]; add?: Record<string, number> },
  condition?: { expression: string; names?: Record<string, string>; values?: Item },
): UpdateParts & { ConditionExpression?: string } {
  const names: Record<string, string> = { ...(condition?.names ?? {}) };
  const values: Item = { ...(condition?.values ?? {}) };
  let n = 0;
  const name = (attr: string) => {
    const key = `#a${n++}`;
    names[key] = attr;
    return key;
  };
  const sets = Object.entries(parts.set ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([attr, v]) => {
      const nk = name(attr);
      values[`:v${n}`] = v;
      return `${nk} = :v${n}`;
    });
  const removes = (parts.remove ?? []).map((attr) => name(attr));
  const adds = Object.entries(parts.add ?? {}).map(([attr, v]) => {
    const nk = name(attr);
    values[`:v${n}`] = v;
    return `${nk} :v${n}`;
  });
  const clauses = [
    sets.length ? `SET ${sets.join(', ')}` : '',
    removes.length ? `REMOVE ${removes.join(', ')}` : '',
    adds.length ? `ADD ${adds.join(', ')}` : '',
  ].filter(Boolean);
  return {
    UpdateExpression: clauses.join(' '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
    ...(condition ? { ConditionExpression: condition.expression } : {}),
  };
}

/** `#status IN (:s0, :s1)` with its values; an empty list gives a condition that never holds. */
export function statusIn(statuses: readonly string[]): { expression: string; values: Item } {
  if (!statuses.length) return { expression: '#status = :none', values: { ':none': '\u0000' } };
  const values = Object.fromEntries(statuses.map((s, i) => [`:s${i}`, s]));
  return { expression: `#status IN (${Object.keys(values).join(', ')})`, values };
}

/** DynamoDB's limit on one item. */
export const ITEM_LIMIT_BYTES = 400 * 1024;

/**
 * An item's size as DynamoDB counts it, near enough: attribute names plus values (strings and binaries by
 * their bytes, numbers at their 21-byte most, 3 bytes per map or list plus 1 per element).
 */
export function dynamoItemBytes(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (typeof v === 'number') return 21;
  if (typeof v === 'boolean' || v === null || v === undefined) return 1;
  if (v instanceof Uint8Array) return v.length;
  if (Array.isArray(v)) return 3 + v.reduce((s: number, x) => s + 1 + dynamoItemBytes(x), 0);
  return 3 + Object.entries(v as Record<string, unknown>).reduce((s, [k, x]) => s + Buffer.byteLength(k) + 1 + dynamoItemBytes(x), 0);
}

/** The items a planned job is stored as (job item, chunk items, task items): what the ledger writes for it. */
export function ledgerItemsOf(
  job: JobRecord,
  tasks: Array<Omit<TaskRecord, 'status' | 'attempts'>>,
  ttl = 0,
): { job: Item; chunks: Item[]; tasks: Item[] } {
  const bulky = encodeBulkyFields(job.id, job, () => '00000000-0000-0000-0000-000000000000', ttl);
  const videos = tasks.filter((t) => t.kind === 'video');
  return {
    job: {
      ...jobAttributes(job),
      ...bulky.set,
      ...jobKey(job.id),
      [jobsIndex.partitionKey]: JOBS_INDEX_PK_VALUE,
      [TTL]: ttl,
      [JOB_INTERNAL.eventSeq]: 1_000,
      [JOB_INTERNAL.taskCount]: tasks.length,
      [JOB_INTERNAL.videoTotal]: videos.length,
      [JOB_INTERNAL.framesTotal]: 0,
      [JOB_INTERNAL.videoDone]: 0,
      [JOB_INTERNAL.framesDone]: 0,
    },
    chunks: bulky.chunks,
    tasks: tasks.map((t) => taskToItem({ ...t, status: 'pending', attempts: 0 }, ttl)),
  };
}
