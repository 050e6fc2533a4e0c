/**
 * Remembers secret values and replaces them with *** wherever text leaves the process
 * (command echo, captured stderr in errors, streamed tool output). Hosts mask on their side too;
 * this covers the CLI and anything that bypasses the host's own masking.
 */
export class Redactor {
  readonly #secrets = new Set<string>();

  add(value: string | undefined): void {
    if (!value) return;
    this.#secrets.add(value);
    // Multi-line secrets (PEM keys) are also masked line by line, as GitHub does, because tools print them split.
    for (const line of value.split(/\r?\n/)) {
      if (line.trim().length >= 4) this.#secrets.add(line.trim());
    }
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
