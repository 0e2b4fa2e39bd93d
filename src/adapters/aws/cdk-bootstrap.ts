/**
 * Whether the account and region the credentials point at are bootstrapped for the CDK, read as the CDK CLI
 * reads it: the SSM parameter the bootstrap stack writes (default qualifier). The stack's template asks for
 * bootstrap version 6 or later (aws-cdk-lib's CheckBootstrapVersion rule), so an older one fails the deploy too.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { UsageError } from '../../core/errors.js';

export const BOOTSTRAP_VERSION_PARAMETER = '/cdk-bootstrap/hnb659fds/version';
export const MIN_BOOTSTRAP_VERSION = 6;

/** The bootstrap version, or undefined when the account/region was never bootstrapped. */
export async function cdkBootstrapVersion(client: SSMClient = new SSMClient({})): Promise<number | undefined> {
  try {
    const r = await client.send(new GetParameterCommand({ Name: BOOTSTRAP_VERSION_PARAMETER }));
    return Number(r.Parameter?.Value);
  } catch (err) {
    const e = err as Error & { name?: string };
    if (e.name === 'ParameterNotFound') return undefined;
    if (/region is missing/i.test(e.message)) throw new UsageError('no AWS region: set AWS_REGION (or a region in your AWS profile)');
    if (e.name === 'CredentialsProviderError' || /credential/i.test(e.message))
      throw new UsageError(`no usable AWS credentials: ${e.message}`);
    throw new UsageError(`cannot check the CDK bootstrap (SSM ${BOOTSTRAP_VERSION_PARAMETER}): ${e.name ?? 'error'}: ${e.message}`);
  } finally {
    client.destroy();
  }
}

/** Throws a UsageError naming the command to run unless the account/region is bootstrapped recently enough. */
export async function requireCdkBootstrap(bootstrapCommand: string, client: SSMClient = new SSMClient({})): Promise<number> {
  const region = await client.config.region().catch(() => undefined);
  const version = await cdkBootstrapVersion(client);
  const where = region ? ` (region ${region})` : '';
  if (version === undefined)
    throw new UsageError(`this AWS account${where} is not bootstrapped for the CDK: run \`${bootstrapCommand}\` once, then deploy again`);
  if (!(version >= MIN_BOOTSTRAP_VERSION))
    throw new UsageError(
      `this AWS account${where} has CDK bootstrap version ${version}; the stack needs ${MIN_BOOTSTRAP_VERSION} or later: run \`${bootstrapCommand}\``,
    );
  return version;
}
