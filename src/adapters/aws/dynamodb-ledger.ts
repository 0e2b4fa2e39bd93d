/**
 * The ledger on one DynamoDB table (key design in ledger-table.ts, item mapping in dynamodb-items.ts), with no
 * transactions, so it runs on dynalite too. Every status change is one UpdateItem with a ConditionExpression
 * on the status (and attempts); it SETs only the patched fields and returns the stored result (ALL_NEW), so
 * concurrent heartbeats are never overwritten. A failed condition becomes ConditionFailedError carrying the
 * current record, read with a follow-up consistent GetItem (NotFoundError when there is none).
 * Event seqs come from a counter on the job item incremented with an atomic ADD, then the event is put.
 * putTasks claims the job's plan with one conditional write (`taskCount`), then writes the tasks in batches.
 * Every item carries `ttl` (epoch seconds): a job's items all share the one its job item got when it was made
 * (default 48 hours after), so they expire together; reads leave out items past it.
 *
 * Over 300 lines: one adapter of the whole Ledger port, each method one DynamoDB request with its condition;
 * the item layout and chunking are dynamodb-items.ts.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionFailedError, NotFoundError } from '../../core/errors.js';
import type { JobEvent, JobHead, JobRecord, JobStatus, JobSummary, TaskRecord, TaskStatus } from '../../core/types.js';
import type { JobPatch, Ledger, NewTask, TaskId, TaskLive, TaskPatch, TaskProgressCounts } from '../../ports/ledger.js';
import { jobHeadOf } from '../../core/job-head.js';
import {
  BULKY_FIELDS,
  JOB_INTERNAL,
  JOBS_INDEX_PK_VALUE,
  buildUpdate,
  defined,
  encodeBulkyFields,
  eventSk,
  eventToItem,
  itemToEvent,
  itemToJob,
  itemToTask,
  jobAttributes,
  jobKey,
  jobPk,
  statusIn,
  taskKey,
  taskToItem,
  ttlFromNow,
  type Item,
} from './dynamodb-items.js';
import { mapLimit } from '../../core/map-limit.js';
import { DynamoDbTableClient } from './dynamodb-table-client.js';
import { LEDGER_TABLE } from './ledger-table.js';

export interface DynamoDbLedgerOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Hours an item lives after its last write (its `ttl`); default 48. */
  ttlHours?: number;
  /** Wall clock (epoch ms); default Date.now. */
  now?: () => number;
  /** Destroy the client on close (when the ledger owns it). */
  destroyClientOnClose?: boolean;
}

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL, jobsIndex } = LEDGER_TABLE;
const isConditionFailure = (err: unknown): boolean => (err as Error)?.name === 'ConditionalCheckFailedException';
const taskName = (id: TaskId) => `${id.kind} task ${id.index} of job ${id.jobId}`;

export class DynamoDbLedger implements Ledger {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly t: DynamoDbTableClient;
  private readonly ttlHours: number;
  private readonly now: () => number;

  constructor(private readonly opts: DynamoDbLedgerOptions) {
    this.db = opts.client;
    this.table = opts.tableName;
    this.t = new DynamoDbTableClient(opts.client, opts.tableName);
    this.ttlHours = opts.ttlHours ?? 48;
    this.now = opts.now ?? Date.now;
  }

  private ttl(): number {
    return ttlFromNow(this.now(), this.ttlHours);
  }

  /** Each job's expiry (its items' `ttl`), as read or written by this ledger. */
  private readonly expiries = new Map<string, number>();

  /**
   * The `ttl` of every item of a job: the one its job item got when it was made, so that the job's items
   * expire together. Before, each item's ttl was its own last write + 48 h: tasks and chunks expired before
   * the job item, and a retry ~48 h after a failure saw the job but not all of its tasks.
   */
  private async ttlOf(jobId: string): Promise<number> {
    const known = this.expiries.get(jobId);
    if (known !== undefined) return known;
    const res = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: jobKey(jobId),
        ProjectionExpression: '#t',
        ExpressionAttributeNames: { '#t': TTL },
        ConsistentRead: true,
      }),
    );
    const ttl = typeof res.Item?.[TTL] === 'number' ? res.Item[TTL] : this.ttl();
    this.expiries.set(jobId, ttl);
    return ttl;
  }

  /**
   * An item past its `ttl`: DynamoDB deletes it within a few days of that time, not at it, and reads return it
   * until then. Every read here leaves such items out.
   */
  private readonly live = (item: Item): boolean => !(typeof item[TTL] === 'number' && item[TTL] * 1000 <= this.now());

  private readonly loadChunks = async (jobId: string, skPrefix: string): Promise<Item[]> =>
    (
      await this.t.queryAll({
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': jobPk(jobId), ':prefix': skPrefix },
        ConsistentRead: true,
      })
    ).filter(this.live);

  /** When the job's records go (DynamoDB's TTL, ms), and when the job was made; undefined for no such job. */
  async recordsExpireAt(jobId: string): Promise<{ at: number; createdAt: number } | undefined> {
    const item = await this.getJobItem(jobId);
    if (!item || typeof item[TTL] !== 'number') return undefined;
    return { at: item[TTL] * 1000, createdAt: item.createdAt as number };
  }

  async createJob(job: JobRecord): Promise<void> {
    const ttl = this.ttl();
    const bulky = encodeBulkyFields(job.id, job, randomUUID, ttl);
    await this.putChunks(bulky.chunks);
    const item: Item = {
      ...jobAttributes(job),
      ...bulky.set,
      ...jobKey(job.id),
      [jobsIndex.partitionKey]: JOBS_INDEX_PK_VALUE,
      [TTL]: ttl,
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      this.expiries.set(job.id, ttl);
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      throw new ConditionFailedError(`job ${job.id} already exists`, await this.getJob(job.id));
    }
  }

  private async getJobItem(jobId: string): Promise<Item | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: jobKey(jobId), ConsistentRead: true }));
    const item = res.Item as Item | undefined;
    // A step reads its job first: its expiry comes with it, so the step's writes need no read of their own.
    if (item && typeof item[TTL] === 'number' && !this.expiries.has(jobId)) this.expiries.set(jobId, item[TTL]);
    return item && this.live(item) ? item : undefined;
  }

  private async putChunks(chunks: Item[]): Promise<void> {
    await mapLimit(chunks, 4, (Item) => this.db.send(new PutCommand({ TableName: this.table, Item })));
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    const item = await this.getJobItem(jobId);
    return item && itemToJob(item, this.loadChunks);
  }

  /** One read of the job item (a few KB), plus the head parts' chunks where they did not fit inline. */
  async getJobHead(jobId: string): Promise<JobHead | undefined> {
    const item = await this.getJobItem(jobId);
    return item && jobHeadOf(await itemToJob(item, this.loadChunks, { head: true }));
  }

  /** The job item's counters, read eventually consistent (a progress display); counted from the tasks for a job planned before them. */
  async taskProgress(jobId: string): Promise<TaskProgressCounts> {
    const { videoTotal, framesTotal, videoDone, framesDone } = JOB_INTERNAL;
    const res = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: jobKey(jobId),
        ProjectionExpression: '#a, #b, #c, #d',
        ExpressionAttributeNames: { '#a': videoTotal, '#b': framesTotal, '#c': videoDone, '#d': framesDone },
      }),
    );
    const item = res.Item as Item | undefined;
    if (item && typeof item[videoTotal] === 'number') {
      const n = (k: string) => Number(item[k] ?? 0);
      return { videoTotal: n(videoTotal), framesTotal: n(framesTotal), videoDone: n(videoDone), framesDone: n(framesDone) };
    }
    const videos = (await this.listTasks(jobId)).filter((t) => t.kind === 'video');
    const done = videos.filter((t) => t.status === 'done');
    const frames = (ts: TaskRecord[]) => ts.reduce((s, t) => s + t.frameCount, 0);
    return { videoTotal: videos.length, videoDone: done.length, framesTotal: frames(videos), framesDone: frames(done) };
  }

  /** Newest first, from the `jobs` index; each summary counts the job's video tasks with one query. */
  async listJobs(opts?: { limit?: number }): Promise<JobSummary[]> {
    const items = await this.t.queryPages(
      {
        IndexName: jobsIndex.name,
        KeyConditionExpression: '#g = :g',
        ExpressionAttributeNames: { '#g': jobsIndex.partitionKey },
        ExpressionAttributeValues: { ':g': JOBS_INDEX_PK_VALUE },
        ScanIndexForward: false,
      },
      opts?.limit,
    );
    // The index projects no ttl (a projection cannot change on a deployed index): a job's expiry is taken from
    // its creation and this deployment's hours, which set it.
    const listed = items.filter((i) => (i.createdAt as number) + this.ttlHours * 3600_000 > this.now());
    return mapLimit(listed, 8, async (item) => {
      const { done, total } = await this.countVideoTasks(item.id as string);
      const summary: JobSummary = {
        id: item.id as string,
        status: item.status as JobStatus,
        backend: item.backend as JobSummary['backend'],
        source: item.source as string,
        output: item.output as string,
        createdAt: item.createdAt as number,
        updatedAt: item.updatedAt as number,
        segmentsDone: done,
        segmentsTotal: total,
      };
      if (typeof item.error === 'string') summary.error = item.error;
      return summary;
    });
  }

  /** Done video tasks (the filter's count) of all video tasks (the key condition's). */
  private async countVideoTasks(jobId: string): Promise<{ done: number; total: number }> {
    const { count: done, scanned: total } = await this.t.count({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      FilterExpression: '#status = :done',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#status': 'status' },
      ExpressionAttributeValues: { ':pk': jobPk(jobId), ':prefix': 'TASK#video#', ':done': 'done' },
    });
    return { done, total };
  }

  async updateJob(jobId: string, from: readonly JobStatus[], to: JobStatus, patch?: JobPatch, now?: number): Promise<JobRecord> {
    const { clearError, ...fields } = patch ?? {};
    const ttl = await this.ttlOf(jobId);
    const set: Item = { status: to, updatedAt: now ?? this.now(), [TTL]: ttl };
    const remove: string[] = clearError && fields.error === undefined ? ['error'] : [];
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined || (BULKY_FIELDS as readonly string[]).includes(k)) continue;
      set[k] = v;
    }
    const encoded = encodeBulkyFields(jobId, fields, randomUUID, ttl);
    await this.putChunks(encoded.chunks);
    Object.assign(set, encoded.set);
    remove.push(...encoded.remove);
    const cond = statusIn(from);
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(jobId),
          ReturnValues: 'ALL_NEW',
          ...buildUpdate(
            { set, remove },
            {
              expression: `attribute_exists(#pk) AND ${cond.expression}`,
              names: { '#pk': PK, '#status': 'status' },
              values: cond.values,
            },
          ),
        }),
      );
      return itemToJob(res.Attributes as Item, this.loadChunks);
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const current = await this.getJob(jobId);
      if (!current) throw new NotFoundError(`job ${jobId} not found`);
      throw new ConditionFailedError(`job ${jobId} is ${current.status}, not ${from.join(' or ')}`, current);
    }
  }

  async putTasks(tasks: NewTask[]): Promise<void> {
    const byJob = new Map<string, NewTask[]>();
    for (const t of tasks) byJob.set(t.jobId, [...(byJob.get(t.jobId) ?? []), t]);
    for (const [jobId, jobTasks] of byJob) {
      const videos = jobTasks.filter((t) => t.kind === 'video');
      await this.claimPlan(
        jobId,
        jobTasks.length,
        videos.length,
        videos.reduce((s, t) => s + t.frameCount, 0),
      );
      const ttl = await this.ttlOf(jobId);
      const items = jobTasks.map((t) => taskToItem({ ...t, status: 'pending', attempts: 0 }, ttl));
      for (let i = 0; i < items.length; i += 25) await this.t.batchWrite(items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })));
    }
  }

  /** The one conditional write that makes a job's task list write-once. */
  private async claimPlan(jobId: string, count: number, videos: number, frames: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(jobId),
          ...buildUpdate(
            { set: { [JOB_INTERNAL.taskCount]: count, [JOB_INTERNAL.videoTotal]: videos, [JOB_INTERNAL.framesTotal]: frames } },
            {
              expression: 'attribute_exists(#pk) AND attribute_not_exists(#tc)',
              names: { '#pk': PK, '#tc': JOB_INTERNAL.taskCount },
            },
          ),
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      if (!(await this.getJobItem(jobId))) throw new NotFoundError(`job ${jobId} not found`);
      const [existing] = await this.t.queryPages(
        {
          ConsistentRead: true,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: { ':pk': jobPk(jobId), ':prefix': 'TASK#' },
        },
        1,
      );
      throw new ConditionFailedError(`job ${jobId} already has tasks`, existing && itemToTask(existing));
    }
  }

  async getTask(id: TaskId): Promise<TaskRecord | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: taskKey(id), ConsistentRead: true }));
    return res.Item && this.live(res.Item as Item) ? itemToTask(res.Item as Item) : undefined;
  }

  async listTasks(jobId: string): Promise<TaskRecord[]> {
    const tasks = (await this.loadChunks(jobId, 'TASK#')).map(itemToTask);
    const rank = (t: TaskRecord) => (t.kind === 'video' ? 0 : 1);
    return tasks.sort((a, b) => rank(a) - rank(b) || a.kind.localeCompare(b.kind) || a.index - b.index);
  }

  async transitionTask(
    id: TaskId,
    from: readonly TaskStatus[],
    to: TaskStatus,
    patch?: TaskPatch,
    ifAttempts?: number,
  ): Promise<TaskRecord> {
    const { clearError, ...fields } = patch ?? {};
    const set: Item = { ...fields, status: to, [TTL]: await this.ttlOf(id.jobId) };
    // A running attempt's progress belongs to it alone.
    const remove = [...(clearError && fields.error === undefined ? ['error'] : []), 'progress'];
    const cond = statusIn(from);
    const attempts = ifAttempts === undefined ? '' : ' AND #attempts = :ifAttempts';
    try {
      // The item before the write (ALL_OLD), so that a move to or from done can update the job's counters;
      // the stored result is that item with the SETs and REMOVEs applied.
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: taskKey(id),
          ReturnValues: 'ALL_OLD',
          ...buildUpdate(
            { set, remove },
            {
              expression: `attribute_exists(#pk) AND ${cond.expression}${attempts}`,
              names: { '#pk': PK, '#status': 'status', ...(attempts ? { '#attempts': 'attempts' } : {}) },
              values: { ...cond.values, ...(attempts ? { ':ifAttempts': ifAttempts } : {}) },
            },
          ),
        }),
      );
      const old = res.Attributes as Item;
      const stored: Item = { ...old, ...defined(set) };
      for (const r of remove) delete stored[r];
      const task = itemToTask(stored);
      const delta = (to === 'done' ? 1 : 0) - (old.status === 'done' ? 1 : 0);
      if (delta !== 0 && task.kind === 'video') await this.countDone(id.jobId, delta, delta * task.frameCount);
      return task;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const current = await this.getTask(id);
      if (!current) throw new NotFoundError(`${taskName(id)} not found`);
      const withAttempts = ifAttempts === undefined ? '' : ` with ${ifAttempts} attempts`;
      throw new ConditionFailedError(
        `${taskName(id)} is ${current.status} with ${current.attempts} attempts, not ${from.join(' or ')}${withAttempts}`,
        current,
      );
    }
  }

  /** Moves the job's done counters (a second write after the task's: for progress, not for decisions). */
  private async countDone(jobId: string, tasks: number, frames: number): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(jobId),
          ...buildUpdate(
            { add: { [JOB_INTERNAL.videoDone]: tasks, [JOB_INTERNAL.framesDone]: frames } },
            {
              expression: 'attribute_exists(#pk) AND attribute_exists(#vt)',
              names: { '#pk': PK, '#vt': JOB_INTERNAL.videoTotal },
            },
          ),
        }),
      )
      .catch(() => {
        // Progress only: the task's own transition stands whatever happens to its counter.
      });
  }

  async heartbeat(id: TaskId, at: number, live: TaskLive = {}): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: taskKey(id),
          ...buildUpdate(
            { set: { heartbeatAt: at, ...live } },
            {
              expression: 'attribute_exists(#pk) AND #status = :running',
              names: { '#pk': PK, '#status': 'status' },
              values: { ':running': 'running' },
            },
          ),
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  async appendEvent(event: Omit<JobEvent, 'seq'>): Promise<JobEvent> {
    let seq: number;
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(event.jobId),
          ReturnValues: 'UPDATED_NEW',
          ...buildUpdate({ add: { [JOB_INTERNAL.eventSeq]: 1 } }, { expression: 'attribute_exists(#pk)', names: { '#pk': PK } }),
        }),
      );
      seq = Number((res.Attributes as Item)[JOB_INTERNAL.eventSeq]);
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      throw new NotFoundError(`job ${event.jobId} not found`);
    }
    const stored: JobEvent = { ...event, seq };
    if (stored.data === undefined) delete stored.data;
    await this.db.send(new PutCommand({ TableName: this.table, Item: eventToItem(stored, await this.ttlOf(event.jobId)) }));
    return stored;
  }

  async listEvents(jobId: string, afterSeq = 0): Promise<JobEvent[]> {
    const items = await this.t.queryAll({
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': jobPk(jobId), ':from': eventSk(afterSeq + 1), ':to': eventSk(999_999_999) },
      ConsistentRead: true,
    });
    return items.filter(this.live).map(itemToEvent);
  }

  /** Deletes the tasks, events and chunks first and the job item last, so a crash leaves a retryable job. */
  async deleteJob(jobId: string): Promise<void> {
    this.expiries.delete(jobId);
    const keys = await this.t.queryAll({
      KeyConditionExpression: '#pk = :pk',
      ProjectionExpression: '#pk, #sk',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': jobPk(jobId) },
      ConsistentRead: true,
    });
    const children = keys.filter((k) => k[SK] !== jobKey(jobId)[SK]);
    for (let i = 0; i < children.length; i += 25) {
      await this.t.batchWrite(children.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })));
    }
    if (children.length < keys.length) await this.t.batchWrite([{ DeleteRequest: { Key: jobKey(jobId) } }]);
  }

  async listJobIdsUpdatedBefore(before: number): Promise<string[]> {
    const items = await this.t.queryPages({
      IndexName: jobsIndex.name,
      ProjectionExpression: '#id',
      KeyConditionExpression: '#g = :g',
      FilterExpression: '#u < :before',
      ExpressionAttributeNames: { '#g': jobsIndex.partitionKey, '#u': 'updatedAt', '#id': 'id' },
      ExpressionAttributeValues: { ':g': JOBS_INDEX_PK_VALUE, ':before': before },
    });
    return items.map((i) => i.id as string);
  }

  async close(): Promise<void> {
    if (this.opts.destroyClientOnClose) this.db.destroy();
  }
}
