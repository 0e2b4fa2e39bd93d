/**
 * The ledger's one DynamoDB table, defined once for the CDK stack (src/infra/shardcast-stack.ts) and for the
 * tests that create it in dynalite. Items:
 *   job     pk = JOB#<jobId>  sk = JOB                  (+ gsiPk = JOB, createdAt: the jobs index)
 *   task    pk = JOB#<jobId>  sk = TASK#video#00012 | TASK#audio#00000
 *   event   pk = JOB#<jobId>  sk = EVT#000000001
 * Every item has `ttl` (epoch seconds). `listJobs` queries the sparse global secondary index `jobs` (only job
 * items carry `gsiPk`), newest first by `createdAt`, projecting only the summary fields; dynalite supports
 * GSIs, so the same code runs there. (A GSI is eventually consistent on AWS: a job created a moment ago may
 * be missing from `shardcast jobs` for a moment.)
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const LEDGER_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  jobsIndex: {
    name: 'jobs',
    partitionKey: 'gsiPk',
    sortKey: 'createdAt',
    /** What listJobs and listJobIdsUpdatedBefore read (the keys are projected too). */
    projected: ['id', 'status', 'backend', 'source', 'output', 'updatedAt', 'error'],
  },
} as const;

/** CreateTable input with the same keys and index as the CDK table (on-demand billing). */
export function ledgerCreateTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, jobsIndex } = LEDGER_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
      { AttributeName: jobsIndex.partitionKey, AttributeType: 'S' },
      { AttributeName: jobsIndex.sortKey, AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: jobsIndex.name,
        KeySchema: [
          { AttributeName: jobsIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: jobsIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...jobsIndex.projected] },
      },
    ],
  };
}
