/**
 * Which backend a command runs on. Kept apart from workflow-commands.ts so that the CLI can decide without
 * loading the AWS SDK (about 0.4 s of start-up) for local commands.
 */
import type { Backend } from '../core/types.js';
import type { GlobalFlags } from './commands.js';

export interface BackendFlags extends GlobalFlags {
  backend?: Backend;
}

/** The flags of a command run on a workflow backend. */
export type WorkflowFlags = BackendFlags & Record<string, unknown>;

/** Whether a command runs on a workflow backend (anything but local). */
export function isWorkflowBackend(flags: BackendFlags): boolean {
  return flags.backend === 'aws' || flags.backend === 'aws-emulated';
}
