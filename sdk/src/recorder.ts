import type { ActionRecord, EventRecord, LlmRecord, StateRecord } from '@runboard/protocol';

/**
 * The SDK surface, the same for the remote client (this package) and the exporter's in-process
 * embed (`Exporter` in runboard-exporter implements it too): a handful of verbs in the domain's
 * words. Records are the wire records without their `kind`.
 */
export interface Recorder {
  recordAction(rec: Omit<ActionRecord, 'kind'>): void;
  recordEvent(rec: Omit<EventRecord, 'kind'>): void;
  recordLlmCall(rec: Omit<LlmRecord, 'kind'>): void;
  setState(state: Omit<StateRecord, 'kind'>): void;
  /** Resolves once every record given so far is applied (remote: sent and acknowledged). */
  flush(): Promise<void>;
  close(): Promise<void>;
}
