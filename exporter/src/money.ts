/**
 * US-dollar amounts are kept to whole nano-dollars (1e-9 USD, README "Commands, runs, templates
 * and costs"): every cost is rounded to that on the way in and every sum after each addition.
 * A sum of binary floats drifts off the decimal value (0.1 + 0.2 = 0.30000000000000004);
 * rounded to nine decimals it is the double closest to the exact decimal sum, which prints
 * without noise. Nine decimals hold a single token at list prices ($0.01 per million tokens is
 * 1e-8 per token), and sums stay exact up to about $9,000,000 (2^53 nano-dollars).
 */
const PER_USD = 1e9;

/** `usd` rounded to whole nano-dollars. */
export function roundUsd(usd: number): number {
  return Math.round(usd * PER_USD) / PER_USD;
}

/** The decimals SQLite's round() keeps for the same rounding in SQL. */
export const USD_DECIMALS = 9;
