/**
 * Uploads that start jobs: S3's "Object Created" event as EventBridge delivers it, the template from the key,
 * the output beside it under out/, and the parts of the job id (the same upload twice: one id; a new version or
 * a new ETag: another).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createdObjectOf, decodedS3Uri, triggeredJobOf, watchPrefixProblem, type CreatedObject } from '../../src/core/s3-trigger.js';
import { jobIdFor } from '../../src/runtime/process-identity.js';
import { objectCreatedEvent } from '../support/s3-events.js';

test('the object of an Object Created event, and nothing from other events', () => {
  assert.deepEqual(createdObjectOf(objectCreatedEvent('media', 'in/web-1080p/a.mov', { 'version-id': 'v2' })), {
    bucket: 'media',
    key: 'in/web-1080p/a.mov',
    size: 5,
    etag: 'b1946ac92492d2347c6235b4d2611184',
    versionId: 'v2',
  });
  assert.equal(createdObjectOf({ jobId: 'abcdef123456' }), undefined);
  assert.equal(createdObjectOf({ ...(objectCreatedEvent('m', 'in/x/a') as object), 'detail-type': 'Object Deleted' }), undefined);
  assert.equal(
    createdObjectOf({ source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'm' }, object: {} } }),
    undefined,
  );
});

test('the template from the key, the output under out/ with the same path', () => {
  const o = (key: string): CreatedObject => ({ bucket: 'media', key, etag: 'e1' });
  const a = triggeredJobOf(o('in/web-1080p/holiday/beach.MOV'));
  assert.ok(!('skip' in a));
  assert.equal(a.template, 'web-1080p');
  assert.equal(a.source, 's3://media/in/web-1080p/holiday/beach.MOV');
  assert.equal(a.outputFor('mp4'), 's3://media/out/web-1080p/holiday/beach.mp4');
  assert.equal(a.outputFor('hls'), 's3://media/out/web-1080p/holiday/beach/master.m3u8');
  const b = triggeredJobOf(o('uploads/hls-dash/talk.mkv'), 'uploads/', 'published/');
  assert.ok(!('skip' in b));
  assert.equal(b.outputFor('hls'), 's3://media/published/hls-dash/talk/master.m3u8');
  const skips: [string, RegExp][] = [
    ['other/web-1080p/a.mp4', /is not under in\//],
    ['in/a.mp4', /put uploads under in\/<template>\/ \(e\.g\. in\/web-1080p\/a\.mp4\)/],
    ['in/web-1080p/', /is a folder/],
    ['in/web-1080p/.hidden.mp4', /hidden or partial/],
    ['in/web-1080p/up.mp4.part', /hidden or partial/],
  ];
  for (const [key, why] of skips) {
    const r = triggeredJobOf(o(key));
    assert.ok('skip' in r && why.test(r.skip), `${key}: ${JSON.stringify(r)}`);
  }
});

test('one job id per upload: the version, else the ETag', () => {
  const id = (o: CreatedObject) => {
    const t = triggeredJobOf(o);
    assert.ok(!('skip' in t));
    return jobIdFor(...t.idParts);
  };
  const base = { bucket: 'media', key: 'in/web-1080p/a.mp4', etag: 'e1' };
  assert.equal(id(base), id({ ...base }), 'the same event twice');
  assert.match(id(base), /^[0-9a-f]{16}$/);
  assert.notEqual(id(base), id({ ...base, etag: 'e2' }), 'the object replaced (unversioned bucket)');
  assert.equal(id({ ...base, versionId: 'v1' }), id({ ...base, versionId: 'v1', etag: 'e9' }), 'a version names the upload');
  assert.notEqual(id({ ...base, versionId: 'v1' }), id({ ...base, versionId: 'v2' }));
  assert.notEqual(id(base), id({ ...base, key: 'in/web-720p/a.mp4' }));
});

test('keys as S3 notifications encode them, and prefixes that would loop', () => {
  assert.equal(decodedS3Uri('s3://b/in/web-720p/my+talk%C3%A9.mov'), 's3://b/in/web-720p/my talké.mov');
  assert.equal(decodedS3Uri('s3://b/in/x/plain.mov'), 's3://b/in/x/plain.mov');
  assert.equal(decodedS3Uri('s3://b/in/x/bad%zz.mov'), 's3://b/in/x/bad%zz.mov', 'not an encoding: as it is');
  assert.equal(watchPrefixProblem('in/', 'tmp/'), undefined);
  assert.match(watchPrefixProblem('out/', 'tmp/')!, /must not overlap out\/ \(the outputs\)/);
  assert.match(watchPrefixProblem('out/web/', 'tmp/')!, /overlap out\//);
  assert.match(watchPrefixProblem('tmp/', 'tmp/')!, /the temp files/);
});
