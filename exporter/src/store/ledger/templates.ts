/** Command templates: a command's saved parameter values under a name (table `templates`). */
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ParameterValue, Template } from '@runboard/protocol';
import { TemplateConflictError } from './errors';
import type { PutTemplateInput } from './types';

interface TemplateRow {
  id: string;
  command: string;
  name: string;
  parameters: string;
  created_at: number;
  updated_at: number;
}

function toTemplate(r: TemplateRow): Template {
  return {
    id: r.id,
    command: r.command,
    name: r.name,
    parameters: JSON.parse(r.parameters) as Record<string, ParameterValue>,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class TemplateStore {
  private readonly listAll: Database.Statement;
  private readonly listOf: Database.Statement;
  private readonly getOne: Database.Statement;
  private readonly byName: Database.Statement;
  private readonly insertOne: Database.Statement;
  private readonly updateOne: Database.Statement;
  private readonly deleteOne: Database.Statement;
  private readonly putTx: Database.Transaction<(t: PutTemplateInput) => Template>;

  constructor(db: Database.Database) {
    this.listAll = db.prepare(`SELECT * FROM templates ORDER BY command, name, id`);
    this.listOf = db.prepare(`SELECT * FROM templates WHERE command = ? ORDER BY name, id`);
    this.getOne = db.prepare(`SELECT * FROM templates WHERE id = ?`);
    this.byName = db.prepare(`SELECT * FROM templates WHERE command = ? AND name = ?`);
    this.insertOne = db.prepare(`INSERT INTO templates (id, command, name, parameters, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`);
    this.updateOne = db.prepare(`UPDATE templates SET command = ?, name = ?, parameters = ?, updated_at = ? WHERE id = ?`);
    this.deleteOne = db.prepare(`DELETE FROM templates WHERE id = ?`);
    this.putTx = db.transaction((t: PutTemplateInput): Template => {
      const now = Date.now();
      const params = JSON.stringify(t.parameters ?? {});
      const byName = this.byName.get(t.command, t.name) as TemplateRow | undefined;
      const target = t.id !== undefined ? (this.getOne.get(t.id) as TemplateRow | undefined) : byName;
      if (t.id !== undefined && byName && byName.id !== t.id) throw new TemplateConflictError(t.command, t.name, byName.id);
      if (target) {
        const updatedAt = Math.max(now, target.created_at);
        this.updateOne.run(t.command, t.name, params, updatedAt, target.id);
        return toTemplate({ ...target, command: t.command, name: t.name, parameters: params, updated_at: updatedAt });
      }
      const row: TemplateRow = { id: t.id ?? crypto.randomUUID(), command: t.command, name: t.name, parameters: params, created_at: now, updated_at: now };
      this.insertOne.run(row.id, row.command, row.name, row.parameters, row.created_at, row.updated_at);
      return toTemplate(row);
    });
  }

  list(command?: string): Template[] {
    const rows = (command === undefined ? this.listAll.all() : this.listOf.all(command)) as TemplateRow[];
    return rows.map(toTemplate);
  }

  get(id: string): Template | undefined {
    const row = this.getOne.get(id) as TemplateRow | undefined;
    return row ? toTemplate(row) : undefined;
  }

  /** See Ledger.putTemplate; one IMMEDIATE transaction, so the name check and the write are one. */
  put(input: PutTemplateInput): Template {
    return this.putTx.immediate(input);
  }

  delete(id: string): boolean {
    return this.deleteOne.run(id).changes > 0;
  }
}
