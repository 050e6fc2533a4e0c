import type { ConfigNode } from './config-document.ts';
import type { ConfigProblems } from './config-problems.ts';

/** `${NAME}`, `${NAME:-fallback}`, or `$$` for a literal `$`. */
const reference = /\$\$|\$\{([^}]*)\}/g;
const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The node with every `${NAME}` in its strings replaced by the variable's value (`${NAME:-fallback}`
 * when it is unset or empty; `$$` is a literal `$`), the way shells and Compose files read them. A
 * variable that is not set and has no fallback is a problem at the string that names it; so is a
 * malformed reference. Returns undefined when the node had a problem.
 */
export function expandVariables(node: ConfigNode, env: Readonly<Record<string, string | undefined>>, problems: ConfigProblems): ConfigNode | undefined {
  let ok = true;
  const expand = (current: ConfigNode): ConfigNode => {
    if (current.kind === 'list') return { ...current, items: current.items.map(expand) };
    if (current.kind === 'mapping') return { ...current, entries: new Map([...current.entries].map(([key, value]) => [key, expand(value)])) };
    const text = current.text.replace(reference, (match, body: string | undefined) => {
      if (match === '$$') return '$';
      const [name = '', ...rest] = (body ?? '').split(':-');
      const fallback = rest.length > 0 ? rest.join(':-') : undefined;
      if (!variableName.test(name)) {
        problems.add(current.at, current.path, `has a malformed variable reference ${match}: write \${NAME} or \${NAME:-default} (and $$ for a literal $)`);
        ok = false;
        return match;
      }
      const value = env[name];
      if (value !== undefined && (value !== '' || fallback === undefined)) return value;
      if (fallback !== undefined) return fallback;
      problems.add(current.at, current.path, `refers to \${${name}}, which is not set`, `set ${name} in the environment, or write \${${name}:-default}`);
      ok = false;
      return match;
    });
    return { ...current, text };
  };
  const expanded = expand(node);
  return ok ? expanded : undefined;
}
