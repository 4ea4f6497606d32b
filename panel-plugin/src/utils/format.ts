/** Text for run facts: durations, elapsed time, tokens and cost. */

/** 0.85 → "850 ms", 12.34 → "12.3 s", 185 → "3m 05s", 7322 → "2h 02m". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return '—';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1)} s`;
  }
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}h ${pad(m)}m` : `${m}m ${pad(s)}s`;
}

/** A ticking clock: whole seconds, "0:07", "12:34", "1:02:03". */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** Amounts under a dollar keep up to four decimals (LLM calls cost fractions of a cent): $0.0125, $0.50, $1,234.00. */
export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) {
    return '—';
  }
  if (usd === 0) {
    return '$0';
  }
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: usd < 1 ? 4 : 2 })}`;
}

export function formatTokens(input: number, output: number): string {
  if (!input && !output) {
    return '—';
  }
  return `${input.toLocaleString('en-US')} in / ${output.toLocaleString('en-US')} out`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
