/**
 * A prop or manifest value that cannot work, reported as soon as it is known.
 *
 * The message always names where (construct path), what (field and value) and how to fix it,
 * because the person reading it is usually looking at a synth failure, not at the code.
 */
export class ConfigurationError extends Error {
  constructor(
    public readonly constructPath: string,
    public readonly field: string,
    public readonly value: unknown,
    problem: string,
    fix: string,
  ) {
    super(describeProblem(constructPath, field, value, problem, fix));
    this.name = 'ConfigurationError';
  }
}

/** The one-line message format shared by constructor errors and synth-time validations. */
export function describeProblem(constructPath: string, field: string, value: unknown, problem: string, fix: string): string {
  const where = constructPath ? `[${constructPath}] ` : '';
  return `${where}${field}=${JSON.stringify(value)}: ${problem}. Fix: ${fix}`;
}
