import type { ConfigNode } from '../../config/config-document.ts';
import type { ConfigInput, ResolvedConfig, SectionInputs } from '../../config/resolve-config.ts';

/** Where a stage input came from: the file (a node to point at), the run's own inputs, or an earlier stage. */
export type InputSource = { kind: 'file'; node: ConfigNode } | { kind: 'run-input'; input: string } | { kind: 'chained'; from: string };

/** A stage's raw inputs as a host would hand them to the step, each with its source for error messages. */
export class StageInputs {
  readonly #values = new Map<string, { raw: string; source: InputSource }>();

  /** The file's section; later calls override earlier ones, so add the section first and chained values last. */
  addSection(section: SectionInputs | undefined, only?: readonly string[]): this {
    for (const [name, input] of section ?? []) if (!only || only.includes(name)) this.#setFile(name, input);
    return this;
  }

  #setFile(name: string, input: ConfigInput): void {
    this.#values.set(name, { raw: input.raw, source: { kind: 'file', node: input.node } });
  }

  /** A value of the run's own inputs (the Azure sign-in given on the command line or by the task). */
  addRunInput(name: string, raw: string | undefined, runInput = name): this {
    if (raw !== undefined && raw.trim() !== '') this.#values.set(name, { raw, source: { kind: 'run-input', input: runInput } });
    return this;
  }

  /** A value the run fills from an earlier stage (a layout, a digest, a kubeconfig). */
  chain(name: string, raw: string, from: string): this {
    this.#values.set(name, { raw, source: { kind: 'chained', from } });
    return this;
  }

  /** Sets a value only when nothing gave one (an image's name defaults to its key). */
  defaultTo(name: string, raw: string, source: InputSource): this {
    if (!this.#values.has(name)) this.#values.set(name, { raw, source });
    return this;
  }

  read = (name: string): string | undefined => this.#values.get(name)?.raw;

  sourceOf(name: string): InputSource | undefined {
    return this.#values.get(name)?.source;
  }
}

/** The Azure sign-in for an Azure-facing stage: the file's `azure` section, overridden by the run's own inputs. */
export function addAzureSignIn(inputs: StageInputs, config: ResolvedConfig, runInputs: ReadonlyMap<string, string>): StageInputs {
  inputs.addSection(config.azure);
  for (const [name, raw] of runInputs) inputs.addRunInput(name, raw);
  return inputs;
}
