/** Small helpers shared by the benchmarks: percentiles and a printed table. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

export interface Row {
  readonly metric: string;
  readonly value: string;
  readonly target?: string;
}

export function printTable(title: string, rows: readonly Row[]): void {
  const width = Math.max(...rows.map((row) => row.metric.length));
  process.stdout.write(`\n${title}\n${'-'.repeat(title.length)}\n`);
  for (const row of rows) {
    process.stdout.write(
      `${row.metric.padEnd(width)}  ${row.value}${row.target ? `   (target ${row.target})` : ''}\n`,
    );
  }
}

export const fmt = (value: number, digits = 1) => value.toFixed(digits);

/** What the figures were measured on, printed with them. */
export function machine(): string {
  return `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${navigator.hardwareConcurrency} cores`;
}
