// The SDK surface has one home, the SDK package, so the in-process embed (`Exporter`) and the
// remote client cannot drift apart; the exporter's modules take it from here.
export type { Recorder } from '@runboard/sdk';
