/**
 * How ledger records map to items of the one DynamoDB table (see ledger-table.ts for the key design).
 * Records are stored as native attributes, except the job's bulky `analysis` and `plan` (every frame time of
 * the source: about 1 MB of JSON for 45 minutes of video, more than an item's 400 KB), which are stored
 * gzipped: inline in the job item when small, else in chunk items `BLOB#<field>#<rev>#0000` that the job item
 * points to (`<field>Ref`). Chunks are written before the pointer, so a reader never sees half of one.
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
  /** Number of tasks planned; set once by putTasks (its claim). */
  taskCount: 'taskCount',
} as const;

export const BULKY_FIELDS = ['analysis', 'plan'] as const;
export type BulkyField = (typeof BULKY_FIELDS)[number];
/** Gzipped JSON up to this size stays in the job item. */
export const INLINE_BULK_BYTES = 96 * 1024;
/** Size of each chunk item (well under the 400 KB item limit). */
export const CHUNK_BYTES = 300 * 1024;

const gzAttr = (f: BulkyField) => `${f}Gz`;
const refAttr = (f: BulkyField) => `${f}Ref`;
export const chunkPrefix = (f: BulkyField, rev: string) => `BLOB#${f}#${rev}#`;

const INTERNAL_JOB_ATTRS = new Set<string>([
  PK, SK, TTL, jobsIndex.partitionKey, JOB_INTERNAL.eventSeq, JOB_INTERNAL.taskCount,
  ...BULKY_FIELDS.flatMap((f) => [gzAttr(f), refAttr(f)]),
]);
const INTERNAL_ATTRS = new Set<string>([PK, SK, TTL]);

export const ttlFromNow = (nowMs: number, ttlHours: number): number => Math.floor(nowMs / 1000) + Math.round(ttlHours * 3600);

/** Drops undefined fields (the document client would too; this keeps records and items comparable). */
function defined(obj: Item): Item {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

/** How a bulky value is stored: attributes for the job item, and chunk items to write first. */
export interface EncodedBulk {
  set: Item;
  remove: string[];
  chunks: Item[];
}

export function encodeBulky(jobId: string, field: BulkyField, value: unknown, rev: string, ttl: number): EncodedBulk {
  const gz = gzipSync(Buffer.from(JSON.stringify(value)));
  if (gz.length <= INLINE_BULK_BYTES) return { set: { [gzAttr(field)]: gz }, remove: [refAttr(field)], chunks: [] };
  const chunks: Item[] = [];
  for (let i = 0, n = 0; i < gz.length; i += CHUNK_BYTES, n++) {
    chunks.push({
      [PK]: jobPk(jobId), [SK]: `${chunkPrefix(field, rev)}${String(n).padStart(4, '0')}`,
      [TTL]: ttl, data: gz.subarray(i, i + CHUNK_BYTES),
    });
  }
  return { set: { [refAttr(field)]: { rev, chunks: chunks.length } }, remove: [gzAttr(field)], chunks };
}

/** Reads the chunk items of a field (in order), given a loader for items whose sk starts with a prefix. */
export type ChunkLoader = (jobId: string, skPrefix: string) => Promise<Item[]>;

export async function decodeBulky(jobId: string, field: BulkyField, item: Item, load: ChunkLoader): Promise<unknown> {
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
  const { analysis: _a, plan: _p, ...rest } = job;
  return defined(rest as unknown as Item);
}

export async function itemToJob(item: Item, load: ChunkLoader): Promise<JobRecord> {
  const job: Item = {};
  for (const [k, v] of Object.entries(item)) if (!INTERNAL_JOB_ATTRS.has(k)) job[k] = v;
  const id = job.id as string;
  for (const f of BULKY_FIELDS) {
    const value = await decodeBulky(id, f, item, load);
    if (value !== undefined) job[f] = value;
  }
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
  const sets = Object.entries(parts.set ?? {}).filter(([, v]) => v !== undefined).map(([attr, v]) => {
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
