/** What `jobs` and `status` print for a stopped job and a running segment (issue 27). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobsText, statusWord } from '../../src/cli/commands.js';
import type { JobSummary } from '../../src/core/types.js';

const job = (o: Partial<JobSummary>): JobSummary => ({
  id: 'abc123def456',
  status: 'done',
  backend: 'local',
  source: '/v/in.mkv',
  output: '/v/out.mp4',
  createdAt: 0,
  updatedAt: 0,
  segmentsDone: 3,
  segmentsTotal: 8,
  ...o,
});

describe('jobs and status in words', () => {
  it('a job the user stopped is "stopped", with the command that continues it', () => {
    assert.equal(statusWord('cancelled'), 'stopped');
    assert.equal(statusWord('encoding'), 'encoding');
    const line = jobsText([job({ status: 'cancelled' })]);
    assert.match(line, /^abc123def456 {2}stopped {3}/);
    assert.match(line, /`shardcast resume abc123def456` continues it/);
    assert.doesNotMatch(line, /cancelled/);
    assert.match(jobsText([job({ status: 'cancelled', backend: 'aws' })]), /`shardcast retry abc123def456 --backend aws`/);
  });

  it('a done job has no hint', () => {
    assert.doesNotMatch(jobsText([job({})]), /continues/);
  });
});
