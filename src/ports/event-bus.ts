/**
 * Puts one event on an event bus (EventBridge's default bus on AWS; a recorder in the emulated home, which has
 * no EventBridge). `name` says where, for the delivery log.
 */
export interface EventBus {
  readonly name: string;
  publish(detailType: string, detail: object): Promise<void>;
}
