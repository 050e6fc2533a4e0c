/**
 * Values shorter than this (after trimming) are never masked. Masking a one-, two- or three-character
 * value would replace that text everywhere in the log (`a` in every word), which makes logs unreadable
 * and gives the value away by where the `***` appear; and a value that short has too little entropy to
 * be a secret anyone relies on. GitHub's and Azure's own maskers would do the same damage, so hosts
 * apply the same rule before add-mask / task.setsecret. The runner already used this floor for the
 * lines of multi-line secrets.
 */
export const minSecretLength = 4;

/** True when `value` is long enough to be masked (see {@link minSecretLength}). */
export function isMaskable(value: string | undefined): value is string {
  return value !== undefined && value.trim().length >= minSecretLength;
}

/**
 * Remembers secret values and replaces them with *** wherever text leaves the process
 * (command echo, captured stderr in errors, streamed tool output). Hosts mask on their side too;
 * this covers the CLI and anything that bypasses the host's own masking.
 */
export class Redactor {
  readonly #secrets = new Set<string>();

  /** Remembers `value`; returns false, remembering nothing, when it is too short to mask. */
  add(value: string | undefined): boolean {
    if (!isMaskable(value)) return false;
    this.#secrets.add(value);
    // Multi-line secrets (PEM keys) are also masked line by line, as GitHub does, because tools print them split.
    for (const line of value.split(/\r?\n/)) {
      if (isMaskable(line)) this.#secrets.add(line.trim());
    }
    return true;
  }

  /** True when `value` is one of the remembered secrets (or one line of one), e.g. an environment variable's value. */
  isSecret(value: string | undefined): boolean {
    return value !== undefined && (this.#secrets.has(value) || this.#secrets.has(value.trim()));
  }

  redact(text: string): string {
    if (this.#secrets.size === 0 || !text) return text;
    let out = text;
    // Longest first, so a secret that contains another is replaced whole.
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join('***');
    }
    return out;
  }
}
