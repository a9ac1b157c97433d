// Signal dispositions vaultenv owns: the SIGUSR1 guard against Node's inspector, and the small
// registry interface (process.on/off) the exec stage takes so unit tests can inject their own.
// Without a JS listener, SIGUSR1 makes Node open the inspector on 127.0.0.1:9229, inside a process
// that holds the Vault token and the secrets: anyone who can connect to that port could run code in
// it and read them.

export type SignalListener = (signal: NodeJS.Signals) => void;

/** The part of `process` that manages signal listeners. */
export interface SignalRegistry {
  on(signal: NodeJS.Signals, listener: SignalListener): unknown;
  off(signal: NodeJS.Signals, listener: SignalListener): unknown;
  listeners(signal: NodeJS.Signals): readonly unknown[];
}

/** The SIGUSR1 listener installed by guardInspectorSignal; it does nothing on purpose. */
export function inspectorGuard(): void {
  // Having a listener at all is the point: it replaces Node's "open the inspector" handler.
}

/**
 * Installs a no-op SIGUSR1 listener so a SIGUSR1 cannot open the inspector. Call it first thing.
 * Idempotent. The listener is left in place for the life of the process; the spawn fallback adds
 * its relay listener next to it and removes it only to die by a SIGUSR1 that killed the child.
 */
export function guardInspectorSignal(registry: SignalRegistry): void {
  if (!registry.listeners('SIGUSR1').includes(inspectorGuard)) registry.on('SIGUSR1', inspectorGuard);
}
