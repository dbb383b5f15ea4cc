/**
 * A small typed event emitter (after mediasoup's EnhancedEventEmitter): events are typed by
 * an event map, and an exception thrown by one listener never reaches the emitter's caller
 * nor stops the other listeners, so it cannot corrupt the emitter's state.
 */
// biome-ignore lint/suspicious/noExplicitAny: event maps are tuples of arbitrary argument types
export type EventMap = Record<string, any[]>;

type Listener = (...args: unknown[]) => void;

export class TypedEmitter<E extends EventMap> {
  private readonly listeners = new Map<keyof E, Array<Listener>>();
  /** Where listener exceptions go; defaults to swallowing them after recording the last one. */
  onListenerError: (event: string, err: unknown) => void = (event, err) => {
    this.lastListenerError = { event, err };
  };
  lastListenerError: { event: string; err: unknown } | undefined;

  on<K extends keyof E>(event: K, fn: (...args: E[K]) => void): this {
    const list = this.listeners.get(event) ?? [];
    list.push(fn as unknown as Listener);
    this.listeners.set(event, list);
    return this;
  }

  once<K extends keyof E>(event: K, fn: (...args: E[K]) => void): this {
    const wrapper = (...args: E[K]) => {
      this.off(event, wrapper);
      fn(...args);
    };
    return this.on(event, wrapper);
  }

  off<K extends keyof E>(event: K, fn: (...args: E[K]) => void): this {
    const list = this.listeners.get(event);
    if (!list) return this;
    const i = list.indexOf(fn as unknown as Listener);
    if (i >= 0) list.splice(i, 1);
    return this;
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const fn of [...list]) {
      try {
        (fn as unknown as (...a: E[K]) => void)(...args);
      } catch (err) {
        this.onListenerError(String(event), err);
      }
    }
    return true;
  }

  listenerCount(event: keyof E): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  removeAllListeners(): void {
    this.listeners.clear();
  }
}
