/** EncodeAudio step (the Parallel's second branch): encodes the whole audio track once. */
import { makeEncodeStep } from './encode-step.js';
import { lambdaHandler } from './lambda-entry.js';

export const encodeAudioStep = makeEncodeStep('audio');

export const handler = lambdaHandler(encodeAudioStep);
