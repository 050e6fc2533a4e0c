import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { ConfigProblems } from './config-problems.ts';

/** Where a node starts in the file, 1-based as editors count. */
export interface ConfigPosition {
  readonly line: number;
  readonly column: number;
}

/**
 * A node of `slipway.yaml` with where it was written and its key path (`deploy.metrics[1].query`), so
 * that every problem found later, by the config check or by a step's own validation, points at it.
 * Scalars stay the text that was written (the YAML failsafe schema): `tags: [1.10]` is the tag `1.10`.
 */
export type ConfigNode = ConfigScalar | ConfigList | ConfigMapping;

interface NodeBase {
  readonly at: ConfigPosition;
  /** Where its key is written, for an entry of a mapping: problems about the key itself point there. */
  readonly keyAt?: ConfigPosition | undefined;
  readonly path: string;
}

/** Where to point at a node as a key of its mapping (its key), else the node itself. */
export function keyPosition(node: ConfigNode): ConfigPosition {
  return node.keyAt ?? node.at;
}

export interface ConfigScalar extends NodeBase {
  readonly kind: 'scalar';
  readonly text: string;
}

export interface ConfigList extends NodeBase {
  readonly kind: 'list';
  readonly items: readonly ConfigNode[];
}

export interface ConfigMapping extends NodeBase {
  readonly kind: 'mapping';
  /** In document order; a Map, so that no key (`__proto__`) reaches a prototype. */
  readonly entries: ReadonlyMap<string, ConfigNode>;
}

/**
 * Parses the config text into nodes with positions. YAML errors, duplicate keys, aliases, explicit
 * tags and non-scalar keys are problems at their position; the result is undefined when the text is
 * not a usable YAML document at all.
 */
export function parseConfigDocument(text: string, problems: ConfigProblems): ConfigNode | undefined {
  const lines = new LineCounter();
  const document = parseDocument(text, { schema: 'failsafe', uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  const positionOf = (offset: number | undefined): ConfigPosition => {
    const { line, col } = lines.linePos(offset ?? 0);
    return { line, column: col };
  };
  for (const error of document.errors) problems.add(positionOf(error.pos[0]), '', `is not valid YAML: ${error.message.split('\n')[0]}`);
  if (document.errors.length > 0) return undefined;
  if (document.contents === null) {
    problems.add({ line: 1, column: 1 }, '', 'is empty: a slipway.yaml starts with `version: 1`');
    return undefined;
  }

  const convert = (node: Node, path: string): ConfigNode | undefined => {
    const at = positionOf(node.range?.[0]);
    if (isAlias(node)) {
      problems.add(at, path, `uses an alias (*${node.source}); write the value out instead`);
      return undefined;
    }
    if (node.tag && node.tag !== 'tag:yaml.org,2002:str' && !isMap(node) && !isSeq(node)) {
      problems.add(at, path, `has an explicit tag (${node.tag}); write plain values`);
    }
    if (isScalar(node)) return { kind: 'scalar', at, path, text: node.value === null ? '' : String(node.value) };
    if (isSeq(node)) {
      const items: ConfigNode[] = [];
      node.items.forEach((item, index) => {
        const converted = item === null ? undefined : convert(item as Node, `${path}[${index}]`);
        if (converted) items.push(converted);
      });
      return { kind: 'list', at, path, items };
    }
    if (isMap(node)) {
      const entries = new Map<string, ConfigNode>();
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (!isScalar(key)) {
          problems.add(key ? positionOf(key.range?.[0]) : at, path, 'has a key that is not a plain string');
          continue;
        }
        const name = String(key.value ?? '');
        const childPath = path ? `${path}.${name}` : name;
        const keyAt = positionOf(key.range?.[0]);
        const value = pair.value === null ? ({ kind: 'scalar', at: keyAt, path: childPath, text: '' } as const) : convert(pair.value as Node, childPath);
        if (value) entries.set(name, { ...value, keyAt });
      }
      return { kind: 'mapping', at, path, entries };
    }
    problems.add(at, path, 'holds something that is not a list, mapping or string');
    return undefined;
  };
  return convert(document.contents as Node, '');
}

/** The node as plain data (strings, arrays, objects) for a step input that takes YAML text. */
export function plainOf(node: ConfigNode): unknown {
  switch (node.kind) {
    case 'scalar':
      return node.text;
    case 'list':
      return node.items.map(plainOf);
    case 'mapping':
      return Object.fromEntries([...node.entries].map(([key, value]) => [key, plainOf(value)]));
  }
}
