/**
 * Import boundaries of docs/architecture.md. Imports point down only:
 *   api -> calls -> {center, sip, media, store};  store -> center;  everything -> util.
 * center/ and util/ are pure: no Node built-ins, no npm packages (no I/O).
 * sip/ and media/ are libraries: they know nothing of the domain, calls, api or store.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'center-is-pure',
      comment: 'src/center is the pure domain: it may import only itself and src/util (no I/O, no packages).',
      severity: 'error',
      from: { path: '(^|/)src/center/', pathNot: '\\.test\\.ts$' },
      to: { pathNot: ['(^|/)src/center/', '(^|/)src/util/'] },
    },
    {
      name: 'center-no-builtins',
      comment: 'src/center may not use Node built-ins (fs, net, dgram, ...): it does no I/O.',
      severity: 'error',
      from: { path: '(^|/)src/(center|util)/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'util-is-leaf',
      comment:
        'src/util is the shared pure kernel (clock, errors, emitter types); it imports nothing else of ours and no packages.',
      severity: 'error',
      from: { path: '(^|/)src/util/', pathNot: '\\.test\\.ts$' },
      to: { pathNot: ['(^|/)src/util/'] },
    },
    {
      name: 'sip-is-a-library',
      comment: 'src/sip knows nothing of contact centers, media, the store or the API.',
      severity: 'error',
      from: { path: '(^|/)src/sip/' },
      to: { path: '(^|/)src/(center|calls|api|store|media|cluster|demo)/' },
    },
    {
      name: 'media-is-a-library',
      comment: 'src/media knows nothing of SIP or the domain.',
      severity: 'error',
      from: { path: '(^|/)src/media/' },
      to: { path: '(^|/)src/(center|calls|api|store|sip|cluster|demo)/' },
    },
    {
      name: 'store-below-calls',
      comment: 'src/store may use domain types only.',
      severity: 'error',
      from: { path: '(^|/)src/store/' },
      to: { path: '(^|/)src/(calls|api|sip|media|cluster|demo)/' },
    },
    {
      name: 'calls-below-api',
      comment: 'src/calls never imports the API layer.',
      severity: 'error',
      from: { path: '(^|/)src/calls/' },
      to: { path: '(^|/)src/(api|demo)/' },
    },
    {
      name: 'api-not-sip-media',
      comment:
        'src/api calls src/calls services and reads src/store; it never touches SIP or media directly.',
      severity: 'error',
      from: { path: '(^|/)src/api/' },
      to: { path: '(^|/)src/(sip|media|demo)/' },
    },
    {
      name: 'nothing-imports-main-or-demo',
      severity: 'error',
      from: { path: '(^|/)src/(center|sip|media|store|calls|api|cluster|util)/' },
      to: { path: '(^|/)src/(main\\.ts|demo/)' },
    },
    {
      name: 'config-is-pure-parsing',
      comment:
        'src/config is pure parsing of env vars and the --config file: it imports nothing else of ours but util.',
      severity: 'error',
      from: { path: '(^|/)src/config/' },
      to: { path: '(^|/)src/(center|sip|media|store|calls|api|cluster|demo|main\\.ts)' },
    },
    {
      name: 'config-for-the-shell-only',
      comment:
        'src/config is read by main, api, calls and store; the domain and the libraries take plain values.',
      severity: 'error',
      from: { path: '(^|/)src/(center|sip|media|util)/' },
      to: { path: '(^|/)src/config/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
