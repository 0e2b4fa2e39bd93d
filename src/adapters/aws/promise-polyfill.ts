/**
 * `Promise.withResolvers` (Node 22+) for Node 20: aws-local-stepfunctions calls it when it runs a Task
 * state. Installs it once, only where it is missing.
 */
interface WithResolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

export function ensurePromiseWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: <T>() => WithResolvers<T> };
  if (typeof P.withResolvers === 'function') return;
  P.withResolvers = function withResolvers<T>(): WithResolvers<T> {
    let resolve!: WithResolvers<T>['resolve'];
    let reject!: WithResolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
