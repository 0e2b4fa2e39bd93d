/**
 * The Backend contract against every home that runs here: local (SQLite, worker pool) and aws-emulated (the
 * state machine and Lambda handlers on DynamoDB and S3 emulators). `aws` is the aws-emulated implementation
 * with SDK clients for the deployed stack; no AWS account is reachable from the tests.
 */
import { openBackend } from '../../src/runtime/backend.js';
import { runBackendContract } from './backend-contract.js';

runBackendContract('local', (stateDir) => openBackend({ kind: 'local', stateDir, env: process.env }));
runBackendContract('aws-emulated', (stateDir) => openBackend({ kind: 'aws-emulated', stateDir, env: process.env }));
