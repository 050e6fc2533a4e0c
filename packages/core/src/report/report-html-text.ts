/**
 * HTML that is safe by construction: {@link html} escapes every interpolated string, so a release name,
 * a finding's title or a reason (which come from users and tools) is always text, never markup. Only
 * {@link SafeHtml} values, built by `html` itself or by {@link trustedHtml} for Slipway's own constants,
 * pass through unescaped.
 */
export class SafeHtml {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

/** What may be interpolated into {@link html}: `undefined`, `null` and `false` render as nothing. */
export type HtmlValue = SafeHtml | string | number | undefined | null | false | readonly HtmlValue[];

const entities: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => entities[char] ?? char);
}

/** Marks Slipway's own markup, styles or scripts as HTML. Never pass it data from a report. */
export function trustedHtml(value: string): SafeHtml {
  return new SafeHtml(value);
}

/** Template tag: the literal parts are markup, every interpolated value is escaped unless it is {@link SafeHtml}. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

function render(value: HtmlValue): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return escapeHtml(value);
  return value.map(render).join('');
}

/**
 * JSON for a `<script type="application/json">` element, read back with `JSON.parse(el.textContent)`.
 * A script element's text ends at the first `</script` and an `<!--` changes how that end is found, so
 * every `<` is written as the JSON escape `\u003c`: the parsed value is unchanged and no string inside
 * it (a finding titled `</script><script>…`) can close the element.
 */
export function jsonForScriptElement(value: unknown): SafeHtml {
  return new SafeHtml(JSON.stringify(value).replace(/</g, '\\u003c'));
}
