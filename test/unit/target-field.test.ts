/**
 * The dashboard's quality target: the new-job form's `targetQuality` field ("metric:value", none for no metric or
 * an HLS ladder) and the jobs list's target text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listTargetText, TARGET_DEFAULTS, targetQualityField } from '../../web/src/target-field.js';

describe('the form’s targetQuality field', () => {
  it('is metric:value, the value as typed', () => {
    assert.equal(targetQualityField('psnr', '38', 'mp4'), 'psnr:38');
    assert.equal(targetQualityField('ssim', ' 0.97 ', 'mkv'), 'ssim:0.97');
    assert.equal(targetQualityField('vmaf', '95.5', 'webm'), 'vmaf:95.5');
  });
  it('a blank value is the metric’s default', () => {
    assert.deepEqual(TARGET_DEFAULTS, { psnr: 40, ssim: 0.985, vmaf: 93 });
    assert.equal(targetQualityField('psnr', '', 'mp4'), 'psnr:40');
    assert.equal(targetQualityField('ssim', '  ', 'mp4'), 'ssim:0.985');
    assert.equal(targetQualityField('vmaf', '', 'mov'), 'vmaf:93');
  });
  it('is absent with no metric, an unknown one, or an HLS ladder', () => {
    assert.equal(targetQualityField('', '40', 'mp4'), undefined);
    assert.equal(targetQualityField('toString', '40', 'mp4'), undefined, 'not a key of the defaults’ prototype');
    assert.equal(targetQualityField('psnr', '40', 'hls'), undefined);
  });
});

describe('the jobs list’s target text', () => {
  const t = { metric: 'psnr' as const, value: 38, label: 'psnr 38 ±0.5 dB', segments: 4, scored: 4, inBand: 3 };
  it('names the metric, the value and the segments in band', () => {
    assert.equal(listTargetText(t), 'psnr 38 · 3/4 in band');
    assert.equal(listTargetText({ ...t, metric: 'ssim', value: 0.985, inBand: 4 }), 'ssim 0.985 · 4/4 in band');
  });
  it('says how many segments are not scored yet', () => {
    assert.equal(listTargetText({ ...t, scored: 1, inBand: 1 }), 'psnr 38 · 1/4 in band · 3 not scored yet');
  });
  it('is empty without a target', () => assert.equal(listTargetText(undefined), ''));
});
