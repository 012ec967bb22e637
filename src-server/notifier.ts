// The notifier tells waiting requests (long-polls, event streams) about commits and library
// changes. The in-process one below serves a single server; several instances would share a
// notifier built on PostgreSQL LISTEN/NOTIFY or a message bus behind the same interface.

export type NotifierEvent =
  | { readonly kind: 'commit'; readonly libraryId: string; readonly headSeq: number }
  /** The library was created, renamed, deleted, restored or re-shared; userIds are everyone affected. */
  | { readonly kind: 'library'; readonly libraryId: string; readonly userIds: readonly string[] };

export type NotifierListener = (event: NotifierEvent) => void;

export interface Notifier {
  publish(event: NotifierEvent): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: NotifierListener): () => void;
}

export class InProcessNotifier implements Notifier {
  private readonly listeners = new Set<NotifierListener>();

  publish(event: NotifierEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        // A listener's failure is a bug in that listener; the others must still hear the event.
        console.error('notifier listener failed', error);
      }
    }
  }

  subscribe(listener: NotifierListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
