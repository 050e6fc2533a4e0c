/** Trivy's severities, lowest first. */
export const severities = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof severities)[number];

export function isSeverity(value: string): value is Severity {
  return (severities as readonly string[]).includes(value);
}

export function severityRank(severity: Severity): number {
  return severities.indexOf(severity);
}

export type SeverityCounts = Record<Severity, number>;

export function emptyCounts(): SeverityCounts {
  return { UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };
}
