import { isAlias, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';

/** A YAML document's content with every scalar kept as the string the user wrote. */
export type YamlValue = string | readonly YamlValue[] | YamlMapping;

/** A mapping's entries in document order; a Map, so that no key (`__proto__`) can reach a prototype. */
export type YamlMapping = ReadonlyMap<string, YamlValue>;

/**
 * Parses a YAML input (build `images`) with the failsafe schema: every scalar stays the string it was
 * written as, so `tags: [1.10, 1.5e3, true]` are the tags `1.10`, `1.5e3` and `true`, never `1.1`, `1500`
 * or a boolean. Duplicate keys, explicit tags (`!!int`), anchors and aliases and non-scalar keys are
 * refused; the returned string is the reason, for an InputError naming the input.
 */
export function parseYamlStrings(text: string): { value: YamlValue | undefined } | { error: string } {
  const document = parseDocument(text, { schema: 'failsafe', uniqueKeys: true, prettyErrors: false });
  const [problem] = [...document.errors, ...document.warnings];
  if (problem) return { error: `is not valid YAML: ${problem.message.split('\n')[0]}` };
  try {
    return { value: document.contents === null ? undefined : toValue(document.contents) };
  } catch (error) {
    if (error instanceof YamlShapeError) return { error: error.message };
    throw error;
  }
}

class YamlShapeError extends Error {}

function toValue(node: Node): YamlValue {
  if (isAlias(node)) throw new YamlShapeError(`uses an alias (*${node.source}); write the value out instead`);
  if (isScalar(node)) return String(node.value ?? '');
  if (isSeq(node)) return node.items.map((item) => toValue(item as Node));
  if (isMap(node)) {
    const out = new Map<string, YamlValue>();
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      if (!isScalar(key)) throw new YamlShapeError('has a key that is not a plain string');
      out.set(String(key.value ?? ''), pair.value === null ? '' : toValue(pair.value as Node));
    }
    return out;
  }
  throw new YamlShapeError('holds something that is not a list, mapping or string');
}
