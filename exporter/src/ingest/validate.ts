import type { z } from 'zod';
import { ingestRecordSchema, type IngestRecord } from '@runboard/protocol';
import { describeValue, valueAt } from '../config';
import { compileFastCheck } from './fast-check';

/** True only for records zod accepts unchanged; anything else goes through zod (see fast-check.ts). */
export const isValidRecord = compileFastCheck(ingestRecordSchema);

export class IngestError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly code: 'invalid_record' | 'too_many_records' | 'invalid_body',
  ) {
    super(`${field}: ${reason}`);
  }
}

/**
 * Validates an ingest body: one record, an array of records, or `{ "records": [...] }`.
 * A batch is all-or-nothing: the first invalid record rejects the whole batch with its index,
 * field and reason, so a client can fix and resend it without duplicating the valid part.
 */
export function validateIngestBody(body: unknown, maxRecords: number): IngestRecord[] {
  let items: unknown[];
  let prefix: string;
  if (Array.isArray(body)) {
    items = body;
    prefix = 'records';
  } else if (body !== null && typeof body === 'object' && 'records' in body && !('kind' in body)) {
    const keys = Object.keys(body);
    if (keys.length !== 1) {
      throw new IngestError(
        keys.find((k) => k !== 'records')!,
        'unknown key (expected only "records")',
        'invalid_body',
      );
    }
    const records = (body as { records: unknown }).records;
    if (!Array.isArray(records)) throw new IngestError('records', `expected array, got ${describeValue(records)}`, 'invalid_body');
    items = records;
    prefix = 'records';
  } else if (body !== null && typeof body === 'object') {
    items = [body];
    prefix = '';
  } else {
    throw new IngestError('body', `expected a record, an array of records or {"records": [...]}, got ${describeValue(body)}`, 'invalid_body');
  }
  if (items.length > maxRecords) {
    throw new IngestError(prefix || 'records', `batch has ${items.length} records, more than the limit of ${maxRecords} (limits.batchRecords)`, 'too_many_records');
  }
  const out: IngestRecord[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    if (isValidRecord(items[i])) {
      out[i] = items[i] as IngestRecord;
      continue;
    }
    const parsed = ingestRecordSchema.safeParse(items[i]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = prefix ? `${prefix}[${i}]` : '';
      throw new IngestError(fieldOf(at, issue), reasonOf(issue, items[i]), 'invalid_record');
    }
    out[i] = parsed.data;
  }
  return out;
}

function fieldOf(at: string, issue: z.core.$ZodIssue): string {
  const parts = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') parts.push(issue.keys[0]);
  if (issue.code === 'invalid_union' && parts.length === 0) parts.push('kind');
  const path = parts.join('.');
  if (!at) return path || 'body';
  return path ? `${at}.${path}` : at;
}

function reasonOf(issue: z.core.$ZodIssue, item: unknown): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return 'unknown field';
    case 'invalid_union':
      if (item === null || typeof item !== 'object' || Array.isArray(item)) return `expected a record object, got ${describeValue(item)}`;
      return 'kind must be one of action, event, llm, state';
    case 'invalid_type': {
      const value = valueAt(item, issue.path);
      if (value === undefined) return `is required (${issue.expected})`;
      if (typeof value === 'number' && !Number.isFinite(value)) return `expected a finite number, got ${value}`;
      return `expected ${issue.expected}, got ${describeValue(value)}`;
    }
    default:
      return issue.message;
  }
}
