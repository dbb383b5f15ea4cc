import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigFile } from './config.js';

describe('loadConfig', () => {
  it('applies the defaults of CONTRACT.md §1', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      httpPort: 8080,
      httpHost: '127.0.0.1',
      sipPort: 5060,
      sipHost: '127.0.0.1',
      mediaHost: '127.0.0.1',
      rtpPorts: { min: 20000, max: 29999 },
      db: './data/earshot.db',
      logLevel: 'info',
      ringTimeoutS: 30,
      demo: false,
      monitorCap: 5,
      sipDigest: ['SHA-256', 'MD5'],
    });
  });

  it('EARSHOT_SIP_DIGEST lists the offered digest algorithms in order', () => {
    expect(loadConfig({ EARSHOT_SIP_DIGEST: 'MD5' }).sipDigest).toEqual(['MD5']);
    expect(loadConfig({ EARSHOT_SIP_DIGEST: 'MD5, SHA-256' }).sipDigest).toEqual(['MD5', 'SHA-256']);
    expect(loadConfig({}, parseConfigFile('sipDigest: MD5', 'c.yaml'), 'c.yaml').sipDigest).toEqual(['MD5']);
  });

  it('media host follows the SIP host unless set', () => {
    expect(loadConfig({ EARSHOT_SIP_HOST: '127.0.0.2' }).mediaHost).toBe('127.0.0.2');
    expect(loadConfig({ EARSHOT_SIP_HOST: '127.0.0.2', EARSHOT_MEDIA_HOST: '127.0.0.3' }).mediaHost).toBe(
      '127.0.0.3',
    );
  });

  it('rejects a bad port with one line naming the variable', () => {
    expect(() => loadConfig({ EARSHOT_SIP_PORT: 'abc' })).toThrow(
      new ConfigError('EARSHOT_SIP_PORT', 'expected a port 1-65535, got "abc"'),
    );
    try {
      loadConfig({ EARSHOT_SIP_PORT: 'abc' });
    } catch (err) {
      expect((err as Error).message).toBe('earshot: EARSHOT_SIP_PORT: expected a port 1-65535, got "abc"');
    }
  });

  it.each([
    ['EARSHOT_HTTP_PORT', '70000'],
    ['EARSHOT_RTP_PORTS', '300-200'],
    ['EARSHOT_DB', 'mysql://x'],
    ['EARSHOT_LOG_LEVEL', 'loud'],
    ['EARSHOT_RING_TIMEOUT_S', '-1'],
    ['EARSHOT_MONITOR_CAP', '0'],
    ['EARSHOT_DEMO', 'maybe'],
    ['EARSHOT_HTTP_HOST', 'a b'],
    ['EARSHOT_SIP_DIGEST', 'SHA-1'],
    ['EARSHOT_SIP_DIGEST', 'MD5,MD5'],
    ['EARSHOT_SIP_DIGEST', ''],
  ])('rejects %s=%s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(`earshot: ${name}:`);
  });

  it('reads camelCased keys from a config file; the environment wins', () => {
    const file = parseConfigFile('httpPort: 9090\nmonitorCap: 2\ndb: postgres://u@127.0.0.1/x\n', 'c.yaml');
    const c = loadConfig({ EARSHOT_MONITOR_CAP: '3' }, file, 'c.yaml');
    expect(c.httpPort).toBe(9090);
    expect(c.monitorCap).toBe(3);
    expect(c.db).toBe('postgres://u@127.0.0.1/x');
  });

  it('names the file and key of a bad file value and refuses unknown keys', () => {
    expect(() => loadConfig({}, parseConfigFile('{"sipPort": "x"}', 'c.json'), 'c.json')).toThrow(
      'earshot: c.json: sipPort: expected a port',
    );
    expect(() => parseConfigFile('sipPrt: 5060', 'c.yaml')).toThrow('earshot: c.yaml: sipPrt: unknown key');
  });
});
