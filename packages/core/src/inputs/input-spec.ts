/**
 * Declarative description of a step's inputs and outputs. It is the single source for the strict parser
 * every host uses, for `slipway <step> --help`, and for the generated action.yml and task.json files.
 *
 * Every type but `multiline` is one line per value (or per item): after trimming, control characters
 * (newline, carriage return, tab, escape...) are refused, because such a value reaches argv, URLs and
 * file names, where a line break changes its meaning. A NUL byte is refused in every type.
 */
export type InputType =
  /** Free text, trimmed. */
  | 'string'
  /** Only `true` or `false` (any case); anything else is an error, never silently false. */
  | 'boolean'
  /** A safe integer within `min`/`max`. */
  | 'integer'
  /** `90`, `90s`, `5m`, `1h30m`: parsed to milliseconds, at most `max` (default 7 days). */
  | 'duration'
  /** One of `allowed`. */
  | 'enum'
  /** Items separated by newlines or commas; blank items dropped; each one of `allowed` when given. */
  | 'list'
  /** Items separated by newlines only (items may contain commas, e.g. `id=x,src=y`). */
  | 'lines'
  /** `KEY=VALUE` per line; the value may contain `=` and commas. */
  | 'map'
  /** Text kept as written (YAML documents, scripts); line breaks and tabs allowed. */
  | 'multiline';

export interface InputSpec {
  /** kebab-case, the same in every host: `build-args`. */
  readonly name: string;
  readonly type: InputType;
  readonly description: string;
  readonly required?: boolean;
  /** Applied by the parser when the host gives nothing; shown in generated metadata. */
  readonly default?: string;
  /** Masked in every host as soon as it is read; never echoed. */
  readonly secret?: boolean;
  /**
   * The only values an `enum`, or each item of a `list`, may take; matched ignoring case and returned
   * as spelled here. The parsed value is typed as the union of these literals.
   */
  readonly allowed?: readonly string[];
  /** Bounds of an `integer`; of a `duration`, in milliseconds (durations default to at most 7 days). */
  readonly min?: number;
  readonly max?: number;
  /** Task metadata: the group the input is shown under in the Azure Pipelines editor. */
  readonly group?: string;
  /** Task metadata: when the input is shown, e.g. `builder = buildx`. */
  readonly visibleRule?: string;
  /** What a valid value looks like; used in error messages and help. */
  readonly example?: string;
  /** Hosts that offer this input (default: all). Host-specific inputs never reach the engine's logic. */
  readonly hosts?: readonly HostKind[];
  /** Task metadata: an Azure Pipelines input type other than the one derived from `type`. */
  readonly taskInputType?: string;
}

export type HostKind = 'github' | 'azure-pipelines' | 'cli';

export interface OutputSpec {
  readonly name: string;
  readonly description: string;
}

export interface InputGroupSpec {
  readonly name: string;
  readonly displayName: string;
  readonly isExpanded?: boolean;
}

export interface StepSpec {
  /** kebab-case step id: the action folder and the CLI sub-command. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** Azure Pipelines task name, e.g. `SlipwayBuildV1`; also its folder. */
  readonly taskName: string;
  /** Azure Pipelines task GUID; never changes once published. */
  readonly taskId: string;
  readonly taskVersion: { readonly major: number; readonly minor: number; readonly patch: number };
  readonly groups: readonly InputGroupSpec[];
  readonly inputs: readonly InputSpec[];
  readonly outputs: readonly OutputSpec[];
  /** GitHub Marketplace branding. */
  readonly branding: { readonly icon: string; readonly color: string };
  /**
   * The step has a post phase: cleanup after the job — GitHub `post:`, Azure Pipelines post-job, CLI exit.
   * The generated action.yml and task.json then declare a post entry that runs the step's `post` phase.
   */
  readonly postPhase?: boolean;
  /**
   * The step writes kubeconfigs whose exec entries run Slipway's `kube-token` credential plugin: the
   * generated action and task folders then carry a kube-token entry beside their main entry, which
   * kubectl runs in later steps of the job (the CLI runs `slipway kube-token`).
   */
  readonly kubeTokenPlugin?: boolean;
}

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** The literals of `allowed`, when the spec lists them; otherwise any string. */
type AllowedOf<I extends InputSpec> = I extends { readonly allowed: readonly (infer A extends string)[] } ? A : string;

type ValueOf<I extends InputSpec> = I['type'] extends 'boolean'
  ? boolean
  : I['type'] extends 'integer' | 'duration'
    ? number
    : I['type'] extends 'enum'
      ? AllowedOf<I>
      : I['type'] extends 'list'
        ? AllowedOf<I>[]
        : I['type'] extends 'lines'
          ? string[]
          : I['type'] extends 'map'
            ? Record<string, string>
            : string;

type AlwaysPresent<I extends InputSpec> = I extends { readonly required: true }
  ? true
  : I extends { readonly default: string }
    ? true
    : I['type'] extends 'list' | 'lines' | 'map' | 'boolean'
      ? true
      : false;

/** The typed object the parser returns: `build-args` becomes `buildArgs`, with the parsed type. */
export type InputValues<S extends readonly InputSpec[]> = {
  [I in S[number] as CamelCase<I['name']>]: AlwaysPresent<I> extends true ? ValueOf<I> : ValueOf<I> | undefined;
};

/** `build-args` -> `buildArgs`. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
