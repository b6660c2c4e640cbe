import { describe, expect, it } from 'vitest';
import { listeningAddress, startServeCli } from '../../helpers/serve-cli.ts';

const portOf = (url: string) => Number(new URL(url).port);
const exposureLine = (lines: Record<string, unknown>[]) =>
  lines.find((line) => String(line['msg']).startsWith('exposure:'));

describe('rtvoice serve: who can reach it', () => {
  it('binds to loopback by default, without authentication, and says so', async () => {
    const server = await startServeCli({});
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(listeningAddress(portOf(server.url!))).toBe('127.0.0.1');
      expect(exposureLine(server.lines)).toMatchObject({
        level: 'info',
        msg: expect.stringContaining('this machine only') as unknown,
      });
      expect((await fetch(`${server.url}/api/v1/sessions`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('refuses an address other machines reach without authentication, saying how to fix it', async () => {
    const server = await startServeCli({ HOST: '0.0.0.0' });
    expect(await server.exited).toBe(2);
    expect(server.url).toBeUndefined();
    expect(server.stderr()).toContain(
      'HOST: 0.0.0.0 would let anyone who reaches the port read and delete every conversation',
    );
    expect(server.stderr()).toContain('ALLOW_UNAUTHENTICATED_REMOTE=true');
  });

  it('binds everywhere without authentication only when told to, and warns', async () => {
    const server = await startServeCli({ HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED_REMOTE: 'true' });
    try {
      expect(listeningAddress(portOf(server.url!))).toBe('0.0.0.0');
      expect(exposureLine(server.lines)).toMatchObject({
        level: 'warn',
        msg: expect.stringContaining('WITHOUT authentication') as unknown,
      });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('binds everywhere with API keys, which every personal route then needs', async () => {
    const server = await startServeCli({ AUTH_MODE: 'apikey', API_KEYS: 'cli-test-key' });
    try {
      expect(listeningAddress(portOf(server.url!))).toBe('0.0.0.0');
      const exposure = String(exposureLine(server.lines)?.['msg']);
      expect(exposure).toMatch(/any machine that can reach this host on any interface/);
      expect(exposure).toMatch(/API keys or session tokens required everywhere but .*\/api\/v1\/health/);
      expect(exposure).not.toContain('/metrics');
      expect((await fetch(`${server.url}/api/v1/sessions`)).status).toBe(401);
      const withKey = await fetch(`${server.url}/api/v1/sessions`, {
        headers: { 'x-api-key': 'cli-test-key' },
      });
      expect(withKey.status).toBe(200);
      expect(JSON.stringify(server.lines)).not.toContain('cli-test-key');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('refuses AUTH_MODE=none in production', async () => {
    const server = await startServeCli({ NODE_ENV: 'production', HOST: '127.0.0.1' });
    expect(await server.exited).toBe(2);
    expect(server.stderr()).toContain('AUTH_MODE: none is refused with NODE_ENV=production');
  });
});

describe('rtvoice serve: telling the truth at start-up', () => {
  it('stops with the problem when the agents cannot be loaded', async () => {
    const server = await startServeCli({ AGENTS_DIR: '/nonexistent/agents' });
    expect(await server.exited).toBe(2);
    expect(server.stderr()).toContain('the agents (AGENTS_DIR=/nonexistent/agents) cannot be loaded');
    expect(server.stderr()).toContain('cannot read the agents directory /nonexistent/agents');
    expect(server.stderr()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses a streaming mode without what does its speech work, saying what to set', async () => {
    const server = await startServeCli({ ACS_STREAMING_MODE: 'voice_live' });
    expect(await server.exited).toBe(2);
    expect(server.stderr()).toContain('ACS_STREAMING_MODE: voice_live mode needs VOICE_LIVE_URL');
    expect(server.stderr()).not.toMatch(/\n\s+at /); // no stack trace
  });
});
