/**
 * `toSvg(machine)`: the DOT diagram rendered to SVG offline, by Graphviz compiled to WebAssembly
 * (`@viz-js/viz`, from npm; nothing is downloaded at run time). The renderer is loaded once, on first use.
 */
import type { AnyStateMachine } from 'xstate';
import { toDot } from './dot';

type Viz = { renderString(dot: string, options: { format: 'svg' }): string };
let viz: Promise<Viz> | null = null;

/** The shared Graphviz (WASM) instance. */
export function graphviz(): Promise<Viz> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package's CommonJS build
  viz ??= (require('@viz-js/viz') as { instance(): Promise<Viz> }).instance();
  return viz;
}

/** Render DOT source to SVG; throws with Graphviz's message on a syntax error. */
export async function dotToSvg(dot: string): Promise<string> {
  return (await graphviz()).renderString(dot, { format: 'svg' });
}

export async function toSvg(machine: AnyStateMachine): Promise<string> {
  return dotToSvg(toDot(machine));
}
