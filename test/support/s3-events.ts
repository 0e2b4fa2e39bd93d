/** S3 events as EventBridge delivers them, for the tests of jobs started by uploads. */

/** An event as S3 sends it to EventBridge (the AWS documentation's example, trimmed). */
export function objectCreatedEvent(bucket: string, key: string, extra: Record<string, unknown> = {}): unknown {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2021-11-12T00:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size: 5, etag: 'b1946ac92492d2347c6235b4d2611184', sequencer: '00617F08299329D189', ...extra },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      reason: 'PutObject',
    },
  };
}
