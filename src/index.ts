/** shardcast's library API. */
export { transcode, resume, retry, status, jobs } from './runtime/library-api.js';
export type { TranscodeApiOptions, ApiOptions, TranscodeSettings, TranscodeEvent, JobHandle } from './runtime/library-api.js';
export { listTemplates, type TemplateCatalog } from './runtime/templates.js';
export { loadTemplateCatalog, readTemplateCatalog } from './runtime/template-files.js';
export { BUILTIN_TEMPLATES, type Template } from './core/templates.js';
export type { JobView } from './app/job-view.js';
export * from './core/errors.js';
export type * from './core/types.js';
export { planSegments, defaultSegmentSeconds } from './core/plan-segments.js';
export { buildSegmentEncodeArgs, buildAudioEncodeArgs, buildConcatList } from './core/ffmpeg-args.js';
export { buildMergeArgs } from './core/merge-args.js';
export { verifyWebhookSignature } from './runtime/verify-webhook.js';
export { SIGNATURE_HEADER, EVENT_HEADER, DELIVERY_HEADER } from './core/webhook-signature.js';
export type { WebhookPayload } from './core/webhook-payload.js';
export { startNotifier, type RunningNotifier } from './runtime/start-notifier.js';
