// Waiting on a client's events: tests synchronise on what happened, never on
// sleeps. Each wait has a deadline only so that a broken client fails the
// test instead of hanging it.

import type { CitadelClient, ClientEvents } from '../../dist/node';

export function nextEvent<K extends keyof ClientEvents>(
  client: CitadelClient,
  name: K,
  predicate: (event: ClientEvents[K]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no '${String(name)}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.on(name, (event) => {
      if (!predicate(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

/** Every `name` event from now on, in order. */
export function collect<K extends keyof ClientEvents>(client: CitadelClient, name: K): ClientEvents[K][] {
  const events: ClientEvents[K][] = [];
  client.on(name, (event) => events.push(event));
  return events;
}

/** A device id unique to this test run (guest accounts are bound to it). */
let counter = 0;
export function deviceId(label: string): string {
  counter += 1;
  return `ts-sdk-${label}-${process.pid}-${counter}`;
}
