// The typed event bus for observers (progress bars, history, the TUI, REST/SSE). Events never
// steer an export: hooks do. A listener that throws or returns a rejected promise is reported
// and ignored, so an observer can never break the pipeline or crash the process.
import { EventEmitter } from 'eventemitter3';
import type { ArtifactKind, JobResult, JobSpec } from './model.ts';
import { redactCredentialsDeep } from './redact-credentials.ts';

export interface ExportEvents {
  'job:start': { jobId: string; spec: JobSpec };
  'job:end': { jobId: string; result: JobResult };
  /**
   * The `write` stage tells how many bytes it expects to read from the source (`expectedBytes`),
   * `estimated` when a file's size is only the source's guess.
   */
  'stage:start': { jobId: string; stage: string; expectedBytes?: number | undefined; estimated?: boolean | undefined };
  'stage:end': { jobId: string; stage: string; durationMs: number; error?: string };
  /** `estimatedSize`: when `size` is unknown, the source's guess (see SourceFile.estimatedSize). */
  'file:start': { jobId: string; name: string; kind: ArtifactKind; size?: number | undefined; estimatedSize?: number | undefined };
  /**
   * Throttled: at most one every `progressIntervalMs` per file, plus a final one. `estimatedTotal`:
   * when `total` is unknown, the source's current guess, refined as the file is read.
   */
  'file:progress': { jobId: string; name: string; bytes: number; total?: number | undefined; estimatedTotal?: number | undefined; bytesPerSecond: number };
  'file:end': { jobId: string; name: string; kind: ArtifactKind; size: number; sha256: string };
  /** Bytes of one file sent to one storage target (uploads after the export, streamed uploads). */
  'target:progress': { jobId: string; target: string; name: string; bytes: number; total?: number | undefined };
  warning: { jobId?: string | undefined; message: string; plugin?: string | undefined };
  info: { jobId?: string | undefined; message: string; plugin?: string | undefined };
}

export type ExportEventName = keyof ExportEvents;
export type ExportEventListener<E extends ExportEventName> = (payload: ExportEvents[E]) => void;

type AnyListener = (payload: unknown) => void;

export class EventBus {
  readonly #emitter = new EventEmitter();
  // What `on`/`once` registered, by event and then by the caller's listener, so `off` removes
  // exactly that event's registrations: one listener may be on several events, or on one twice.
  readonly #wrapped = new Map<string, Map<AnyListener, Set<AnyListener>>>();
  readonly #onListenerError: (error: unknown, event: string) => void;

  constructor(onListenerError?: (error: unknown, event: string) => void) {
    this.#onListenerError =
      onListenerError ??
      ((error, event) => {
        process.emitWarning(`a listener of '${event}' failed: ${error instanceof Error ? error.message : String(error)}`);
      });
  }

  on<E extends ExportEventName>(event: E, listener: ExportEventListener<E>): this {
    this.#emitter.on(event, this.#guard(event, listener as AnyListener));
    return this;
  }

  once<E extends ExportEventName>(event: E, listener: ExportEventListener<E>): this {
    this.#emitter.once(event, this.#guard(event, listener as AnyListener, { once: true }));
    return this;
  }

  off<E extends ExportEventName>(event: E, listener: ExportEventListener<E>): this {
    const byListener = this.#wrapped.get(event);
    const registered = byListener?.get(listener as AnyListener);
    if (!byListener || !registered) return this;
    for (const guarded of registered) this.#emitter.off(event, guarded);
    byListener.delete(listener as AnyListener);
    return this;
  }

  /** Listens to every event; the callback gets the event name too (used by `--json`). */
  onAny(listener: (event: ExportEventName, payload: ExportEvents[ExportEventName]) => void): () => void {
    const names: ExportEventName[] = [
      'job:start',
      'job:end',
      'stage:start',
      'stage:end',
      'file:start',
      'file:progress',
      'file:end',
      'target:progress',
      'warning',
      'info',
    ];
    const detach = names.map((name) => {
      const each = (payload: ExportEvents[typeof name]) => listener(name, payload);
      this.on(name, each);
      return () => this.off(name, each);
    });
    return () => detach.forEach((fn) => fn());
  }

  emit<E extends ExportEventName>(event: E, payload: ExportEvents[E]): void {
    // No observer ever sees a password in a URL, whatever event carries it.
    this.#emitter.emit(event, redactCredentialsDeep(payload));
  }

  #guard(event: string, listener: AnyListener, { once = false } = {}): AnyListener {
    let byListener = this.#wrapped.get(event);
    if (!byListener) this.#wrapped.set(event, (byListener = new Map()));
    let registered = byListener.get(listener);
    if (!registered) byListener.set(listener, (registered = new Set()));
    const guarded: AnyListener = (payload) => {
      // A once listener is gone from the emitter when it runs; forget it here too.
      if (once) this.#forget(event, listener, guarded);
      try {
        const returned: unknown = listener(payload);
        if (returned instanceof Promise) returned.catch((error: unknown) => this.#onListenerError(error, event));
      } catch (error) {
        this.#onListenerError(error, event);
      }
    };
    registered.add(guarded);
    return guarded;
  }

  #forget(event: string, listener: AnyListener, guarded: AnyListener): void {
    const byListener = this.#wrapped.get(event);
    const registered = byListener?.get(listener);
    registered?.delete(guarded);
    if (registered?.size === 0) byListener?.delete(listener);
  }
}
