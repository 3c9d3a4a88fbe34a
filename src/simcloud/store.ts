/**
 * The simulated cloud's state and its persistence: one JSON file, loaded on open and rewritten
 * whole on every save. Writes go to `<file>.tmp-<pid>-<n>` and are renamed over the file, so a
 * reader (or a crash) only ever sees a complete file; saves are serialized and coalesced, so two
 * writes never interleave and a burst of saves costs one or two writes.
 */
import { readJsonFile, writeFileAtomically } from '../system/atomic-file';
import type { SimCloudState } from './types';

/**
 * The maps keyed by what callers send (service names, idempotency keys) have no prototype: a
 * service named "constructor" or "__proto__" must find nothing, not Object's own members (found
 * by the fuzzer, FUZZ.md: GET /services/constructor answered 500, an apply to it failed).
 */
function dictionary<T>(entries: Record<string, T> = {}): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

export function emptyState(): SimCloudState {
  return { format: 1, seq: 0, services: dictionary(), resources: [], calls: [], idempotency: dictionary(), overrides: dictionary() };
}

export class SimCloudStore {
  private writing: Promise<void> | null = null;
  private dirty = false;
  private closed = false;

  private constructor(
    public state: SimCloudState,
    /** Undefined: in-memory only. */
    private readonly file: string | undefined,
  ) {}

  /** Loads `file` if it exists (a missing file is a fresh cloud); no file: in memory. */
  static async open(file?: string): Promise<SimCloudStore> {
    if (file === undefined) return new SimCloudStore(emptyState(), undefined);
    // A corrupt file is an error, never silently replaced: it is the only record of "the world".
    const parsed = await readJsonFile<SimCloudState>(file);
    if (parsed === undefined) return new SimCloudStore(emptyState(), file);
    if (parsed?.format !== 1 || typeof parsed.seq !== 'number') {
      throw new Error(`${file} is not a sim-cloud state file (format 1)`);
    }
    const state = { ...emptyState(), ...parsed };
    return new SimCloudStore(
      { ...state, services: dictionary(state.services), idempotency: dictionary(state.idempotency), overrides: dictionary(state.overrides) },
      file,
    );
  }

  /** Takes the next global sequence number. */
  nextSeq(): number {
    this.state.seq += 1;
    return this.state.seq;
  }

  reset(): void {
    this.state = emptyState();
  }

  /** Resolves once a write that includes the state as of this call is on disk. */
  save(): Promise<void> {
    if (this.file === undefined || this.closed) return Promise.resolve();
    this.dirty = true;
    if (!this.writing) this.writing = this.drain();
    return this.writing;
  }

  /** Writes what is pending; later saves are ignored (the process is letting go of the file). */
  async close(): Promise<void> {
    const pending = this.save();
    this.closed = true;
    await pending;
  }

  private async drain(): Promise<void> {
    try {
      // Re-checked after each write: saves that arrived meanwhile are covered by the next write.
      while (this.dirty) {
        this.dirty = false;
        await writeFileAtomically(this.file as string, JSON.stringify(this.state, null, 1));
      }
    } finally {
      // Cleared in the same tick as the last `dirty` check, so no save can attach to a finished drain.
      this.writing = null;
    }
  }
}
