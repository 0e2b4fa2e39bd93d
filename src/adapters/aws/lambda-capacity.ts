/**
 * What the account gives shardcast's encode function, read from the Lambda API: the one reader behind Analyze (each
 * job's concurrency), `estimate` and `deploy --reserved-concurrency`.
 */
import { GetAccountSettingsCommand, GetFunctionConcurrencyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { LambdaCapacity } from '../../core/concurrency.js';

/**
 * The account's unreserved concurrency and the encode function's reserved concurrency, read with the function's
 * own role (lambda:GetAccountSettings, lambda:GetFunctionConcurrency); a figure that cannot be read is left out.
 */
export async function readLambdaCapacity(encodeFunction: string | undefined): Promise<LambdaCapacity | undefined> {
  // One try, 3 s at most: a function in a VPC without a Lambda endpoint (storage=efs) cannot reach the API, and
  // the SDK's own retries of a connect timeout would take minutes of the Analyze function's run.
  const client = new LambdaClient({ maxAttempts: 1 });
  const abortSignal = AbortSignal.timeout(3000);
  try {
    const [account, reserved] = await Promise.all([
      client.send(new GetAccountSettingsCommand({}), { abortSignal }).catch(() => undefined),
      encodeFunction
        ? client.send(new GetFunctionConcurrencyCommand({ FunctionName: encodeFunction }), { abortSignal }).catch(() => undefined)
        : undefined,
    ]);
    const unreserved = account?.AccountLimit?.UnreservedConcurrentExecutions;
    const reservedForEncode = reserved?.ReservedConcurrentExecutions;
    if (unreserved === undefined && reservedForEncode === undefined) return undefined;
    return { ...(unreserved !== undefined ? { unreserved } : {}), ...(reservedForEncode !== undefined ? { reservedForEncode } : {}) };
  } finally {
    client.destroy();
  }
}
