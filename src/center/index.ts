/**
 * `src/center/`: the pure domain (no I/O, injected time). Other layers import from here only.
 * See README.md in this folder and docs/domain.md.
 */
export * from './center-errors.js';
export * from './conversation-commands.js';
export * from './conversation-events.js';
export * from './conversation-machine.js';
export * from './conversation-start.js';
export * from './conversation-types.js';
export * from './decide.js';
export * from './hearing-plan.js';
export * from './interactions.js';
export * from './org-types.js';
export * from './permissions.js';
export * from './routing.js';
export * from './routing-status.js';
export * from './scoped-view.js';
export { checkSupervisionStart } from './supervision-rules.js';
