import { JournalConflictError, JournalCorruptError, type ReleaseJournalStore, type StoredJournal } from '../k8s/release-journal-store.ts';
import { advanceJournal, parseDeployJournal, type DeployJournal, type JournalPhase } from './deploy-journal.ts';
import type { RunIdentity } from './run-identity.ts';

/**
 * Keeps this run's journal in the cluster: every transition is one write. The run holds the release's
 * Lease, so a conflicting write can only be a run that took an expired Lease over; the newest state of
 * this run still wins, because the journal is what the post phase and the next run act on.
 */
export class JournalKeeper {
  readonly #store: ReleaseJournalStore;
  readonly #now: () => Date;
  #stored: StoredJournal | undefined;
  #journal: DeployJournal;

  private constructor(store: ReleaseJournalStore, journal: DeployJournal, stored: StoredJournal | undefined, now: () => Date) {
    this.#store = store;
    this.#journal = journal;
    this.#stored = stored;
    this.#now = now;
  }

  /**
   * The journal a previous run left, if any. One that is not readable (hand-edited, say) is reported and
   * will be replaced by this run's: the release's own history is what repair and rollback go by.
   */
  static async previous(
    store: ReleaseJournalStore,
    warn: (message: string) => void,
  ): Promise<{ journal: DeployJournal | undefined; stored: StoredJournal | undefined }> {
    try {
      const stored = await store.read();
      return { journal: stored ? parseDeployJournal(stored.data) : undefined, stored };
    } catch (error) {
      if (!(error instanceof JournalCorruptError)) throw error;
      warn(`${error.message}; this run writes a new one`);
      return { journal: undefined, stored: { data: undefined, resourceVersion: error.resourceVersion } };
    }
  }

  /**
   * Starts this run's journal, carrying the bad revisions the previous one knew. Nothing is written
   * until the first transition: a run that stops before changing anything leaves the old journal as it was.
   */
  static begin(
    store: ReleaseJournalStore,
    previous: { journal: DeployJournal | undefined; stored: StoredJournal | undefined },
    start: { release: string; namespace: string; operation: DeployJournal['operation']; run: RunIdentity; now: () => Date },
  ): JournalKeeper {
    const at = start.now().toISOString();
    const journal: DeployJournal = {
      version: 1,
      release: start.release,
      namespace: start.namespace,
      operation: start.operation,
      phase: 'preparing',
      run: start.run,
      startedAt: at,
      updatedAt: at,
      badRevisions: previous.journal?.badRevisions ?? [],
      timeline: [],
    };
    return new JournalKeeper(store, journal, previous.stored, start.now);
  }

  /** Continues a journal read from the cluster (the post phase finishing what the main phase began). */
  static resume(store: ReleaseJournalStore, journal: DeployJournal, stored: StoredJournal, now: () => Date): JournalKeeper {
    return new JournalKeeper(store, journal, stored, now);
  }

  get journal(): DeployJournal {
    return this.#journal;
  }

  /** Records a transition and writes the journal. */
  async record(phase: JournalPhase, message: string, fields: Partial<DeployJournal> = {}): Promise<void> {
    this.#journal = advanceJournal(this.#journal, this.#now(), phase, message, fields);
    await this.#write();
  }

  /** Remembers a revision that failed its health watch, so that no later rollback picks it. */
  async markBad(revision: number): Promise<void> {
    if (this.#journal.badRevisions.includes(revision)) return;
    const badRevisions = [...this.#journal.badRevisions, revision].sort((a, b) => a - b).slice(-50);
    this.#journal = { ...this.#journal, badRevisions };
    await this.#write();
  }

  async #write(): Promise<void> {
    // Never cancelled: what the journal says must match what was done, above all after a cancel.
    const signal = AbortSignal.timeout(30_000);
    try {
      this.#stored = await this.#store.write(this.#journal, this.#stored, signal);
    } catch (error) {
      if (!(error instanceof JournalConflictError)) throw error;
      this.#stored = await this.#store.read(signal);
      this.#stored = await this.#store.write(this.#journal, this.#stored, signal);
    }
  }
}
