import { stringify } from 'yaml';
import { type InputSpec, nearestWord } from '../inputs/index.ts';
import { type ConfigList, type ConfigMapping, type ConfigNode, keyPosition, parseConfigDocument, plainOf } from './config-document.ts';
import type { ConfigProblems } from './config-problems.ts';
import { type ConfigSection, configSections, environmentSections, type SectionName, topLevelKeys } from './config-sections.ts';
import { expandVariables } from './expand-variables.ts';

/** One input of a stage as a host would hand it over (raw text), with the node it was written at. */
export interface ConfigInput {
  readonly raw: string;
  readonly node: ConfigNode;
}

/** A section's inputs by input name (after `renames`), ready for the step's own parser and validation. */
export type SectionInputs = ReadonlyMap<string, ConfigInput>;

/** `slipway.yaml` for one environment: each section's inputs, with environment overrides applied. */
export interface ResolvedConfig {
  readonly environment: string | undefined;
  readonly azure: SectionInputs;
  /** By image name, in file order. */
  readonly images: ReadonlyMap<string, { readonly node: ConfigNode; readonly inputs: SectionInputs }>;
  readonly scan: SectionInputs;
  readonly registry: SectionInputs | undefined;
  readonly cluster: SectionInputs | undefined;
  readonly deploy: SectionInputs | undefined;
  /** Values that came from a secret key's variable: to mask before anything is logged. */
  readonly secrets: readonly string[];
  /** The document root, for problems about a missing section. */
  readonly root: ConfigNode;
}

export interface ResolveConfigOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The environment to resolve (`--environment`); undefined for the base sections only. */
  readonly environment?: string | undefined;
}

const supportedVersions = ['1'];

/**
 * Reads `slipway.yaml` text into per-section step inputs. Every problem goes to `problems` with its
 * position: unknown keys (with the nearest known one), wrong shapes, a missing or unknown version, an
 * unknown environment, variables that are not set, secrets written in the file. The steps' own
 * validation of the values comes later (it knows each input's rules); this checks the file's shape.
 */
export function resolveConfig(text: string, options: ResolveConfigOptions, problems: ConfigProblems): ResolvedConfig | undefined {
  const root = parseConfigDocument(text, problems);
  if (!root) return undefined;
  if (root.kind !== 'mapping') {
    problems.add(root.at, '', 'must be a mapping of sections (version, images, scan, registry, cluster, deploy, environments)');
    return undefined;
  }
  checkKeys(root, topLevelKeys, problems);
  checkVersion(root, problems);

  const secrets: string[] = [];
  const section = (name: SectionName, overrides: ConfigMapping | undefined) => {
    const base = mappingAt(root, name, problems);
    const override = overrides ? mappingAt(overrides, name, problems) : undefined;
    if (!base && !override) return undefined;
    return sectionInputs(configSections[name], [base, override], options.env, problems, secrets);
  };

  const environment = selectEnvironment(root, options.environment, problems);
  const images = new Map<string, { node: ConfigNode; inputs: SectionInputs }>();
  const imagesNode = mappingAt(root, 'images', problems);
  for (const [name, node] of imagesNode?.entries ?? []) {
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
      problems.add(node.at, node.path, 'an image name is lowercase letters, digits, `.`, `_` and `-`');
    }
    if (node.kind !== 'mapping') {
      problems.add(node.at, node.path, 'must be a mapping of build settings (context, file, target, build-args, tags…)');
      continue;
    }
    images.set(name, { node, inputs: sectionInputs(configSections.images, [node], options.env, problems, secrets) });
  }
  return {
    environment: options.environment,
    azure: section('azure', undefined) ?? new Map(),
    images,
    scan: section('scan', environment) ?? new Map(),
    registry: section('registry', environment),
    cluster: section('cluster', environment),
    deploy: section('deploy', environment),
    secrets,
    root,
  };
}

function checkVersion(root: ConfigMapping, problems: ConfigProblems): void {
  const version = root.entries.get('version');
  if (!version) {
    problems.add(root.at, 'version', 'is required: write `version: 1` at the top');
    return;
  }
  if (version.kind !== 'scalar' || !supportedVersions.includes(version.text.trim())) {
    problems.add(version.at, 'version', `must be ${supportedVersions.join(' or ')} (this Slipway reads version 1 files)`);
  }
}

/** The chosen environment's overrides, checked; every environment's keys are checked, chosen or not. */
function selectEnvironment(root: ConfigMapping, chosen: string | undefined, problems: ConfigProblems): ConfigMapping | undefined {
  const environments = mappingAt(root, 'environments', problems);
  for (const [, node] of environments?.entries ?? []) {
    if (node.kind !== 'mapping') {
      problems.add(node.at, node.path, `must be a mapping of the sections it overrides (${environmentSections.join(', ')})`);
      continue;
    }
    checkKeys(node, environmentSections, problems);
    for (const name of environmentSections) {
      const sectionNode = mappingAt(node, name, problems);
      if (sectionNode) checkKeys(sectionNode, sectionKeyNames(configSections[name]), problems);
    }
  }
  const names = [...(environments?.entries.keys() ?? [])];
  if (chosen === undefined) {
    if (environments && names.length > 0) {
      problems.add(
        keyPosition(environments),
        'environments',
        `the file defines environments (${names.join(', ')}): choose one with \`environment\` (--environment)`,
      );
    }
    return undefined;
  }
  const node = environments?.entries.get(chosen);
  if (!node) {
    const near = nearestWord(chosen, names);
    const known = names.length > 0 ? `defined: ${names.join(', ')}` : 'the file defines no environments';
    problems.add(
      environments ? keyPosition(environments) : root.at,
      'environments',
      `has no environment '${chosen}' (${known})${near ? `; did you mean '${near}'?` : ''}`,
    );
    return undefined;
  }
  return node.kind === 'mapping' ? node : undefined;
}

function mappingAt(parent: ConfigMapping, key: string, problems: ConfigProblems): ConfigMapping | undefined {
  const node = parent.entries.get(key);
  if (!node) return undefined;
  if (node.kind === 'mapping') return node;
  if (node.kind === 'scalar' && node.text === '') return undefined;
  problems.add(node.at, node.path, 'must be a mapping');
  return undefined;
}

function sectionKeyNames(section: ConfigSection): string[] {
  return section.keys.map((key) => key.name);
}

function checkKeys(node: ConfigMapping, known: readonly string[], problems: ConfigProblems): void {
  for (const [key, value] of node.entries) {
    if (known.includes(key)) continue;
    const near = nearestWord(key, known);
    problems.add(keyPosition(value), value.path, near ? `unknown key (did you mean '${near}'?)` : `unknown key; known: ${known.join(', ')}`);
  }
}

/** The inputs of one section: later layers (an environment) override earlier ones key by key. */
function sectionInputs(
  section: ConfigSection,
  layers: readonly (ConfigMapping | undefined)[],
  env: ResolveConfigOptions['env'],
  problems: ConfigProblems,
  secrets: string[],
): SectionInputs {
  const merged = new Map<string, ConfigNode>();
  for (const layer of layers) {
    if (!layer) continue;
    checkKeys(layer, sectionKeyNames(section), problems);
    for (const [key, node] of layer.entries) merged.set(key, node);
  }
  const inputs = new Map<string, ConfigInput>();
  for (const [key, node] of merged) {
    const spec = section.keys.find((candidate) => candidate.name === key);
    if (!spec) continue;
    if (spec.secret && !writtenAsVariables(node, problems)) continue;
    const expanded = expandVariables(node, env, problems);
    if (!expanded) continue;
    if (spec.secret) for (const part of secretParts(expanded)) secrets.push(part.value);
    const raw = rawInputOf(spec, expanded, problems);
    if (raw !== undefined) inputs.set(section.renames?.[key] ?? key, { raw, node });
  }
  // Keys of the file's own (a renamed input): a step's required inputs are reported by its own validation.
  for (const spec of section.keys) {
    if (spec.required && section.renames?.[spec.name] !== undefined && !merged.has(spec.name)) {
      const where = layers.find((layer) => layer !== undefined);
      if (where) problems.add(keyPosition(where), where.path, `needs \`${spec.name}\``, spec.example ? `e.g. ${spec.name}: ${spec.example}` : undefined);
    }
  }
  return inputs;
}

const wholeVariable = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/**
 * The secret values a secret key holds: the text of a single value, each value of a mapping
 * (`secrets: {npm: ${NPM_TOKEN}}`), the part after `=` of each `id=VALUE` item of a list.
 */
function secretParts(node: ConfigNode): { node: ConfigNode; value: string }[] {
  if (node.kind === 'scalar') return node.text ? [{ node, value: node.text }] : [];
  if (node.kind === 'mapping') return [...node.entries.values()].flatMap(secretParts);
  return node.items.flatMap((item) =>
    item.kind === 'scalar' && item.text.includes('=') ? [{ node: item, value: item.text.slice(item.text.indexOf('=') + 1) }] : secretParts(item),
  );
}

/**
 * A secret is never written in the file: each of its values must be one `${VAR}` reference, so the
 * file can be committed and the value stays in the CI's secret store.
 */
function writtenAsVariables(node: ConfigNode, problems: ConfigProblems): boolean {
  let ok = true;
  for (const part of secretParts(node)) {
    if (wholeVariable.test(part.value.trim())) continue;
    problems.add(part.node.at, part.node.path, 'is a secret: never write it in the file; write `${ENV_VAR}` and set the variable from your CI secret store');
    ok = false;
  }
  return ok;
}

/** The text a host would hand the step for this input: lists one item per line, maps `KEY=VALUE`, YAML for YAML inputs. */
function rawInputOf(spec: InputSpec, node: ConfigNode, problems: ConfigProblems): string | undefined {
  if (node.kind === 'scalar') return node.text;
  switch (spec.type) {
    case 'multiline':
      return stringify(plainOf(node));
    case 'list':
    case 'lines':
    case 'map':
      return node.kind === 'list' ? scalarLines(node, problems) : mapLines(node, spec, problems);
    default:
      problems.add(
        node.at,
        node.path,
        `must be a single value, not a ${node.kind === 'list' ? 'list' : 'mapping'}`,
        spec.example ? `e.g. ${spec.example}` : undefined,
      );
      return undefined;
  }
}

function scalarLines(node: ConfigList, problems: ConfigProblems): string | undefined {
  const lines: string[] = [];
  for (const item of node.items) {
    if (item.kind !== 'scalar') problems.add(item.at, item.path, 'must be a single value');
    else lines.push(item.text);
  }
  return lines.join('\n');
}

function mapLines(node: ConfigMapping, spec: InputSpec, problems: ConfigProblems): string | undefined {
  if (spec.type === 'list') {
    problems.add(node.at, node.path, 'must be a list, not a mapping', spec.example ? `e.g. ${spec.example}` : undefined);
    return undefined;
  }
  const lines: string[] = [];
  for (const [key, value] of node.entries) {
    if (value.kind !== 'scalar') problems.add(value.at, value.path, 'must be a single value');
    else lines.push(`${key}=${value.text}`);
  }
  return lines.join('\n');
}
