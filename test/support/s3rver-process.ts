// The s3rver launcher lives in src/ (the aws-emulated backend uses it too); tests import it from here.
export { startS3rver, S3RVER_CREDENTIALS, type S3rverProcess } from '../../src/adapters/aws/s3rver-process.js';
