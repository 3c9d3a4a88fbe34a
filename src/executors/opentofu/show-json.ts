/**
 * Reading `tofu show -json` (the state as JSON): the outputs a step returns and the resources it
 * reports. One command gives both, with each output's `sensitive` flag.
 */
import type { ResourceRef } from '../../api/progress';
import { InvalidJsonError, parseJsonText } from '../json';

interface ModuleValues {
  resources?: Array<{ address: string; mode: string; type: string }>;
  child_modules?: ModuleValues[];
}

export interface ShowJson {
  format_version?: string;
  /** Absent when the state is empty. */
  values?: {
    outputs?: Record<string, { sensitive?: boolean; value?: unknown }>;
    root_module?: ModuleValues;
  };
}

export const SENSITIVE_OUTPUT = '[sensitive]';

/**
 * Parse and sanity-check; throws when the text is not a state document (what verify checks). The
 * message never quotes the text: it is the whole state, with every value a resource keeps.
 */
export function parseShowJson(text: string): ShowJson {
  // tofu prints CLI-config warnings on stdout ahead of the document: start at the first line that opens it.
  const start = text.search(/^\{/m);
  let parsed: unknown;
  try {
    parsed = parseJsonText(start > 0 ? text.slice(start) : text);
  } catch (err) {
    if (!(err instanceof InvalidJsonError)) throw err;
    throw new Error(`\`tofu show -json\` printed no state document: ${err.message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as ShowJson).format_version !== 'string') {
    throw new Error('`tofu show -json` did not print a state document');
  }
  return parsed as ShowJson;
}

/** Strings as they are, anything else JSON-encoded; a sensitive output's value never leaves tofu. */
export function outputsOf(show: ShowJson): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, output] of Object.entries(show.values?.outputs ?? {})) {
    if (output.sensitive) out[name] = SENSITIVE_OUTPUT;
    else out[name] = typeof output.value === 'string' ? output.value : JSON.stringify(output.value ?? null);
  }
  return out;
}

/**
 * Managed resources of the root module and every child module (data sources are reads, not
 * resources). Ids are prefixed with the service: addresses are unique only within one state.
 */
export function resourcesOf(show: ShowJson, service: string): ResourceRef[] {
  const out: ResourceRef[] = [];
  const walk = (module: ModuleValues | undefined) => {
    for (const r of module?.resources ?? []) {
      if (r.mode === 'managed') out.push({ id: `${service}/${r.address}`, kind: r.type });
    }
    module?.child_modules?.forEach(walk);
  };
  walk(show.values?.root_module);
  return out;
}
