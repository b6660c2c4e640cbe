import { Liquid, type Template } from 'liquidjs';

/**
 * Liquid for prompts, greetings and flow texts. Filters must exist (a typo fails at load, not mid-call);
 * a missing variable renders empty, as a prompt with an unknown caller name should still work.
 */
const liquid = new Liquid({ strictFilters: true, ownPropertyOnly: true, cache: 500 });
const parsed = new Map<string, Template[]>();

function parse(template: string): Template[] {
  let templates = parsed.get(template);
  if (!templates) {
    templates = liquid.parse(template);
    if (parsed.size >= 2000) parsed.clear();
    parsed.set(template, templates);
  }
  return templates;
}

/** Throws with Liquid's message (line and column) when a template does not parse. */
export function checkTemplate(template: string): void {
  parse(template);
}

export function renderTemplate(template: string, scope: object): string {
  return (liquid.renderSync(parse(template), scope) as string).trim();
}

/** A template rendered as one line of speech (line breaks in YAML block text become spaces). */
export function renderSpeech(template: string, scope: object): string {
  return renderTemplate(template, scope).replace(/\s+/g, ' ');
}

/** Evaluates a condition such as `result.attempts >= 2 and slots.intent == "claim"`. */
export function evaluateCondition(expression: string, scope: object): boolean {
  const value: unknown = liquid.evalValueSync(expression, scope);
  return value !== false && value !== null && value !== undefined && value !== '';
}

/** Throws when a condition does not parse. */
export function checkCondition(expression: string): void {
  liquid.evalValueSync(expression, {});
}

/**
 * A flow's tool argument: a template that is a single `{{ expression }}` keeps the value's type (a
 * number stays a number); anything else renders as text.
 */
export function renderValue(value: unknown, scope: object): unknown {
  if (typeof value !== 'string') return value;
  const single = /^\{\{\s*([^{}|]+?)\s*\}\}$/.exec(value);
  if (single) return liquid.evalValueSync(single[1]!, scope) as unknown;
  return renderTemplate(value, scope);
}
