import { execFileSync } from 'node:child_process';

/** True when `file` runs (used to skip suites on machines without a tool; CI installs them all). */
export function hasTool(file: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(file, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const hasDockerRegistry = () => hasTool('/usr/bin/docker-registry', ['--version']);
