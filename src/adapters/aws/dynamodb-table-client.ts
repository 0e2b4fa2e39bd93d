/** Paging and batching over one DynamoDB table: the loops every ledger query needs. */
import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Item } from './dynamodb-items.js';

type Query = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;

export class DynamoDbTableClient {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Items of a query, page by page, stopping once `limit` items are in (all when no limit). */
  async queryPages(input: Query, limit?: number): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          ...input,
          ExclusiveStartKey: start,
          ...(limit !== undefined ? { Limit: limit - items.length } : {}),
        }),
      );
      items.push(...((page.Items ?? []) as Item[]));
      start = page.LastEvaluatedKey;
    } while (start && (limit === undefined || items.length < limit));
    return items;
  }

  /** Every item of a query on the table, with consistent reads. */
  queryAll(input: Query): Promise<Item[]> {
    return this.queryPages({ ConsistentRead: true, ...input });
  }

  /** Items matching a query's filter (`count`) and items the key condition matched (`scanned`). */
  async count(input: Query): Promise<{ count: number; scanned: number }> {
    let count = 0;
    let scanned = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new QueryCommand({ TableName: this.table, Select: 'COUNT', ...input, ExclusiveStartKey: start }));
      count += page.Count ?? 0;
      scanned += page.ScannedCount ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return { count, scanned };
  }

  /** BatchWriteItem (at most 25 requests) with retries of unprocessed items, with jittered backoff. */
  async batchWrite(requests: Item[]): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt > 8) throw new Error(`DynamoDB left ${pending.length} writes unprocessed after ${attempt} attempts`);
      if (attempt) await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt) * Math.random()));
      const res = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } }));
      pending = res.UnprocessedItems?.[this.table] ?? [];
    }
  }
}
