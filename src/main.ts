/**
 * The `earshot` CLI: `earshot serve [--config FILE] [--provision FILE] [--demo]` and `earshot demo`.
 */
const [command = 'serve'] = process.argv.slice(2);
if (command !== 'serve' && command !== 'demo') {
  console.error(`earshot: unknown command "${command}" (expected: serve | demo)`);
  process.exit(2);
}
console.log('earshot: not yet — the server arrives with the API and call-control work (see docs/).');
