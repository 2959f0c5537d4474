/**
 * Diagrams of the engine's statecharts: Mermaid, Graphviz DOT, SCXML and SVG (offline), from one structural
 * model of each machine (`chartOf`).
 */
export { chartOf, type Chart, type ChartState, type ChartTransition } from './chart';
export { toMermaid } from './mermaid';
export { toDot, svgStateId } from './dot';
export { toScxml, SCXML_NS } from './scxml';
export { toSvg, dotToSvg } from './svg';
export { MACHINES, MACHINE_NAMES, findMachine, type CatalogEntry } from './catalog';
