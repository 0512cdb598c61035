// Kubernetes resource quantities ("512Mi", "1Gi", "250m"), parsed and rendered the way the API
// server stores them. A manifest saying "1024Mi" is stored as "1Gi", and `kubectl apply
// --server-side` then sees two values for one field; canonical quantities apply cleanly.

const SUFFIXES: Record<string, { base: number; power: number }> = {
  '': { base: 1000, power: 0 },
  'k': { base: 1000, power: 1 }, 'M': { base: 1000, power: 2 }, 'G': { base: 1000, power: 3 },
  'T': { base: 1000, power: 4 }, 'P': { base: 1000, power: 5 },
  'Ki': { base: 1024, power: 1 }, 'Mi': { base: 1024, power: 2 }, 'Gi': { base: 1024, power: 3 },
  'Ti': { base: 1024, power: 4 }, 'Pi': { base: 1024, power: 5 },
};
const DECIMAL_UNITS = ['', 'k', 'M', 'G', 'T', 'P'];
const BINARY_UNITS = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
const BYTES = /^([0-9]+(?:\.[0-9]+)?)(k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/;
const CPU = /^([0-9]+(?:\.[0-9]+)?)(m)?$/;

/** A byte quantity: its value and whether it was written in binary (Ki, Mi, ...) units. */
export interface ByteQuantity {
  readonly bytes: number;
  readonly binary: boolean;
}

/** Parses "512Mi", "1.5Gi", "1G" or "1073741824"; undefined if it is not a whole number of bytes. */
export function parseBytes(value: string): ByteQuantity | undefined {
  const m = BYTES.exec(value);
  if (!m) return undefined;
  const unit = SUFFIXES[m[2] ?? ''];
  const bytes = Number(m[1]) * unit.base ** unit.power;
  if (!Number.isSafeInteger(bytes)) return undefined;
  return { bytes, binary: unit.base === 1024 };
}

/** The API server's form: the largest unit of the same family that keeps the number whole. */
export function canonicalBytes(q: ByteQuantity): string {
  const base = q.binary ? 1024 : 1000;
  const units = q.binary ? BINARY_UNITS : DECIMAL_UNITS;
  let i = 0;
  while (i + 1 < units.length && q.bytes % base ** (i + 1) === 0) i++;
  return `${q.bytes / base ** i}${units[i]}`;
}

/** Parses "250m", "1" or "0.5" into millicores; undefined if it is not a whole number of them. */
export function parseMillicores(value: string): number | undefined {
  const m = CPU.exec(value);
  if (!m) return undefined;
  const millis = m[2] ? Number(m[1]) : Number(m[1]) * 1000;
  return Number.isSafeInteger(millis) && millis > 0 ? millis : undefined;
}

/** "1" for 1000 millicores, "250m" otherwise, as the API server stores it. */
export function canonicalMillicores(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}
