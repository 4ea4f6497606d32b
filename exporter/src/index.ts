export { Exporter, type ExporterOptions } from './exporter';
export { loadConfig, parseConfig, ConfigError, type Config, type ConfigInput } from './config';
export type { Recorder } from './sdk/recorder';
export type { Collector } from './collectors/collector';
export * from '@runboard/protocol';
