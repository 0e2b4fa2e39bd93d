/** EncodeSegment step (one Map item): encodes one video segment; a redelivered done segment is not encoded again. */
import { makeEncodeStep } from './encode-step.js';
import { lambdaHandler } from './lambda-entry.js';

export const encodeSegmentStep = makeEncodeStep('video');

export const handler = lambdaHandler(encodeSegmentStep);
