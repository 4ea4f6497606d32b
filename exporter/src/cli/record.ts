import type { Command } from 'commander';
export function registerRecord(_program: Command): void {}
