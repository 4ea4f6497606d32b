import type { Command } from 'commander';
export function registerQuery(_program: Command): void {}
